package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xiaolaba.scheduler.TestCluster.VILLAGE;
import static org.xiaolaba.scheduler.TestCluster.request;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.errors.InvalidInputException;

/** Quiet hours 22:00-06:00 for one town: only emergencies play there then. */
class QuietHoursTest {
  static final Instant NOW = Instant.parse("2031-01-01T00:00:00Z");
  static final String QUIET_TOWN = "320623100";

  final TestCluster cluster = new TestCluster();
  ProgramService service;

  @BeforeEach
  void startOneNode() {
    cluster.readyClip("six-seconds");
    service =
        cluster
            .nodeWith(
                Map.of(),
                Clock.fixed(NOW, ZoneOffset.UTC),
                s -> TestCluster.withQuietHours(s, Map.of(QUIET_TOWN, "22:00-06:00")))
            .service();
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private Program create(String area, String priority, Schedule schedule) {
    return service.create(request("six-seconds", null, List.of(area), priority, schedule));
  }

  @Test
  void aNormalProgramAtNightInAVillageOfTheQuietTownIsRefusedNamingTheWindow() {
    assertThatThrownBy(() -> create(VILLAGE, "high", Schedule.daily("23:00")))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("schedule"))
        .hasMessageContaining("2031-01-01T23:00+08:00")
        .hasMessageContaining("quiet hours 22:00-06:00 (Asia/Shanghai) of area " + QUIET_TOWN)
        .hasMessageContaining("only emergencies");
    assertThat(cluster.keys()).isEmpty();
  }

  @Test
  void aCountyProgramThatWouldStillPlayAtTheStartOfTheQuietHoursIsRefused() {
    assertThatThrownBy(() -> create("320623", null, Schedule.cron("58 59 21 * * ?")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("which overlaps this program's areas");
  }

  @Test
  void emergenciesDaytimeProgramsAndOtherTownsAreNotHeldToTheQuietHours() {
    create(VILLAGE, "emergency", Schedule.daily("23:00"));
    create(VILLAGE, null, Schedule.daily("06:00"));
    create(VILLAGE, null, Schedule.cron("54 59 21 * * ?")); // ends at 22:00:00
    create("320623101201", null, Schedule.daily("23:00"));
    assertThat(service.list()).hasSize(4);
  }
}
