package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.scheduler.TestCluster.VILLAGE;
import static org.xiaolaba.scheduler.TestCluster.request;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.ClipStatus;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ClientKillParams;

/** Programs firing through the real Quartz and the real (embedded) Redis, in real time. */
class ProgramFiringTest {
  static final Clock CLOCK = Clock.systemUTC();
  // Runs every second or two: the minimum interval between cron runs lowered to a second.
  static final Map<String, String> LEAD_1S =
      Map.of("XIAOLABA_SCHEDULER_LEAD_TIME", "1s", "XIAOLABA_SCHEDULER_MIN_CRON_INTERVAL", "1s");

  static final List<String> VILLAGES =
      List.of(
          "320623100201",
          "320623100202",
          "320623101201",
          "320623101202",
          "320623102201",
          "320623102202");

  final TestCluster cluster = new TestCluster();

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private static Schedule onceIn(Duration d) {
    return Schedule.once(
        Instant.now()
            .plus(d)
            .truncatedTo(ChronoUnit.SECONDS)
            .atOffset(ZoneOffset.ofHours(8))
            .toString());
  }

  @Test
  void aOnceProgramStartingSoonerThanTheLeadTimeIsDispatchedAtOnceExactlyOnceAndLogged() {
    cluster.readyClip("c1");
    TestCluster.Node node = cluster.node(Map.of(), CLOCK); // lead time 60 s
    Program p = node.service().create(request("c1", onceIn(Duration.ofSeconds(6))));
    Instant startAt = p.nextRuns().get(0).toInstant();

    await().atMost(Duration.ofSeconds(4)).until(() -> node.dispatch().played.size() == 1);
    TestCluster.Played played = node.dispatch().played.get(0);
    PlayCommand cmd = played.command();
    assertThat(cmd.programId()).isEqualTo(p.id());
    assertThat(cmd.runId()).isEqualTo(p.id() + ":" + startAt.toEpochMilli());
    assertThat(cmd.title()).isEqualTo("早间广播");
    assertThat(cmd.areas()).containsExactly(VILLAGE);
    assertThat(cmd.startAt()).isEqualTo(startAt);
    assertThat(cmd.priority()).isEqualTo("normal");
    assertThat(cmd.audioUrl()).isEqualTo("/media/c1.mp3");
    assertThat(cmd.durationMs()).isEqualTo(6_000L);
    assertThat(played.at()).isBefore(startAt.minusSeconds(2));

    await().atMost(Duration.ofSeconds(2)).until(() -> node.service().armedRun(p.id()).isEmpty());
    assertThat(node.dispatch().played).hasSize(1);

    List<ProgramRun> runs = node.service().runs(p.id());
    assertThat(runs).hasSize(1);
    ProgramRun run = runs.get(0);
    assertThat(run.runId()).isEqualTo(cmd.runId());
    assertThat(run.scheduledAt().toInstant()).isEqualTo(startAt);
    assertThat(run.scheduledAt().getOffset().getTotalSeconds()).isEqualTo(8 * 3600);
    assertThat(run.dispatchedAt()).isNotNull();
    assertThat(run.dispatchedAt().toInstant()).isBefore(startAt);
    assertThat(run.terminalsReached()).isEqualTo(1);
    assertThat(run.terminalsConfirmed()).isEmpty();
    assertThat(run.late()).isFalse();
    assertThat(run.missed()).isFalse();
    assertThat(run.error()).isNull();

    node.service().confirmPlaying(run.runId(), "terminal-7");
    node.service().confirmPlaying(run.runId(), "terminal-3");
    node.service().confirmPlaying(run.runId(), "terminal-7");
    assertThat(node.service().runs(p.id()).get(0).terminalsConfirmed())
        .containsExactly("terminal-3", "terminal-7");
  }

  @Test
  void twoNodesOnOneRedisDispatchEachRunExactlyOnceInTotal() {
    cluster.readyClip("c1");
    TestCluster.Node a = cluster.node(LEAD_1S, CLOCK);
    TestCluster.Node b = cluster.node(LEAD_1S, CLOCK);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ProgramService creator = (i % 2 == 0 ? a : b).service();
      // One village each: programs of one priority playing at once in one village conflict.
      String village = VILLAGES.get(i);
      ids.add(creator.create(request("c1", village, onceIn(Duration.ofSeconds(3 + i % 2)))).id());
    }
    // Both nodes arm every program (one of them through the change event) before it fires.
    await()
        .atMost(Duration.ofSeconds(2))
        .until(
            () ->
                ids.stream()
                    .allMatch(
                        id ->
                            a.service().armedRun(id).isPresent()
                                && b.service().armedRun(id).isPresent()));

