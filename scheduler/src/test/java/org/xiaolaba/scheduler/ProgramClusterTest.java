package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.scheduler.TestCluster.request;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.testing.SettableClock;

/**
 * Scheduler nodes on one real Redis, firing many programs by a clock the test moves.
 *
 * <p>Quartz fires on the system clock, so these nodes run {@link ManualTriggers} in its place: the
 * same arming, claiming, dispatching and as-run logging, but a run fires when the test moves the
 * {@link SettableClock} to its instant and tells every node to fire what is due. All nodes fire at
 * once, on four threads each as with Quartz, so they race for every claim for real; but no
 * assertion depends on how fast a busy machine gets there, so the tests neither flake on two busy
 * cores nor wait for wall-clock time: half an hour of programs takes a few seconds. Quartz itself
 * firing on time is covered by {@link ProgramFiringTest}, in real time.
 */
class ProgramClusterTest {
  /** 09:00 in Asia/Shanghai, the programs' zone. */
  static final Instant NINE = Instant.parse("2031-03-03T01:00:00Z");

  static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  static final Duration LEAD = Duration.ofSeconds(60); // the default lead time

  /** Every village of the sample county: none overlaps another, so each has programs of its own. */
  static final List<String> VILLAGES =
      List.of(
          "320623001001",
          "320623001002",
          "320623001201",
          "320623100201",
          "320623100202",
          "320623101201",
          "320623101202",
          "320623102201",
          "320623102202");

  final SettableClock clock = new SettableClock(NINE.minus(Duration.ofMinutes(5)));
  final TestCluster cluster = new TestCluster();
  final ExecutorService driver = Executors.newCachedThreadPool();
  final Random order = new Random(7);

  @AfterEach
  void stop() throws Exception {
    driver.shutdownNow();
    cluster.close();
  }

  @Test
  void threeNodesDispatchEveryRunOfAHundredAndFortyFourProgramsExactlyOnceBetweenThem() {
    List<TestCluster.Node> nodes = startNodes(3);
    List<Program> programs = createMix(nodes);
    Instant until = NINE.plus(Duration.ofMinutes(30));

    fireUntil(until, nodes);

    Map<String, List<Instant>> expected = expectedRuns(programs, until);
    // In each village: five cron programs four times, three daily and eight once.
    assertThat(expected.values().stream().mapToInt(List::size).sum()).isEqualTo(9 * 31);
    assertEachRunDispatchedOnce(programs, expected, nodes, nodes.get(0));
    // The nodes did race: more than one of them won runs.
    assertThat(nodes.stream().filter(n -> !n.dispatch().played.isEmpty())).hasSizeGreaterThan(1);
  }

  @Test
  void whenOneOfThreeNodesDiesMidwayTheOtherTwoDispatchEveryRemainingRunExactlyOnce() {
    List<TestCluster.Node> nodes = startNodes(3);
    List<Program> programs = createMix(nodes);
    Instant until = NINE.plus(Duration.ofMinutes(30));
    TestCluster.Node dying = nodes.get(2);
    // Each node fires each of the 279 runs; this one stops after 100, in the middle of a batch of
    // runs due at one instant, the rest of which it never fires.
    dying.triggers().dieAfter(100);

    fireUntil(until, nodes);

    assertThat(dying.triggers().isDead()).isTrue();
    Map<String, List<Instant>> expected = expectedRuns(programs, until);
    assertEachRunDispatchedOnce(programs, expected, nodes, nodes.get(0));
    Instant lastPlayBeforeDeath =
        dying.dispatch().played.stream()
            .map(p -> p.command().startAt())
            .max(Instant::compareTo)
            .orElseThrow(() -> new AssertionError("the dying node played nothing before dying"));
    // The survivors played everything after it, and the runs it had won are not played again.
    List<TestCluster.Played> survivors = new ArrayList<>(nodes.get(0).dispatch().played);
    survivors.addAll(nodes.get(1).dispatch().played);
    assertThat(survivors).anyMatch(p -> p.command().startAt().isAfter(lastPlayBeforeDeath));
  }

