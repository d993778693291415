package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xiaolaba.scheduler.TestCluster.VILLAGE;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.media.ClipStatus;

/**
 * Every refused request names its field and stores nothing. The clock stands in 2031 so nothing
 * created here ever fires during the test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProgramValidationTest {
  static final Instant NOW = Instant.parse("2031-01-01T00:00:00Z");

  TestCluster cluster;
  ProgramService service;

  @BeforeAll
  void startOneNode() {
    cluster = new TestCluster();
    cluster.readyClip("ready");
    cluster.clip("processing", ClipStatus.PROCESSING, null);
    cluster.clip("broken", ClipStatus.FAILED, "not audio: no audio stream found");
    service = cluster.node(Map.of(), Clock.fixed(NOW, ZoneOffset.UTC)).service();
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  static ProgramRequest valid() {
    return new ProgramRequest(
        "早间广播",
        "ready",
        null,
        List.of(VILLAGE),
        "high",
        "Asia/Shanghai",
        Schedule.daily("07:00"),
        null,
        null);
  }

  static ProgramRequest withTitle(String title) {
    ProgramRequest v = valid();
    return new ProgramRequest(
        title,
        v.clipId(),
        v.source(),
        v.areas(),
        v.priority(),
        v.timezone(),
        v.schedule(),
        null,
        null);
  }

  static ProgramRequest withClip(String clipId, String source) {
    ProgramRequest v = valid();
    return new ProgramRequest(
        v.title(), clipId, source, v.areas(), v.priority(), v.timezone(), v.schedule(), null, null);
  }

  static ProgramRequest withAreas(List<String> areas) {
    ProgramRequest v = valid();
    return new ProgramRequest(
        v.title(),
        v.clipId(),
        v.source(),
        areas,
        v.priority(),
        v.timezone(),
        v.schedule(),
        null,
        null);
  }

  static ProgramRequest withPriorityAndZone(String priority, String timezone) {
    ProgramRequest v = valid();
    return new ProgramRequest(
        v.title(), v.clipId(), v.source(), v.areas(), priority, timezone, v.schedule(), null, null);
  }

  static ProgramRequest withSchedule(Schedule schedule) {
    ProgramRequest v = valid();
    return new ProgramRequest(
        v.title(),
        v.clipId(),
        v.source(),
        v.areas(),
        v.priority(),
        v.timezone(),
        schedule,
        null,
        null);
  }

  static ProgramRequest withDates(String startDate, String endDate) {
    ProgramRequest v = valid();
    return new ProgramRequest(
        v.title(),
        v.clipId(),
        v.source(),
        v.areas(),
        v.priority(),
        v.timezone(),
        v.schedule(),
        startDate,
        endDate);
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of("a missing title", withTitle(null), "title", "required"),
        Arguments.of("a blank title", withTitle("   "), "title", "required"),
        Arguments.of("a title over 200 characters", withTitle("播".repeat(201)), "title", "200"),
        Arguments.of("an unknown source", withClip(null, "radio"), "source", "\"radio\""),
        Arguments.of(
            "both a clip and a source", withClip("ready", "bulletin"), "source", "not both"),
        Arguments.of(
            "a clip still processing", withClip("processing", null), "clipId", "not ready"),
        Arguments.of("a missing clip", withClip(null, null), "clipId", "required"),
        Arguments.of("an unknown clip", withClip("nope", null), "clipId", "unknown clip nope"),
        Arguments.of("a failed clip", withClip("broken", null), "clipId", "no audio stream"),
        Arguments.of("no areas", withAreas(List.of()), "areas", "at least one"),
        Arguments.of("missing areas", withAreas(null), "areas", "at least one"),
        Arguments.of(
            "an unknown second area",
            withAreas(List.of(VILLAGE, "123")),
            "areas[1]",
            "unknown area code '123'"),
        Arguments.of(
            "an unknown priority", withPriorityAndZone("urgent", null), "priority", "urgent"),
        Arguments.of(
            "an unknown time zone",
            withPriorityAndZone(null, "Mars/Olympus"),
            "timezone",
            "Mars/Olympus"),
        Arguments.of(
            "an offset instead of a zone", withPriorityAndZone(null, "+08:00"), "timezone", "IANA"),
        Arguments.of("no schedule", withSchedule(null), "schedule", "exactly one"),
        Arguments.of(
            "an empty schedule",
            withSchedule(new Schedule(null, null, null, null)),
            "schedule",
            "got none"),
        Arguments.of(
            "two schedules",
            withSchedule(new Schedule("2031-02-01T08:00:00+08:00", "07:00", null, null)),
            "schedule",
            "got once and daily"),
        Arguments.of(
            "an unparsable once",
            withSchedule(Schedule.once("tomorrow morning")),
            "schedule.once",
            "ISO-8601"),
        Arguments.of(
            "a once without an offset",
            withSchedule(Schedule.once("2031-02-01T08:00:00")),
            "schedule.once",
            "with offset"),
        Arguments.of(
            "a once in the past",
            withSchedule(Schedule.once("2030-12-31T08:00:00+08:00")),
            "schedule.once",
            "in the past"),
        Arguments.of(
            "a daily at 25:00", withSchedule(Schedule.daily("25:00")), "schedule.daily", "25:00"),
        Arguments.of(
            "a daily without minutes",
            withSchedule(Schedule.daily("7")),
            "schedule.daily",
            "HH:mm"),
        Arguments.of(
            "a weekly without days",
            withSchedule(Schedule.weekly(List.of(), "07:00")),
            "schedule.weekly.days",
            "at least one day"),
        Arguments.of(
            "a weekly with an unknown second day",
            withSchedule(Schedule.weekly(List.of("MON", "FUNDAY"), "07:00")),
            "schedule.weekly.days[1]",
            "FUNDAY"),
        Arguments.of(
            "a weekly without a time",
            withSchedule(Schedule.weekly(List.of("MON"), null)),
            "schedule.weekly.time",
            "HH:mm"),
        Arguments.of(
            "a weekly at 7am",
            withSchedule(Schedule.weekly(List.of("MON"), "7am")),
            "schedule.weekly.time",
            "7am"),
        Arguments.of(
            "a cron with an hour of 25",
            withSchedule(Schedule.cron("0 0 25 * * ?")),
            "schedule.cron",
            "Quartz cron"),
        Arguments.of(
            "a cron with too few fields",
            withSchedule(Schedule.cron("0 0 7")),
            "schedule.cron",
            "Quartz cron"),
        Arguments.of(
            "a cron that never fires again",
            withSchedule(Schedule.cron("0 0 7 1 1 ? 2030")),
            "schedule.cron",
            "never fires"),
        Arguments.of(
            "a cron every minute",
            withSchedule(Schedule.cron("0 * * * * ?")),
            "schedule.cron",
            "again 1m later; runs must be at least 5m apart (scheduler.minCronInterval)"),
        Arguments.of(
            "a cron every second",
            withSchedule(Schedule.cron("* * 7 * * ?")),
            "schedule.cron",
            "again 1s later"),
        Arguments.of(
            "a cron whose runs bunch at one hour only",
            withSchedule(Schedule.cron("0 0,2 8 * * ?")),
            "schedule.cron",
            "2m later"),
        Arguments.of(
            "an unparsable startDate", withDates("2031-13-01", null), "startDate", "yyyy-MM-dd"),
        Arguments.of(
            "an endDate before the startDate",
            withDates("2031-02-01", "2031-01-31"),
            "endDate",
            "before startDate 2031-02-01"),
        Arguments.of(
            "an endDate in the past", withDates(null, "2030-12-30"), "endDate", "in the past"),
        Arguments.of(
            "a once outside its dates",
            new ProgramRequest(
                "早间广播",
                "ready",
                null,
                List.of(VILLAGE),
                null,
                null,
                Schedule.once("2031-02-01T08:00:00+08:00"),
                "2031-03-01",
                null),
            "schedule",
            "no run between startDate 2031-03-01"));
  }

  @ParameterizedTest(name = "{0} is refused, naming {2}")
  @MethodSource("refusals")
  void aRefusedRequestNamesTheFieldAtFaultAndStoresNothing(
      String what, ProgramRequest request, String field, String detail) {
    assertThatThrownBy(() -> service.create(request))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field))
        .hasMessageContaining(detail);
    assertThat(service.list()).isEmpty();
    assertThat(cluster.keys()).isEmpty();
  }

  @Test
  void aValidRequestIsStoredNormalisedWithItsDefaultsAndUpcomingRuns() {
    Program p =
        service.create(
            new ProgramRequest(
                " 晚间新闻 ",
                "ready",
                null,
                List.of(VILLAGE, TestCluster.TOWN, VILLAGE),
                null,
                null,
                Schedule.weekly(List.of("sun", "mon"), "19:30"),
                null,
                null));
    try {
      assertThat(p.id()).isNotBlank();
      assertThat(p.title()).isEqualTo("晚间新闻");
      assertThat(p.areas()).containsExactly(VILLAGE, TestCluster.TOWN);
      assertThat(p.priority()).isEqualTo("normal");
      assertThat(p.timezone()).isEqualTo("Asia/Shanghai");
      assertThat(p.schedule()).isEqualTo(Schedule.weekly(List.of("MON", "SUN"), "19:30"));
      assertThat(p.createdAt()).isEqualTo(NOW);
      // 2031-01-01 is a Wednesday.
      assertThat(p.nextRuns())
          .extracting(Object::toString)
          .containsExactly(
              "2031-01-05T19:30+08:00",
              "2031-01-06T19:30+08:00",
              "2031-01-12T19:30+08:00",
              "2031-01-13T19:30+08:00",
              "2031-01-19T19:30+08:00");
      assertThat(service.find(p.id())).contains(p);
      assertThat(service.list()).containsExactly(p);
      assertThat(service.runs(p.id())).isEmpty();
    } finally {
      assertThat(service.delete(p.id())).isTrue();
    }
    assertThat(service.find(p.id())).isEmpty();
    assertThat(service.delete(p.id())).isFalse();
  }

  @Test
  void aCronRuleWhoseRunsAreTheMinimumIntervalApartIsTaken() {
    Program p = service.create(withSchedule(Schedule.cron("0 0/5 7 * * ?")));
    try {
      assertThat(p.nextRuns())
          .extracting(Object::toString)
          .startsWith("2031-01-02T07:00+08:00", "2031-01-02T07:05+08:00");
    } finally {
      service.delete(p.id());
    }
  }

  @Test
  void nextRunsOfADailyProgramInNewYorkFollowTheWallClockAcrossTheSpringForwardChange() {
    // The service's clock is fixed at 2031-01-01; DST starts in New York on 2031-03-09.
    Program p =
        service.create(
            new ProgramRequest(
                "Morning",
                "ready",
                null,
                List.of(VILLAGE),
                null,
                "America/New_York",
                Schedule.cron("0 0 8 ? * SUN#2 2031"),
                null,
                null));
    try {
      assertThat(p.nextRuns())
          .extracting(Object::toString)
          .containsExactly(
              "2031-01-12T08:00-05:00",
              "2031-02-09T08:00-05:00",
              "2031-03-09T08:00-04:00",
              "2031-04-13T08:00-04:00",
              "2031-05-11T08:00-04:00");
    } finally {
      service.delete(p.id());
    }
  }

  @Test
  void runsOfAnUnknownProgramAreNotFound() {
    assertThatThrownBy(() -> service.runs("no-such-program"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("no-such-program");
  }

  @Test
  void aConfirmationWithoutARunIdOrTerminalIsRefused() {
    assertThatThrownBy(() -> service.confirmPlaying("garbage", "t1"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("runId"));
    assertThatThrownBy(() -> service.confirmPlaying("p:123", " "))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("terminalId"));
  }
}
