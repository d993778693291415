package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.media.Rendition;

class BulletinServiceTest {
  static final String VILLAGE = TestCluster.VILLAGE;
  static final String TOWN = TestCluster.TOWN;
  static final LocalDate DAY = LocalDate.now(ZoneId.of("Asia/Shanghai"));

  private final TestCluster cluster = new TestCluster();
  private final List<RedisHandle> handles = new ArrayList<>();
  private final List<BulletinService> services = new ArrayList<>();
  private final List<List<String>> assembled = new CopyOnWriteArrayList<>();
  private final TestCluster.RecordingDispatch dispatch = new TestCluster.RecordingDispatch(c -> 0);
  private ItemService items;

  private BulletinService service(Map<String, String> env) {
    Settings settings = TestRedis.settings(cluster.prefix, env);
    RedisHandle redis = RedisHandle.open(settings);
    handles.add(redis);
    AreaTree areas = AreaTree.of(settings.areas());
    ClipLookup clips = id -> Optional.ofNullable(cluster.clips.get(id));
    items = new ItemService(redis, areas, clips, Clock.systemUTC());
    BulletinAudioPort port =
        (ids, title) -> {
          assembled.add(List.copyOf(ids));
          return cluster.clip("program-" + assembled.size(), ClipStatus.PROCESSING, null);
        };
    BulletinService s =
        new BulletinService(
            settings, redis, areas, items, clips, port, dispatch, Clock.systemUTC());
    services.add(s);
    return s;
  }

  @AfterEach
  void close() throws Exception {
    services.forEach(BulletinService::close);
    handles.forEach(RedisHandle::close);
    cluster.close();
  }

  private Item approved(String kind, String title, String area, String clipId) {
    Item i =
        items.create(
            new ItemRequest(kind, title, "正文" + title, List.of(area), DAY.toString(), clipId),
            "editor");
    return items.approve(i.id());
  }

  @Test
  void aBulletinHasTheTextOfItsItemsAndOneProgramOfTheirClipsInBulletinOrder() {
    BulletinService bulletins = service(Map.of());
    cluster.readyClip("c-news");
    cluster.readyClip("c-policy");
    approved("news", "县新闻", "320623", "c-news");
    approved("policy", "村政策", VILLAGE, "c-policy");
    approved("notice", "镇通知", TOWN, null);

    Bulletin b = bulletins.prepare(DAY, VILLAGE);
    assertThat(b.items()).extracting(Bulletin.Entry::title).containsExactly("村政策", "镇通知", "县新闻");
    assertThat(b.text()).contains("【政策】村政策").contains("【通知】镇通知").contains("【新闻】县新闻");
    assertThat(b.text().indexOf("村政策")).isLessThan(b.text().indexOf("镇通知"));
    assertThat(assembled).containsExactly(List.of("c-policy", "c-news"));
    assertThat(b.status()).isEqualTo(Bulletin.PREPARING);
    assertThat(bulletins.audioFor(DAY, VILLAGE)).isEmpty();

    // The program finishes processing: the bulletin becomes ready with both renditions.
    Clip program = cluster.clips.get(b.clipId());
    cluster.clips.put(
        program.id(),
        new Clip(
            program.id(),
            program.title(),
            ClipStatus.READY,
            null,
            "done",
            100,
            42_000L,
            null,
            Map.of(
                "app",
                rendition(program.id(), "app.m4a"),
                "loudspeaker",
                rendition(program.id(), "loudspeaker.mp3")),
            null,
            Instant.now(),
            Instant.now()));
    Bulletin ready = bulletins.find(DAY, VILLAGE).orElseThrow();
    assertThat(ready.status()).isEqualTo(Bulletin.READY);
    assertThat(ready.audio().url()).endsWith("app.m4a");
    assertThat(ready.audio().durationMs()).isEqualTo(42_000L);
    assertThat(bulletins.audioFor(DAY, VILLAGE).orElseThrow().url()).endsWith("loudspeaker.mp3");
  }

  private static Rendition rendition(String id, String suffix) {
    return new Rendition(
        "/media/" + id + "-" + suffix,
        id + "-" + suffix,
        "mp3",
        1,
        44100,
        64000,
        1000,
        -16.0,
        -16.1);
  }

  @Test
  void itemsWithoutClipsGiveATextOnlyBulletinThatIsReadyAtOnce() {
    BulletinService bulletins = service(Map.of());
    approved("notice", "停水通知", VILLAGE, null);
    Bulletin b = bulletins.prepare(DAY, VILLAGE);
    assertThat(b.status()).isEqualTo(Bulletin.READY);
    assertThat(b.audio()).isNull();
    assertThat(assembled).isEmpty();
  }

  @Test
  void preparingAgainReplacesTheBulletin() {
    BulletinService bulletins = service(Map.of());
    approved("notice", "第一条", VILLAGE, null);
    bulletins.prepare(DAY, VILLAGE);
    approved("notice", "第二条", VILLAGE, null);
    bulletins.prepare(DAY, VILLAGE);
    assertThat(bulletins.find(DAY, VILLAGE).orElseThrow().items()).hasSize(2);
  }

  @Test
  void anUnknownAreaIsRefusedByName() {
    BulletinService bulletins = service(Map.of());
    assertThatThrownBy(() -> bulletins.prepare(DAY, "999999"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("area"));
  }

  @Test
  void theDailyJobPreparesEveryVillageOnceAndThePushReachesEachVillageOnceAcrossTwoNodes() {
    Map<String, String> prepareEverySecond =
        Map.of("XIAOLABA_SCHEDULER_BULLETIN_PREPARE_CRON", "* * * * * ?");
    BulletinService a = service(prepareEverySecond);
    approved("notice", "全县通知", "320623", null);
    BulletinService b = service(prepareEverySecond);
    a.start("node-a");
    b.start("node-b");
    List<String> villages =
        AreaTree.of(TestRedis.settings(cluster.prefix, Map.of()).areas()).all().stream()
            .filter(x -> x.level() == AreaTree.Level.VILLAGE)
            .map(AreaTree.Area::code)
            .toList();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> villages.stream().allMatch(v -> a.find(DAY, v).isPresent()));

    a.pushAll(DAY);
    b.pushAll(DAY);
    assertThat(dispatch.pushed)
        .extracting(p -> p.areas().get(0))
        .containsExactlyInAnyOrderElementsOf(villages);
    assertThat(dispatch.pushed)
        .allMatch(p -> p.kind().equals("bulletin") && p.body().contains("全县通知"));
  }

  @Test
  void aBadCronStopsStartUpNamingTheKey() {
    BulletinService bulletins =
        service(Map.of("XIAOLABA_SCHEDULER_BULLETIN_PUSH_CRON", "at seven"));
    assertThatThrownBy(() -> bulletins.start("node"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("scheduler.bulletin.pushCron")
        .hasMessageContaining("at seven");
  }
}