  @Test
  void aProgramCreatedBeforeARestartPlaysExactlyOnceAfterIt() {
    cluster.readyClip("c1");
    TestCluster.Node first = cluster.manualNode(Map.of(), clock);
    // Plays at 09:15, so its play goes out at 09:14, after the restart at 09:10.
    Program once = first.service().create(request("c1", VILLAGES.get(0), onceAt(15, 0)));
    // Every ten minutes at :30 past: the 09:10:30 play goes out at 09:09:30, just before the
    // restart, and must not go out again after it.
    Program cron =
        first.service().create(request("c1", VILLAGES.get(1), Schedule.cron("30 0/10 9 * * ?")));
    fireUntil(NINE.plus(Duration.ofMinutes(10)), List.of(first));
    assertThat(first.dispatch().count(cron.id())).isEqualTo(2);

    first.service().close();
    TestCluster.Node second = cluster.manualNode(Map.of(), clock);
    assertThat(second.service().armedRun(cron.id())).contains(at(20, 30));
    assertThat(second.service().armedRun(once.id())).contains(at(15, 0));
    fireUntil(NINE.plus(Duration.ofMinutes(30)), List.of(second));

    assertThat(first.dispatch().count(once.id())).isZero();
    assertThat(second.dispatch().played)
        .filteredOn(p -> p.command().programId().equals(once.id()))
        .singleElement()
        .satisfies(p -> assertThat(p.command().startAt()).isEqualTo(at(15, 0)));
    assertThat(second.service().runs(once.id()))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.scheduledAt().toInstant()).isEqualTo(at(15, 0));
              assertThat(r.dispatchedAt()).isNotNull();
              assertThat(r.late()).isFalse();
            });
    List<Instant> cronRuns =
        second.service().runs(cron.id()).stream().map(r -> r.scheduledAt().toInstant()).toList();
    assertThat(cronRuns).containsExactly(at(0, 30), at(10, 30), at(20, 30), at(30, 30));
    assertThat(second.dispatch().played)
        .filteredOn(p -> p.command().programId().equals(cron.id()))
        .extracting(p -> p.command().startAt())
        .containsExactly(at(20, 30), at(30, 30));
  }

  private List<TestCluster.Node> startNodes(int n) {
    cluster.readyClip("c1");
    List<TestCluster.Node> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) nodes.add(cluster.manualNode(Map.of(), clock));
    return nodes;
  }

  /**
   * Sixteen programs in each village, created on the nodes in turn, their runs ten seconds apart at
   * least (the clip plays six) between 09:00 and 09:31: five cron programs every ten minutes in the
   * nine o'clock hour, three daily and eight once. Returns once every node has armed them all.
   */
  private List<Program> createMix(List<TestCluster.Node> nodes) {
    List<Schedule> schedules = new ArrayList<>();
    for (int second = 10; second <= 50; second += 10) {
      schedules.add(Schedule.cron(second + " 0/10 9 * * ?"));
    }
    for (int minute : List.of(1, 11, 21)) {
      schedules.add(Schedule.daily(LocalTime.of(9, minute).toString()));
    }
    int[][] onceAt = {{2, 0}, {3, 20}, {7, 30}, {12, 10}, {16, 40}, {22, 0}, {25, 50}, {29, 20}};
    for (int[] ms : onceAt) schedules.add(onceAt(ms[0], ms[1]));

    List<Program> programs = new ArrayList<>();
    int i = 0;
    for (String village : VILLAGES) {
      for (Schedule s : schedules) {
        ProgramService creator = nodes.get(i++ % nodes.size()).service();
        programs.add(creator.create(request("c1", village, s)));
      }
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                nodes.stream()
                    .allMatch(
                        n ->
                            programs.stream()
                                .allMatch(p -> n.service().armedRun(p.id()).isPresent())));
    return programs;
  }

  private void fireUntil(Instant until, List<TestCluster.Node> nodes) {
    ManualFiring.fireUntil(clock, until, nodes, driver, order);
  }

  /** Each program's runs from its creation whose play is due to go out by {@code until}. */
  private static Map<String, List<Instant>> expectedRuns(List<Program> programs, Instant until) {
    Map<String, List<Instant>> out = new HashMap<>();
    for (Program p : programs) {
      ProgramRule rule = ProgramRule.parse(p.schedule(), ZoneId.of(p.timezone()));
      List<Instant> runs = new ArrayList<>();
      Optional<Instant> next = rule.nextAfter(p.createdAt());
      while (next.isPresent() && !next.get().minus(LEAD).isAfter(until)) {
        runs.add(next.get());
        next = rule.nextAfter(next.get());
      }
      out.put(p.id(), runs);
    }
    return out;
  }

  /**
   * Every expected run was played once in total across the nodes, nothing else was played, and each
   * program's as-run log holds exactly its expected runs, dispatched on time.
   */
  private static void assertEachRunDispatchedOnce(
      List<Program> programs,
      Map<String, List<Instant>> expected,
      List<TestCluster.Node> nodes,
      TestCluster.Node reader) {
    List<String> played =
        nodes.stream()
            .flatMap(n -> n.dispatch().played.stream())
            .map(p -> p.command().runId())
            .toList();
    Map<String, Long> plays =
        played.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    assertThat(plays)
        .as("runs played more than once")
        .allSatisfy((run, n) -> assertThat(n).isOne());
    List<String> expectedIds =
        expected.entrySet().stream()
            .flatMap(e -> e.getValue().stream().map(run -> RunAudio.runId(e.getKey(), run)))
            .toList();
    assertThat(played).containsExactlyInAnyOrderElementsOf(expectedIds);

    for (Program p : programs) {
      List<ProgramRun> runs = reader.service().runs(p.id());
      assertThat(runs)
          .as("as-run log of %s", p.schedule())
          .extracting(r -> r.scheduledAt().toInstant())
          .containsExactlyElementsOf(expected.get(p.id()));
      assertThat(runs)
          .allSatisfy(
              r -> {
                assertThat(r.dispatchedAt()).isNotNull();
                assertThat(r.dispatchedAt().toInstant())
                    .isEqualTo(r.scheduledAt().toInstant().minus(LEAD));
                assertThat(r.late()).isFalse();
                assertThat(r.missed()).isFalse();
                assertThat(r.error()).isNull();
              });
    }
  }

  private static Instant at(int minutesPastNine, int seconds) {
    return NINE.plus(Duration.ofMinutes(minutesPastNine)).plusSeconds(seconds);
  }

  private static Schedule onceAt(int minutesPastNine, int seconds) {
    return Schedule.once(at(minutesPastNine, seconds).atOffset(ZoneOffset.ofHours(8)).toString());
  }
}
