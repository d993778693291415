package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgramRuleTest {
  static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");
  static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  private static List<String> next(Schedule s, ZoneId zone, String after, int n) {
    ProgramRule rule = ProgramRule.parse(s, zone);
    return rule.nextRunsAfter(Instant.parse(after), n).stream()
        .map(i -> i.atZone(zone).toOffsetDateTime().toString())
        .toList();
  }

  @Test
  void aDailyRuleInShanghaiPlaysAtItsTimeEveryDayStartingTomorrowOnceTodayIsPast() {
    // 2026-11-27T08:00+08:00: 07:30 has passed today.
    assertThat(next(Schedule.daily("07:30"), SHANGHAI, "2026-11-27T00:00:00Z", 3))
        .containsExactly(
            "2026-11-28T07:30+08:00", "2026-11-29T07:30+08:00", "2026-11-30T07:30+08:00");
  }

  @Test
  void aDailyRuleStillPlaysTodayWhenItsTimeIsAhead() {
    assertThat(next(Schedule.daily("18:00"), SHANGHAI, "2026-11-27T00:00:00Z", 1))
        .containsExactly("2026-11-27T18:00+08:00");
  }

  @Test
  void aWeeklyRulePlaysOnlyOnItsDaysWhateverOrderTheyAreGivenIn() {
    // 2026-11-27 is a Friday.
    assertThat(
            next(
                Schedule.weekly(List.of("fri", "MON", "WED"), "06:30"),
                SHANGHAI,
                "2026-11-27T00:00:00Z",
                4))
        .containsExactly(
            "2026-11-30T06:30+08:00",
            "2026-12-02T06:30+08:00",
            "2026-12-04T06:30+08:00",
            "2026-12-07T06:30+08:00");
  }

  @Test
  void aCronRuleIsReadInTheProgramsZone() {
    assertThat(next(Schedule.cron("0 0 6,18 * * ?"), SHANGHAI, "2026-11-27T00:00:00Z", 3))
        .containsExactly(
            "2026-11-27T18:00+08:00", "2026-11-28T06:00+08:00", "2026-11-28T18:00+08:00");
  }

  @Test
  void aOnceRuleHasOneRunAndNoneAfterIt() {
    ProgramRule rule = ProgramRule.parse(Schedule.once("2026-11-28T08:00:00+08:00"), SHANGHAI);
    assertThat(rule.nextRunsAfter(Instant.parse("2026-11-27T00:00:00Z"), 5))
        .containsExactly(Instant.parse("2026-11-28T00:00:00Z"));
    assertThat(rule.nextAfter(Instant.parse("2026-11-28T00:00:00Z"))).isEmpty();
  }

  @Test
  void aDailyRuleInNewYorkKeepsItsWallClockTimeAcrossTheSpringForwardChange() {
    // Clocks go from 02:00 EST to 03:00 EDT on Sunday 2026-03-08.
    List<String> runs = next(Schedule.daily("08:00"), NEW_YORK, "2026-03-06T14:00:00Z", 3);
    assertThat(runs)
        .containsExactly(
            "2026-03-07T08:00-05:00", "2026-03-08T08:00-04:00", "2026-03-09T08:00-04:00");
    assertThat(
            Duration.between(OffsetDateTime.parse(runs.get(0)), OffsetDateTime.parse(runs.get(1))))
        .isEqualTo(Duration.ofHours(23));
  }

  @Test
  void aDailyRuleInNewYorkKeepsItsWallClockTimeAcrossTheFallBackChange() {
    // Clocks go from 02:00 EDT back to 01:00 EST on Sunday 2026-11-01.
    assertThat(next(Schedule.daily("08:00"), NEW_YORK, "2026-10-30T14:00:00Z", 3))
        .containsExactly(
            "2026-10-31T08:00-04:00", "2026-11-01T08:00-05:00", "2026-11-02T08:00-05:00");
  }

  @Test
  void aTimeInsideTheSpringForwardGapPlaysOnceThatDayShiftedByTheGap() {
    assertThat(next(Schedule.daily("02:30"), NEW_YORK, "2026-03-07T12:00:00Z", 2))
        .containsExactly("2026-03-08T03:30-04:00", "2026-03-09T02:30-04:00");
  }

  @Test
  void aTimeInsideTheFallBackOverlapPlaysOnceAtItsFirstOccurrence() {
    assertThat(next(Schedule.daily("01:30"), NEW_YORK, "2026-10-31T12:00:00Z", 2))
        .containsExactly("2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00");
  }

  @Test
  void aWeeklyRuleInNewYorkPlaysOnTheWallClockAcrossADSTChange() {
    assertThat(
            next(
                Schedule.weekly(List.of("SUN", "SAT"), "09:15"),
                NEW_YORK,
                "2026-03-01T00:00:00Z",
                4))
        .containsExactly(
            "2026-03-01T09:15-05:00",
            "2026-03-07T09:15-05:00",
            "2026-03-08T09:15-04:00",
            "2026-03-14T09:15-04:00");
  }

  @Test
  void aCronRuleInNewYorkPlaysOnTheWallClockAcrossADSTChange() {
    assertThat(next(Schedule.cron("0 0 8 * * ?"), NEW_YORK, "2026-03-06T14:00:00Z", 3))
        .containsExactly(
            "2026-03-07T08:00-05:00", "2026-03-08T08:00-04:00", "2026-03-09T08:00-04:00");
  }

  @Test
  void rulesGiveBackTheirScheduleNormalised() {
    assertThat(
            ProgramRule.parse(Schedule.weekly(List.of("wed", "MON", "wed"), "07:05"), SHANGHAI)
                .toSchedule())
        .isEqualTo(Schedule.weekly(List.of("MON", "WED"), "07:05"));
    assertThat(ProgramRule.parse(Schedule.once("2026-11-27T08:00+08:00"), SHANGHAI).toSchedule())
        .isEqualTo(Schedule.once("2026-11-27T08:00:00+08:00"));
    assertThat(ProgramRule.parse(Schedule.daily("23:59"), SHANGHAI))
        .isEqualTo(new ProgramRule.Daily(LocalTime.of(23, 59), SHANGHAI));
  }
}
