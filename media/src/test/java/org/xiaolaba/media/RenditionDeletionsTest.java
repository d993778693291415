package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.filesIn;
import static org.xiaolaba.media.MediaFixtures.tone;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.EmbeddedRedisServer;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;

/**
 * Two clip libraries (two nodes) on one real Redis, each with its own disk; the second fetches the
 * first's renditions by copying them from the first's disk. A deleted clip's copies go from the
 * second node too: at once while it listens, at its start when it was down, and when the deletion
 * lands while a copy is being fetched; a copy still on a disk is never found, unless Redis cannot
 * say whether its clip exists.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RenditionDeletionsTest {
  @TempDir static Path redisDir;
  @TempDir static Path fixtures;
  @TempDir Path dirA;
  @TempDir Path dirB;

  static RedisHandle server;
  static int tests;

  Settings settingsA;
  Settings settingsB;
  final List<AutoCloseable> open = new ArrayList<>();
  ClipLibrary a;
  ClipLibrary b;

  @BeforeAll
  static void startRedis() {
    server = RedisHandle.open(TestSettings.forDataDir(redisDir));
  }

  @AfterAll
  static void stopRedis() {
    if (server != null) server.close();
  }

  @BeforeEach
  void startNodes() {
    String prefix = "del" + (++tests) + ":";
    settingsA = node(dirA, prefix);
    settingsB = node(dirB, prefix);
    a = start(settingsA);
    b = start(settingsB);
  }

  private static Settings node(Path dataDir, String prefix) {
    return TestSettings.forDataDir(
        dataDir,
        Map.of("XIAOLABA_REDIS_URL", server.uri().toString(), "XIAOLABA_REDIS_KEY_PREFIX", prefix));
  }

  /** A node: its library on a connection of its own, fetching missing renditions from a's disk. */
  private ClipLibrary start(Settings settings) {
    RedisHandle redis = RedisHandle.open(settings);
    open.add(redis);
    ClipLibrary library =
        new ClipLibrary(settings, TestSettings.ffmpeg(), redis, Clock.systemUTC());
    open.add(0, library);
    library.peers(copyingFrom(settingsA.mediaDir(), () -> {}));
    library.start();
    return library;
  }

  /** Fetches by copying from {@code mediaDir}, then runs {@code afterCopy}. */
  private static RenditionPeers copyingFrom(Path mediaDir, Runnable afterCopy) {
    return (name, target) -> {
      Path source = mediaDir.resolve(name);
      if (!Files.isRegularFile(source)) return false;
      Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
      afterCopy.run();
      return true;
    };
  }

  @AfterEach
  void stopNodes() throws Exception {
    for (AutoCloseable c : open) c.close();
  }

  private Clip readyOnA(String fixture) {
    Path file = tone(fixtures, fixture, 1, "-ac", "1");
    Clip clip = awaitFinished(a, a.ingest(upload(a, file), "通知").id());
    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    return clip;
  }

  private static List<String> names(Clip clip) {
    return clip.renditions().values().stream().map(Rendition::file).toList();
  }

  private List<Path> copiesOnB(Clip clip) {
    return names(clip).stream().map(n -> settingsB.mediaDir().resolve(n)).toList();
  }

  private void fetchOnB(Clip clip) {
    for (String name : names(clip)) assertThat(b.mediaFile(name)).isPresent();
    assertThat(copiesOnB(clip)).allMatch(Files::isRegularFile);
  }

  @Test
  void the_copies_another_node_fetched_go_when_the_clip_is_deleted_and_are_never_found_again()
      throws Exception {
    Clip clip = readyOnA("listening.wav");
    fetchOnB(clip);
    byte[] copy = Files.readAllBytes(copiesOnB(clip).get(0));

    assertThat(a.delete(clip.id())).isTrue();

    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> copiesOnB(clip).stream().noneMatch(Files::exists));
    Files.write(copiesOnB(clip).get(0), copy); // a copy a node has not removed yet
    for (String name : names(clip)) {
      assertThat(b.mediaFile(name)).as(name).isEmpty();
      assertThat(b.localMediaFile(name)).as(name).isEmpty();
      assertThat(a.localMediaFile(name)).as(name).isEmpty();
    }
  }

  /** A clip of a's, fetched by b, then deleted on a while b is down. */
  private Clip deletedWhileBIsDown(String fixture) {
    Clip clip = readyOnA(fixture);
    fetchOnB(clip);
    b.close();
    assertThat(a.delete(clip.id())).isTrue();
    assertThat(copiesOnB(clip)).allMatch(Files::isRegularFile);
    return clip;
  }

  @Test
  void a_node_that_was_down_removes_its_copies_when_it_starts() {
    Clip clip = deletedWhileBIsDown("down.wav");

    b = start(settingsB);

    assertThat(copiesOnB(clip)).noneMatch(Files::exists);
  }

  @Test
  void the_copies_stay_when_the_same_bytes_make_a_clip_again_before_the_node_is_back() {
    Clip clip = deletedWhileBIsDown("again.wav");
    Clip again = readyOnA("again.wav");
    assertThat(again.id()).isNotEqualTo(clip.id());

    b = start(settingsB);

    assertThat(copiesOnB(clip)).allMatch(Files::isRegularFile);
    for (String name : names(again)) assertThat(b.mediaFile(name)).isPresent();
  }

  @Test
  void many_asking_at_once_for_a_rendition_this_node_lacks_make_one_fetch() throws Exception {
    Clip clip = readyOnA("many.wav");
    String name = names(clip).get(0);
    AtomicInteger fetches = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    RenditionPeers copying = copyingFrom(settingsA.mediaDir(), () -> {});
    b.peers(
        (n, target) -> {
          fetches.incrementAndGet();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return copying.fetch(n, target);
        });
    List<CompletableFuture<Optional<Path>>> asks = new ArrayList<>();
    List<Thread> askers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      CompletableFuture<Optional<Path>> ask = new CompletableFuture<>();
      Thread t = new Thread(() -> ask.complete(b.mediaFile(name)));
      asks.add(ask);
      askers.add(t);
      t.start();
    }
    // Every asker is waiting: one in the fetch, the others for it.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> askers.stream().allMatch(t -> t.getState() == Thread.State.WAITING));
    release.countDown();
    for (CompletableFuture<Optional<Path>> ask : asks) {
      assertThat(ask.get(10, TimeUnit.SECONDS)).contains(settingsB.mediaDir().resolve(name));
    }
    assertThat(fetches).hasValue(1);
    assertThat(filesIn(settingsB.mediaDir().resolve("tmp"))).isEmpty();
  }

  @Test
  void a_copy_whose_fetch_ends_after_the_clip_was_deleted_is_not_left_behind() {
    Clip clip = readyOnA("racing.wav");
    String name = names(clip).get(0);
    b.peers(copyingFrom(settingsA.mediaDir(), () -> assertThat(a.delete(clip.id())).isTrue()));

    assertThat(b.mediaFile(name)).isEmpty();

    assertThat(settingsB.mediaDir().resolve(name)).doesNotExist();
    assertThat(filesIn(settingsB.mediaDir().resolve("tmp"))).isEmpty();
  }

  @Test
  void while_redis_cannot_be_asked_the_renditions_on_this_disk_are_still_found(@TempDir Path dirC)
      throws Exception {
    EmbeddedRedisServer own =
        EmbeddedRedisServer.start(dirC.resolve("redis"), TestSettings.sharedBinDir(), "everysec");
    open.add(own);
    ClipLibrary c =
        start(
            TestSettings.forDataDir(
                dirC, Map.of("XIAOLABA_REDIS_URL", own.url(), "XIAOLABA_REDIS_TIMEOUT", "1s")));
    Clip clip =
        awaitFinished(
            c, c.ingest(upload(c, tone(fixtures, "outage.wav", 1, "-ac", "1")), "停电").id());
    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);

    own.close();

    for (String name : names(clip)) {
      assertThat(c.mediaFile(name)).as(name).isPresent();
      assertThat(c.localMediaFile(name)).as(name).isPresent();
    }
  }
}
