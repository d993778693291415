package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xiaolaba.scheduler.TestCluster.TOWN;
import static org.xiaolaba.scheduler.TestCluster.VILLAGE;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.testing.SettableClock;
import org.xiaolaba.media.ClipStatus;

/**
 * Emergencies play at once, so a settable clock drives them without Quartz; and the as-run day log
 * they write. 2031-01-01T00:00Z is 08:00 in Shanghai.
 */
class EmergencyServiceTest {
  static final Instant NOW = Instant.parse("2031-01-01T00:00:00Z");
  static final LocalDate TODAY = LocalDate.parse("2031-01-01");
  static final String COUNTY = "320623";
  static final String NEIGHBOUR = "320623100202";

  final TestCluster cluster = new TestCluster();
  final SettableClock clock = new SettableClock(NOW);
  TestCluster.Node node;
  EmergencyService emergencies;

  @BeforeEach
  void startOneNode() {
    cluster.readyClip("alarm");
    node = cluster.node(Map.of(), clock);
    emergencies = node.service().emergencies();
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void anEmergencyPlaysAtOnceOnTheTerminalsOfItsAreasAndIsInTheirDayLog() {
    Emergency e = emergencies.start(new EmergencyRequest(" 台风预警 ", List.of(VILLAGE), "alarm"));

    assertThat(e.id()).startsWith("em-");
    assertThat(e.status()).isEqualTo("playing");
    assertThat(e.title()).isEqualTo("台风预警");
    assertThat(e.startedAt().toString()).isEqualTo("2031-01-01T08:00+08:00");
    assertThat(e.endsAt().toString()).isEqualTo("2031-01-01T08:00:06+08:00");
    assertThat(e.terminalsReached()).isEqualTo(1);
    PlayCommand play = node.dispatch().played.get(0).command();
    assertThat(play)
        .isEqualTo(
            new PlayCommand(
                e.id(),
                e.runId(),
                "台风预警",
                List.of(VILLAGE),
                NOW,
                "emergency",
                "/media/alarm.mp3",
                6_000));
    assertThat(emergencies.find(e.id())).contains(e);

    for (String area : List.of(VILLAGE, TOWN, COUNTY)) {
      assertThat(node.service().asRunDay(area, TODAY))
          .as("day log of %s", area)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.programId()).isEqualTo(e.id());
                assertThat(r.priority()).isEqualTo("emergency");
                assertThat(r.dispatchedAt()).isNotNull();
                assertThat(r.terminalsTargeted()).isEqualTo(1);
              });
    }
    assertThat(node.service().asRunDay(NEIGHBOUR, TODAY)).isEmpty();
    assertThat(node.service().asRunDay(VILLAGE, TODAY.plusDays(1))).isEmpty();
    assertThatThrownBy(() -> node.service().asRunDay("999", TODAY))
        .isInstanceOfSatisfying(
            InvalidInputException.class, x -> assertThat(x.field()).isEqualTo("area"));

    node.dispatch().attached.confirmPlaying(e.runId(), "terminal-1");
    assertThat(node.service().asRunDay(VILLAGE, TODAY).get(0).terminalsConfirmed())
        .containsExactly("terminal-1");
  }

  @Test
  void callingAnEmergencyOffStopsItOnItsTerminalsOnce() {
    Emergency e = emergencies.start(new EmergencyRequest("台风预警", List.of(TOWN), "alarm"));
    clock.advance(Duration.ofSeconds(2));

    Emergency cancelled = emergencies.cancel(e.id());

    assertThat(cancelled.status()).isEqualTo("cancelled");
    assertThat(cancelled.cancelledAt().toString()).isEqualTo("2031-01-01T08:00:02+08:00");
    assertThat(node.dispatch().stopped)
        .containsExactly(
            new StopCommand(e.id(), e.runId(), List.of(TOWN), "cancelled", NOW.plusSeconds(2)));
    assertThat(emergencies.cancel(e.id())).isEqualTo(cancelled);
    assertThat(emergencies.find(e.id())).contains(cancelled);
    assertThat(node.dispatch().stopped).hasSize(1);
    assertThat(node.service().asRunDay(TOWN, TODAY).get(0).interruptedBy())
        .isEqualTo("cancelled at 2031-01-01T08:00:02+08:00");
  }

  @Test
  void anEmergencyWhoseClipHasEndedIsFinishedAndCallingItOffChangesNothing() {
    Emergency e = emergencies.start(new EmergencyRequest("台风预警", List.of(TOWN), "alarm"));
    clock.advance(Duration.ofSeconds(6));

    assertThat(emergencies.find(e.id()).orElseThrow().status()).isEqualTo("finished");
    assertThat(emergencies.cancel(e.id()).status()).isEqualTo("finished");
    assertThat(node.dispatch().stopped).isEmpty();
  }

  @Test
  void aNewerEmergencyTakesOverFromAnEarlierOneWhereTheyOverlap() {
    Emergency first = emergencies.start(new EmergencyRequest("一", List.of(VILLAGE), "alarm"));
    clock.advance(Duration.ofSeconds(1));
    Emergency second = emergencies.start(new EmergencyRequest("二", List.of(COUNTY), "alarm"));

    assertThat(node.dispatch().stopped)
        .containsExactly(
            new StopCommand(
                first.id(), first.runId(), List.of(VILLAGE), "preempted", NOW.plusSeconds(1)));
    assertThat(node.service().asRunDay(VILLAGE, TODAY))
        .filteredOn(r -> r.programId().equals(first.id()))
        .singleElement()
        .satisfies(r -> assertThat(r.interruptedBy()).contains(second.id()));
  }

  @Test
  void aRefusedEmergencyNamesTheFieldAndNeitherPlaysNorIsKept() {
    cluster.clip("raw", ClipStatus.PROCESSING, null);
    assertRefused(new EmergencyRequest(null, List.of(VILLAGE), "alarm"), "title");
    assertRefused(new EmergencyRequest("预警", List.of(), "alarm"), "areas");
    assertRefused(new EmergencyRequest("预警", List.of(VILLAGE, "12"), "alarm"), "areas[1]");
    assertRefused(new EmergencyRequest("预警", List.of(VILLAGE), "nope"), "clipId");
    assertRefused(new EmergencyRequest("预警", List.of(VILLAGE), "raw"), "clipId");
    assertThat(node.dispatch().played).isEmpty();
    assertThat(cluster.keys()).noneMatch(k -> k.contains("emergency:") || k.contains("asrun:"));
  }

  private void assertRefused(EmergencyRequest req, String field) {
    assertThatThrownBy(() -> emergencies.start(req))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field));
  }
}
