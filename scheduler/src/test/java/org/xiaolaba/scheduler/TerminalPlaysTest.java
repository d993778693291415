package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xiaolaba.scheduler.TestCluster.TOWN;
import static org.xiaolaba.scheduler.TestCluster.VILLAGE;
import static org.xiaolaba.scheduler.TestCluster.request;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.testing.SettableClock;

/**
 * A terminal that connects gets at once what it should hold for the rest of the day. The clock
 * stands at 08:00 in Shanghai on 2031-01-01, so Quartz fires nothing.
 */
class TerminalPlaysTest {
  static final Instant NOW = Instant.parse("2031-01-01T00:00:00Z");

  final TestCluster cluster = new TestCluster();
  final SettableClock clock = new SettableClock(NOW);

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void aTerminalGetsTheRunsPlayingAndStillToComeTodayInItsAreaAndAboveInOrder() {
    cluster.readyClip("news");
    cluster.bulletins.put(
        "2031-01-01 " + VILLAGE,
        new BulletinLookup.PlayableAudio("/media/bulletin-" + VILLAGE + ".mp3", 90_000, "b1"));
    TestCluster.Node node = cluster.node(Map.of(), clock);
    ProgramService service = node.service();
    Program village = service.create(request("news", Schedule.daily("09:00")));
    Program county =
        service.create(request("news", null, List.of("320623"), null, Schedule.daily("10:00")));
    service.create(request("news", "320623100202", Schedule.daily("11:00")));
    service.create(request("news", Schedule.once("2031-01-02T07:00:00+08:00")));
    Program bulletin =
        service.create(request(null, "bulletin", List.of(TOWN), null, Schedule.daily("12:00")));
    Emergency alarm =
        service.emergencies().start(new EmergencyRequest("预警", List.of("320623"), "news"));

    List<PlayCommand> plays = node.dispatch().attached.upcomingFor(List.of(VILLAGE));

    assertThat(plays)
        .extracting(PlayCommand::programId)
        .containsExactly(alarm.id(), village.id(), county.id(), bulletin.id());
    assertThat(plays.get(1).startAt()).isEqualTo(Instant.parse("2031-01-01T01:00:00Z"));
    assertThat(plays.get(1).runId())
        .isEqualTo(village.id() + ":" + plays.get(1).startAt().toEpochMilli());
    assertThat(plays.get(3).audioUrl()).isEqualTo("/media/bulletin-" + VILLAGE + ".mp3");
    assertThat(plays.get(3).areas()).containsExactly(VILLAGE);

    clock.advance(Duration.ofSeconds(6)); // the emergency's clip has ended
    assertThat(service.upcomingFor(List.of(VILLAGE), Instant.parse("2031-01-01T01:30:00Z")))
        .extracting(PlayCommand::programId)
        .containsExactly(village.id());
    assertThat(service.upcomingFor(List.of("999"), Instant.parse("2031-01-02T00:00:00Z")))
        .isEmpty();

    // Deleted: terminals that hold its run today are told to drop it.
    String runToday = plays.get(1).runId();
    service.delete(village.id());
    assertThat(node.dispatch().stopped)
        .containsExactly(
            new StopCommand(
                village.id(), runToday, List.of(VILLAGE), "cancelled", NOW.plusSeconds(6)));
    assertThat(node.dispatch().attached.upcomingFor(List.of(VILLAGE)))
        .extracting(PlayCommand::programId)
        .containsExactly(county.id(), bulletin.id());
  }
}
