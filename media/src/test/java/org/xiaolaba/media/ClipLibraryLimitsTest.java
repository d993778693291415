package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.filesIn;
import static org.xiaolaba.media.MediaFixtures.generate;
import static org.xiaolaba.media.MediaFixtures.tone;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.OverloadedException;
import org.xiaolaba.config.errors.StorageFullException;
import org.xiaolaba.config.ffmpeg.FfmpegBinaries;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;

/** The bounds: queue, maximum duration, ffmpeg timeout, disk space, a broken ffmpeg. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ClipLibraryLimitsTest {
  @TempDir static Path redisDir;
  @TempDir static Path fixtures;
  @TempDir Path dataDir;

  static SharedRedis shared;
  RedisHandle redis;
  ClipLibrary library;

  @BeforeAll
  static void startRedis() {
    shared = new SharedRedis(redisDir);
  }

  @AfterAll
  static void stopRedis() {
    if (shared != null) shared.close();
  }

  @AfterEach
  void closeLibrary() {
    if (library != null) library.close();
    if (redis != null) redis.close();
  }

  private ClipLibrary start(Map<String, String> env) {
    Settings settings = shared.settings(dataDir, env);
    redis = shared.connect(settings);
    library = SharedRedis.library(settings, redis);
    library.start();
    return library;
  }

  /** Minutes of 8 kHz tone: cheap to make, a second or more to decode and measure. */
  private static Path longWav(String name, int minutes, int frequency) {
    return generate(
        fixtures,
        name,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=" + frequency + ":sample_rate=8000:duration=" + minutes * 60,
        "-c:a",
        "pcm_u8");
  }

  private long storedKeys() {
    return redis.client().keys(redis.key("*")).size();
  }

  @Test
  void when_the_workers_and_the_queue_are_busy_an_upload_is_refused_and_nothing_is_kept() {
    start(Map.of("XIAOLABA_FFMPEG_WORKERS", "1", "XIAOLABA_FFMPEG_QUEUE_SIZE", "1"));
    Clip running = library.ingest(upload(library, longWav("busy1.wav", 10, 300)), "running");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> library.find(running.id()).map(Clip::stage).orElse("").equals("analyzing"));
    Clip waiting = library.ingest(upload(library, longWav("busy2.wav", 10, 400)), "waiting");
    long keys = storedKeys();
    Path third = upload(library, tone(fixtures, "third.mp3", 1));

    assertThatThrownBy(() -> library.ingest(third, "third"))
        .isInstanceOfSatisfying(
            OverloadedException.class, e -> assertThat(e.retryAfterSeconds()).isPositive())
        .hasMessageContaining("queue is full");
    assertThat(third).doesNotExist();
    assertThat(storedKeys()).isEqualTo(keys);
    assertThat(library.find(waiting.id()).orElseThrow().stage()).isEqualTo("queued");
    assertThat(filesIn(library.incomingDir())).isEmpty();
  }

  @Test
  void closing_the_library_kills_running_ffmpeg_processes_at_once() {
    start(Map.of("XIAOLABA_FFMPEG_WORKERS", "1"));
    Clip running = library.ingest(upload(library, longWav("kill.wav", 10, 500)), "running");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> library.find(running.id()).map(Clip::stage).orElse("").equals("analyzing"));
    long before = System.nanoTime();

    library.close();

    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(3));
    assertThat(ProcessHandle.current().children().filter(p -> p.isAlive()))
        .noneMatch(p -> p.info().command().orElse("").contains("ffmpeg"));
  }

  @Test
  void closing_the_library_while_the_renditions_encode_kills_every_one_of_their_runs() {
    start(Map.of("XIAOLABA_FFMPEG_WORKERS", "1"));
    Clip running = library.ingest(upload(library, longWav("encoding.wav", 10, 600)), "running");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> library.find(running.id()).map(Clip::stage).orElse("").equals("encoding"));
    long before = System.nanoTime();

    library.close();

    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(3));
    assertThat(ProcessHandle.current().children().filter(p -> p.isAlive()))
        .noneMatch(p -> p.info().command().orElse("").contains("ffmpeg"));
    assertThat(filesIn(dataDir.resolve("media").resolve("tmp"))).isEmpty();
  }

  @Test
  void a_clip_longer_than_the_maximum_duration_fails_naming_the_limit() {
    start(Map.of("XIAOLABA_MEDIA_MAX_DURATION", "2s"));

    Clip clip =
        awaitFinished(
            library, library.ingest(upload(library, tone(fixtures, "long.wav", 3)), "long").id());

    assertThat(clip.status()).isEqualTo(ClipStatus.FAILED);
    assertThat(clip.error()).contains("longer than the maximum of 2.0 s", "media.maxDuration");
  }

  @Test
  void a_clip_without_a_declared_duration_is_stopped_at_the_maximum_while_decoding() {
    start(Map.of("XIAOLABA_MEDIA_MAX_DURATION", "2s"));
    Path adts = tone(fixtures, "long.aac", 4, "-c:a", "aac", "-f", "adts");

    Clip clip = awaitFinished(library, library.ingest(upload(library, adts), "adts").id());

    assertThat(clip.status()).isEqualTo(ClipStatus.FAILED);
    assertThat(clip.error()).contains("longer than the maximum of 2.0 s");
  }

  @Test
  void an_ffmpeg_run_longer_than_the_timeout_is_killed_and_the_clip_fails() {
    start(Map.of("XIAOLABA_FFMPEG_TIMEOUT", "1s"));
    Path slow = longWav("slow.wav", 30, 600);

    Clip clip = awaitFinished(library, library.ingest(upload(library, slow), "slow").id());

    assertThat(clip.status()).isEqualTo(ClipStatus.FAILED);
    assertThat(clip.error()).contains("longer than 1.0 s", "ffmpeg.timeout");
    assertThat(filesIn(dataDir.resolve("media/tmp"))).isEmpty();
    assertThat(filesIn(dataDir.resolve("media/sources"))).isEmpty();
  }

  @Test
  void a_full_disk_refuses_the_upload_and_keeps_nothing() {
    Settings settings = shared.settings(dataDir, Map.of());
    redis = shared.connect(settings);
    library =
        new ClipLibrary(settings, TestSettings.ffmpeg(), redis, Clock.systemUTC(), Long.MAX_VALUE);
    library.start();
    long keys = storedKeys();
    Path upload = upload(library, tone(fixtures, "full.mp3", 1));

    assertThatThrownBy(() -> library.ingest(upload, "full"))
        .isInstanceOf(StorageFullException.class)
        .hasMessageContaining("disk is full");
    assertThat(upload).doesNotExist();
    assertThat(storedKeys()).isEqualTo(keys);
    assertThat(filesIn(dataDir.resolve("media/sources"))).isEmpty();
  }

  @Test
  void an_ffmpeg_that_does_not_run_is_reported_as_not_working() {
    Settings settings = shared.settings(dataDir, Map.of());
    redis = shared.connect(settings);
    FfmpegBinaries missing =
        new FfmpegBinaries(dataDir.resolve("no-such-ffmpeg"), Optional.empty(), "none", "test");
    library = new ClipLibrary(settings, missing, redis, Clock.systemUTC());
    library.start();

    assertThat(library.ffmpegWorks()).isFalse();
  }
}