    // Then both fire each run and race for its claim; afterwards neither has anything armed and
    // the winner has dispatched it (a trigger is disarmed when it fires, before its dispatch ends).
    await()
        .atMost(Duration.ofSeconds(8))
        .until(
            () ->
                ids.stream()
                    .allMatch(
                        id ->
                            a.service().armedRun(id).isEmpty()
                                && b.service().armedRun(id).isEmpty()
                                && a.dispatch().count(id) + b.dispatch().count(id) >= 1));
    for (String id : ids) {
      assertThat(a.dispatch().count(id) + b.dispatch().count(id))
          .as("plays of %s", id)
          .isEqualTo(1);
      assertThat(a.service().runs(id)).hasSize(1);
    }
    for (TestCluster.Played played : a.dispatch().played) {
      // Sent a lead time (1 s) ahead of the start, not at once and not late.
      assertThat(played.at())
          .isBetween(played.command().startAt().minusMillis(1300), played.command().startAt());
    }
  }

  @Test
  void aProgramCreatedOnOneNodeIsArmedOnTheOtherAndDeletingItThereUnarmsItEverywhere() {
    cluster.readyClip("c1");
    TestCluster.Node a = cluster.node(Map.of(), CLOCK);
    TestCluster.Node b = cluster.node(Map.of(), CLOCK);
    Program p = a.service().create(request("c1", Schedule.daily("07:00")));
    Instant next = p.nextRuns().get(0).toInstant();
    assertThat(a.service().armedRun(p.id())).contains(next);

    await().atMost(Duration.ofSeconds(2)).until(() -> b.service().armedRun(p.id()).isPresent());
    assertThat(b.service().armedRun(p.id())).contains(next);
    assertThat(b.service().find(p.id())).contains(a.service().find(p.id()).orElseThrow());

    assertThat(a.service().delete(p.id())).isTrue();
    assertThat(a.service().armedRun(p.id())).isEmpty();
    await().atMost(Duration.ofSeconds(2)).until(() -> b.service().armedRun(p.id()).isEmpty());
    assertThat(b.service().find(p.id())).isEmpty();
    assertThat(b.service().list()).isEmpty();
  }

  @Test
  void aNodeThatLosesTheChangeChannelResubscribesAndCatchesUpFromRedis() {
    cluster.readyClip("c1");
    TestCluster.Node a = cluster.node(Map.of(), CLOCK);
    TestCluster.Node b = cluster.node(Map.of(), CLOCK);
    Program before = a.service().create(request("c1", Schedule.daily("06:00")));
    await()
        .atMost(Duration.ofSeconds(2))
        .until(() -> b.service().armedRun(before.id()).isPresent());

    try (Jedis admin = new Jedis(TestRedis.server().uri())) {
      assertThat(
              admin.clientKill(
                  ClientKillParams.clientKillParams()
                      .type(redis.clients.jedis.args.ClientType.PUBSUB)))
          .isGreaterThanOrEqualTo(2);
    }
    // Made while the nodes may be unsubscribed: the event can be lost, the resync finds it.
    Program during = a.service().create(request("c1", Schedule.daily("06:30")));
    a.service().delete(before.id());

    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> b.service().armedRun(during.id()).isPresent());
    await().atMost(Duration.ofSeconds(5)).until(() -> b.service().armedRun(before.id()).isEmpty());

    // And the channel works again afterwards.
    Program after = a.service().create(request("c1", Schedule.daily("07:00")));
    await().atMost(Duration.ofSeconds(5)).until(() -> b.service().armedRun(after.id()).isPresent());
  }

  @Test
  void aRestartedNodeRebuildsItsTriggersFromRedis() throws Exception {
    cluster.readyClip("c1");
    TestCluster.Node first = cluster.node(Map.of(), CLOCK);
    Program p = first.service().create(request("c1", Schedule.weekly(List.of("MON"), "08:00")));
    first.service().close();
    assertThat(first.service().quartzRunning()).isFalse();

    TestCluster.Node second = cluster.node(Map.of(), CLOCK);
    assertThat(second.service().quartzRunning()).isTrue();
    assertThat(second.service().armedRun(p.id())).contains(p.nextRuns().get(0).toInstant());
  }

  @Test
  void aProgramCreatedBeforeARestartPlaysExactlyOnceAfterItOnTheRealQuartz() {
    cluster.readyClip("c1");
    TestCluster.Node first = cluster.node(LEAD_1S, CLOCK);
    Program p = first.service().create(request("c1", onceIn(Duration.ofSeconds(5))));
    Instant startAt = p.nextRuns().get(0).toInstant();
    first.service().close();

    TestCluster.Node second = cluster.node(LEAD_1S, CLOCK);
    assertThat(second.service().armedRun(p.id())).contains(startAt);
    await().atMost(Duration.ofSeconds(7)).until(() -> second.service().armedRun(p.id()).isEmpty());
    await().atMost(Duration.ofSeconds(2)).until(() -> !second.service().runs(p.id()).isEmpty());

    assertThat(first.dispatch().played).isEmpty();
    assertThat(second.dispatch().played)
        .singleElement()
        .satisfies(x -> assertThat(x.command().startAt()).isEqualTo(startAt));
    assertThat(second.service().runs(p.id()))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.dispatchedAt()).isNotNull();
              assertThat(r.late()).isFalse();
            });
  }

  @Test
  void aCronProgramEveryTwoSecondsKeepsFiringAcrossTwoNodesEachRunOnce() {
    cluster.readyClip("c1");
    TestCluster.Node a = cluster.node(LEAD_1S, CLOCK);
    TestCluster.Node b = cluster.node(LEAD_1S, CLOCK);
    Program p = a.service().create(request("c1", Schedule.cron("*/2 * * * * ?")));

    await().atMost(Duration.ofSeconds(8)).until(() -> a.service().runs(p.id()).size() >= 3);
    a.service().delete(p.id());
    List<Instant> starts = new ArrayList<>();
    a.dispatch().played.forEach(x -> starts.add(x.command().startAt()));
    b.dispatch().played.forEach(x -> starts.add(x.command().startAt()));
    assertThat(starts).hasSizeGreaterThanOrEqualTo(3).doesNotHaveDuplicates();
    assertThat(starts).allMatch(s -> s.getEpochSecond() % 2 == 0);
  }

  @Test
  void aRunWhoseClipIsNoLongerReadyIsLoggedWithItsErrorAndNothingIsPlayed() {
    cluster.readyClip("slow");
    // A lead time of 1 s: the run fires about 4 s after it is created, long after the clip went
    // back to processing (with the default 60 s it would fire at once, racing the change).
    TestCluster.Node node = cluster.node(LEAD_1S, CLOCK);
    Program p = node.service().create(request("slow", onceIn(Duration.ofSeconds(5))));
    cluster.clip("slow", ClipStatus.PROCESSING, null); // being processed again

    await().atMost(Duration.ofSeconds(15)).until(() -> !node.service().runs(p.id()).isEmpty());
    ProgramRun run = node.service().runs(p.id()).get(0);
    assertThat(run.error()).contains("slow").contains("processing");
    assertThat(run.dispatchedAt()).isNull();
    assertThat(run.terminalsReached()).isZero();
    assertThat(node.dispatch().played).isEmpty();
  }

  @Test
  void aDispatchThatThrowsIsLoggedInTheRunAndTheProgramKeepsFiring() {
    cluster.readyClip("c1");
    AtomicInteger calls = new AtomicInteger();
    TestCluster.Node node =
        cluster.node(
            Map.of(
                "XIAOLABA_SCHEDULER_LEAD_TIME", "0s", "XIAOLABA_SCHEDULER_MIN_CRON_INTERVAL", "1s"),
            CLOCK,
            cmd -> {
              if (calls.incrementAndGet() == 1) throw new IllegalStateException("hub is down");
              return 3;
            });
    Program p = node.service().create(request("c1", Schedule.cron("* * * * * ?")));

    await().atMost(Duration.ofSeconds(5)).until(() -> node.service().runs(p.id()).size() >= 2);
    List<ProgramRun> runs = node.service().runs(p.id());
    node.service().delete(p.id());
    assertThat(runs.get(0).error()).contains("hub is down");
    assertThat(runs.get(0).dispatchedAt()).isNull();
    assertThat(runs.get(1).error()).isNull();
    assertThat(runs.get(1).terminalsReached()).isEqualTo(3);
  }

  @Test
  void aBulletinProgramPlaysEachVillagesBulletinOfTheDayAndLogsTheVillagesWithout() {
    // The node first: on a busy machine its start can take longer than the run is away.
    TestCluster.Node node = cluster.node(LEAD_1S, CLOCK);
    Schedule soon = onceIn(Duration.ofSeconds(2));
    LocalDate day =
        OffsetDateTime.parse(soon.once())
            .atZoneSameInstant(ZoneId.of("Asia/Shanghai"))
            .toLocalDate();
    cluster.bulletins.put(
        day + " " + VILLAGE, new BulletinLookup.PlayableAudio("/media/b.mp3", 120_000, "b"));
    Program p =
        node.service()
            .create(TestCluster.request(null, "bulletin", List.of(TestCluster.TOWN), null, soon));

    await().atMost(Duration.ofSeconds(4)).until(() -> !node.service().runs(p.id()).isEmpty());
    assertThat(node.dispatch().played)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.command().areas()).containsExactly(VILLAGE);
              assertThat(x.command().audioUrl()).isEqualTo("/media/b.mp3");
              assertThat(x.command().durationMs()).isEqualTo(120_000);
            });
    ProgramRun run = node.service().runs(p.id()).get(0);
    assertThat(run.dispatchedAt()).isNotNull();
    assertThat(run.terminalsReached()).isEqualTo(1);
    assertThat(run.error()).contains("no bulletin audio for " + day).contains("320623100202");
  }

  @Test
  void anEmergencyStopsTheNormalRunItInterruptsAndANormalRunDueDuringItIsSkipped() {
    cluster.readyClip("c1");
    TestCluster.Node node = cluster.node(LEAD_1S, CLOCK);
    ProgramService service = node.service();
    Program first = service.create(request("c1", onceIn(Duration.ofSeconds(2))));
    await().atMost(Duration.ofSeconds(3)).until(() -> node.dispatch().count(first.id()) == 1);

    Emergency alarm =
        service.emergencies().start(new EmergencyRequest("预警", List.of("320623"), "c1"));
    Program during = service.create(request("c1", "320623100202", onceIn(Duration.ofSeconds(3))));

    String firstRun = node.dispatch().played.get(0).command().runId();
    assertThat(node.dispatch().stopped)
        .anySatisfy(
            s -> {
              assertThat(s.runId()).isEqualTo(firstRun);
              assertThat(s.reason()).isEqualTo("preempted");
              assertThat(s.areas()).containsExactly(VILLAGE);
            });
    await().atMost(Duration.ofSeconds(4)).until(() -> !service.runs(during.id()).isEmpty());
    ProgramRun skipped = service.runs(during.id()).get(0);
    assertThat(skipped.error()).startsWith("preempted by program " + alarm.id());
    assertThat(skipped.dispatchedAt()).isNull();
    assertThat(node.dispatch().count(during.id())).isZero();
    await()
        .atMost(Duration.ofSeconds(3))
        .untilAsserted(
            () ->
                assertThat(service.runs(first.id()))
                    .singleElement()
                    .satisfies(r -> assertThat(r.interruptedBy()).contains(alarm.id())));
  }

  @Test
  void runsThatPassedWhileNoNodeWasUpPlayLateWithinTheGraceAndAreLoggedMissedBeyondIt() {
    cluster.readyClip("c1");
    Instant now = Instant.now();
    // Runs at three minutes of the hour: about 20 and 8 minutes ago (missed), 2 ago (late).
    String minutes =
        Stream.of(20, 8, 2)
            .map(
                m ->
                    Integer.toString(
                        now.minus(Duration.ofMinutes(m)).atZone(ZoneOffset.UTC).getMinute()))
            .collect(Collectors.joining(","));
    StoredProgram p =
        new StoredProgram(
            "left-alone",
            "无人值守",
            "c1",
            null,
            List.of(VILLAGE),
            "normal",
            "UTC",
            Schedule.cron("0 " + minutes + " * * * ?"),
            null,
            null,
            6_000L,
            now.minus(Duration.ofMinutes(25)));
    try (RedisHandle redis = RedisHandle.open(TestRedis.settings(cluster.prefix, Map.of()))) {
      new ProgramStore(redis, Json.mapper()).saveChecked(p, List.of(), () -> {});
    }

    TestCluster.Node a = cluster.node(LEAD_1S, CLOCK);
    TestCluster.Node b = cluster.node(LEAD_1S, CLOCK);

    await().atMost(Duration.ofSeconds(4)).until(() -> a.service().runs(p.id()).size() == 3);
    List<ProgramRun> runs = a.service().runs(p.id());
    assertThat(runs)
        .filteredOn(ProgramRun::missed)
        .hasSize(2)
        .allSatisfy(r -> assertThat(r.error()).contains("past the grace of PT5M"));
    ProgramRun late = runs.stream().filter(ProgramRun::late).findFirst().orElseThrow();
    assertThat(late.dispatchedAt()).isNotNull();
    assertThat(late.scheduledAt().toInstant()).isBefore(now.minus(Duration.ofMinutes(1)));
    List<TestCluster.Played> plays = new ArrayList<>(a.dispatch().played);
    plays.addAll(b.dispatch().played);
    assertThat(plays)
        .singleElement()
        .satisfies(x -> assertThat(x.command().startAt()).isAfterOrEqualTo(now));
  }
}
