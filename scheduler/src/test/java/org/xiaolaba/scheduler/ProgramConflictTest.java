package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xiaolaba.scheduler.TestCluster.TOWN;
import static org.xiaolaba.scheduler.TestCluster.VILLAGE;
import static org.xiaolaba.scheduler.TestCluster.request;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.errors.ConflictException;

/**
 * Conflicts: same priority, overlapping areas (hierarchy included), overlapping play windows within
 * the horizon. The clock stands in 2031 (08:00 in Shanghai) so nothing created here fires.
 */
class ProgramConflictTest {
  static final Instant NOW = Instant.parse("2031-01-01T00:00:00Z");
  static final String COUNTY = "320623";
  static final String NEIGHBOUR = "320623100202";
  static final String OTHER_TOWN_VILLAGE = "320623101201";

  final TestCluster cluster = new TestCluster();
  ProgramService service;

  @BeforeEach
  void startOneNode() {
    cluster.readyClip("six-seconds");
    service = cluster.node(Map.of(), Clock.fixed(NOW, ZoneOffset.UTC)).service();
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private Program create(String area, String priority, Schedule schedule) {
    return service.create(request("six-seconds", null, List.of(area), priority, schedule));
  }

  @Test
  void aProgramPlayingWhileACountyProgramOfTheSamePriorityPlaysIsRefusedNamingItAndTheInstants() {
    Program county = create(COUNTY, null, Schedule.daily("07:00"));

    assertThatThrownBy(() -> create(VILLAGE, "normal", Schedule.cron("3 0 7 * * ?")))
        .isInstanceOfSatisfying(
            ConflictException.class,
            e -> assertThat(e.conflictsWith()).containsExactly(county.id()))
        .hasMessageContaining("program " + county.id())
        .hasMessageContaining("plays 2031-01-02T07:00+08:00 to 2031-01-02T07:00:06+08:00")
        .hasMessageContaining("this one would play 2031-01-02T07:00:03+08:00");
    assertThat(service.list()).containsExactly(county);
  }

  @Test
  void programsThatFollowEachOtherDifferInPriorityOrPlayElsewhereDoNotConflict() {
    create(COUNTY, null, Schedule.daily("07:00"));
    create(VILLAGE, null, Schedule.cron("6 0 7 * * ?")); // starts as the county's ends
    create(VILLAGE, "high", Schedule.daily("07:00"));
    create(TOWN, null, Schedule.daily("08:00"));
    create(OTHER_TOWN_VILLAGE, null, Schedule.daily("08:00"));
    assertThat(service.list()).hasSize(5);
  }

  @Test
  void runsBeyondTheHorizonAndOutsideTheDatesDoNotConflict() {
    create(VILLAGE, null, Schedule.once("2031-01-20T07:00:00+08:00")); // 19 days ahead
    create(VILLAGE, null, Schedule.daily("07:00"));
    // Stopped on the 5th and started on the 6th: never on the same day.
    service.create(
        new ProgramRequest(
            "到5日",
            "six-seconds",
            null,
            List.of(NEIGHBOUR),
            null,
            null,
            Schedule.daily("09:00"),
            null,
            "2031-01-05"));
    Program later =
        service.create(
            new ProgramRequest(
                "从6日",
                "six-seconds",
                null,
                List.of(NEIGHBOUR),
                null,
                null,
                Schedule.daily("09:00"),
                "2031-01-06",
                "2031-01-07"));
    assertThat(later.nextRuns())
        .extracting(Object::toString)
        .containsExactly("2031-01-06T09:00+08:00", "2031-01-07T09:00+08:00");
    assertThat(later.startDate()).isEqualTo("2031-01-06");
    assertThat(later.endDate()).isEqualTo("2031-01-07");
  }

  @Test
  void aBulletinProgramIsTakenToPlayTenMinutes() {
    Program bulletin =
        service.create(request(null, "bulletin", List.of(TOWN), null, Schedule.daily("07:00")));
    assertThat(bulletin.source()).isEqualTo("bulletin");
    assertThat(bulletin.clipId()).isNull();

    assertThatThrownBy(() -> create(VILLAGE, null, Schedule.daily("07:09")))
        .isInstanceOfSatisfying(
            ConflictException.class,
            e -> assertThat(e.conflictsWith()).containsExactly(bulletin.id()));
    create(VILLAGE, null, Schedule.daily("07:10"));
  }

  @Test
  void twoNodesCreatingConflictingProgramsAtOnceStoreExactlyOne() throws Exception {
    ProgramService other = cluster.node(Map.of(), Clock.fixed(NOW, ZoneOffset.UTC)).service();
    for (String time : List.of("06:00", "06:30", "07:00")) {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<Program>> attempts = new ArrayList<>();
      for (ProgramService node : List.of(service, other)) {
        attempts.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    go.await(5, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return node.create(
                      request("six-seconds", null, List.of(VILLAGE), null, Schedule.daily(time)));
                }));
      }
      go.countDown();
      long created = 0;
      long refused = 0;
      for (CompletableFuture<Program> a : attempts) {
        try {
          a.get(10, TimeUnit.SECONDS);
          created++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(ConflictException.class);
          refused++;
        }
      }
      assertThat(created).as("created at %s", time).isEqualTo(1);
      assertThat(refused).as("refused at %s", time).isEqualTo(1);
    }
    assertThat(service.list()).hasSize(3);
  }
}
