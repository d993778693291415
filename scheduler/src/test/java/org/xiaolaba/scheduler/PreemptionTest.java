package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xiaolaba.scheduler.TestCluster.TOWN;
import static org.xiaolaba.scheduler.TestCluster.VILLAGE;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;

/** Decisions against what is booked, on the real Redis, with instants chosen by the test. */
class PreemptionTest {
  static final Instant T0 = Instant.parse("2031-01-01T00:00:00Z");
  static final String NEIGHBOUR = "320623100202";

  final Settings settings = TestRedis.settings(TestRedis.uniquePrefix(), Map.of());
  final RedisHandle redis = RedisHandle.open(settings);
  final Preemption preemption =
      new Preemption(redis, Json.mapper(), new AreaOverlap(AreaTree.of(settings.areas())));

  @AfterEach
  void close() {
    redis.close();
  }

  static PlayCommand run(String id, String priority, String area, int fromSecond, int seconds) {
    return new PlayCommand(
        id,
        id + ":1",
        "title " + id,
        List.of(area),
        T0.plusSeconds(fromSecond),
        priority,
        "/media/" + id + ".mp3",
        seconds * 1000L);
  }

  @Test
  void aHigherPriorityTakesOverFromTheLowerRunPlayingWhereTheyOverlap() {
    PlayCommand normal = run("n", "normal", VILLAGE, 0, 10);
    assertThat(preemption.admit(normal, T0).play()).contains(normal);

    Preemption.Admission high = preemption.admit(run("h", "high", TOWN, 5, 10), T0);

    assertThat(high.play()).isPresent();
    assertThat(high.blockedBy()).isEmpty();
    assertThat(high.interrupts())
        .singleElement()
        .satisfies(
            i ->
                assertThat(i.stop())
                    .isEqualTo(
                        new StopCommand(
                            "n", "n:1", List.of(VILLAGE), "preempted", T0.plusSeconds(5))));
  }

  @Test
  void aLowerRunThatWouldStartDuringAHigherOneIsNotPlayed() {
    preemption.admit(run("e", "emergency", "320623", 0, 10), T0);

    Preemption.Admission normal = preemption.admit(run("n", "normal", VILLAGE, 5, 10), T0);

    assertThat(normal.play()).isEmpty();
    assertThat(normal.blockedBy())
        .singleElement()
        .satisfies(b -> assertThat(b.run().runId()).isEqualTo("e:1"));
    assertThat(normal.blockedBy().get(0).describe()).contains("program e").contains("emergency");
  }

  @Test
  void aLowerRunThatStartsBeforeAHigherOneIsBookedPlaysAndIsStoppedWhenThatOneStarts() {
    preemption.admit(run("h", "high", VILLAGE, 5, 10), T0);

    Preemption.Admission normal = preemption.admit(run("n", "normal", TOWN, 0, 10), T0);

    assertThat(normal.play()).isPresent();
    assertThat(normal.stops())
        .containsExactly(
            new StopCommand("n", "n:1", List.of(VILLAGE), "preempted", T0.plusSeconds(5)));
  }

  @Test
  void aTownRunBlockedInOneVillagePlaysInTheRestOfTheTown() {
    preemption.admit(run("h", "high", VILLAGE, 0, 10), T0);

    Preemption.Admission normal = preemption.admit(run("n", "normal", TOWN, 2, 5), T0);

    assertThat(normal.play().orElseThrow().areas()).containsExactly(NEIGHBOUR);
    assertThat(normal.blockedBy())
        .singleElement()
        .satisfies(b -> assertThat(b.areas()).containsExactly(VILLAGE));
  }

  @Test
  void runsOfOnePriorityBothPlayAndRunsThatDoNotOverlapAreLeftAlone() {
    preemption.admit(run("a", "normal", VILLAGE, 0, 10), T0);
    Preemption.Admission same = preemption.admit(run("b", "normal", TOWN, 5, 10), T0);
    Preemption.Admission after = preemption.admit(run("c", "high", VILLAGE, 15, 10), T0);
    Preemption.Admission elsewhere = preemption.admit(run("d", "high", "320623101201", 0, 10), T0);

    for (Preemption.Admission a : List.of(same, after, elsewhere)) {
      assertThat(a.play()).isPresent();
      assertThat(a.interrupts()).isEmpty();
      assertThat(a.stops()).isEmpty();
    }
  }

  @Test
  void aTerminalHoldsTheRunsBookedForItsAreaAndAboveUntilTheyEndAndNoLongerOnceReleased() {
    preemption.admit(run("county", "normal", "320623", 0, 10), T0);
    preemption.admit(run("village", "high", VILLAGE, 20, 10), T0);
    preemption.admit(run("neighbour", "normal", NEIGHBOUR, 0, 10), T0);
    preemption.admit(run("tomorrow", "normal", VILLAGE, 86_400, 10), T0);

    assertThat(preemption.coveringTerminal(List.of(VILLAGE), T0, T0.plusSeconds(3600)))
        .extracting(PlayCommand::programId)
        .containsExactlyInAnyOrder("county", "village");
    assertThat(
            preemption.coveringTerminal(List.of(VILLAGE), T0.plusSeconds(10), T0.plusSeconds(3600)))
        .extracting(PlayCommand::programId)
        .containsExactly("village");

    assertThat(preemption.release("village:1", List.of(VILLAGE), T0)).isTrue();
    assertThat(
            preemption.coveringTerminal(List.of(VILLAGE), T0.plusSeconds(10), T0.plusSeconds(3600)))
        .isEmpty();
  }
}
