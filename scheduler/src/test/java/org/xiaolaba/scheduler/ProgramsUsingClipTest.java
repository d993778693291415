package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xiaolaba.scheduler.TestCluster.request;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.testing.SettableClock;

/**
 * Which programs still need a clip: those that play it and have a run to come. The clock stands in
 * 2031 and is moved by the test, so nothing created here fires.
 */
class ProgramsUsingClipTest {
  static final Instant NOW = Instant.parse("2031-01-01T00:00:00Z");

  final TestCluster cluster = new TestCluster();
  final SettableClock clock = new SettableClock(NOW);
  ProgramService service;

  @BeforeEach
  void startOneNode() {
    cluster.readyClip("news");
    cluster.readyClip("weather");
    service = cluster.node(Map.of(), clock).service();
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private static List<String> ids(List<Program> programs) {
    return programs.stream().map(Program::id).toList();
  }

  @Test
  void programsWithARunToComeThatPlayTheClipAreListedAndNoOthers() {
    Program daily = service.create(request("news", Schedule.daily("07:00")));
    Program once = service.create(request("news", Schedule.once("2031-01-01T10:00:00+08:00")));
    // Another village: two normal programs at 07:00 in one village would conflict.
    service.create(request("weather", "320623100202", Schedule.daily("07:00")));

    List<Program> using = service.programsUsingClip("news");

    assertThat(ids(using)).containsExactlyInAnyOrder(daily.id(), once.id());
    assertThat(using).allSatisfy(p -> assertThat(p.nextRuns()).isNotEmpty());
    assertThat(service.programsUsingClip("unknown")).isEmpty();
    assertThat(service.programsUsingClip(null)).isEmpty();
  }

  @Test
  void aProgramWhoseLastRunHasPassedNoLongerCounts() {
    Program daily = service.create(request("news", Schedule.daily("07:00")));
    service.create(request("news", Schedule.once("2031-01-01T10:00:00+08:00")));

    clock.advance(Duration.ofHours(3)); // past 10:00 in Shanghai

    assertThat(ids(service.programsUsingClip("news"))).containsExactly(daily.id());
  }

  @Test
  void aDeletedProgramNoLongerCounts() {
    Program daily = service.create(request("news", Schedule.daily("07:00")));

    service.delete(daily.id());

    assertThat(service.programsUsingClip("news")).isEmpty();
  }
}
