package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Daily and weekly rules across time zones with and without DST: runs land on the wall-clock time,
 * one per matching local day, none duplicated or skipped. The one exception is a time that does not
 * exist on a spring-forward day: that run is shifted forward by the gap (02:30 in New York plays at
 * 03:30 EDT), as {@link ZonedDateTime#of} resolves it. A time that occurs twice at fall-back plays
 * once, at the first (earlier-offset) occurrence.
 */
class ProgramRulePropertiesTest {
  static final List<String> ZONES =
      List.of(
          "America/New_York",
          "Europe/London",
          "Australia/Lord_Howe",
          "America/Santiago",
          "Asia/Shanghai",
          "UTC",
          "Asia/Kolkata",
          "Pacific/Chatham");

  @Provide
  Arbitrary<ZoneId> zones() {
    return Arbitraries.of(ZONES).map(ZoneId::of);
  }

  @Provide
  Arbitrary<Instant> instants() {
    // 2020-01-01 .. 2032-01-01
    return Arbitraries.longs().between(1_577_836_800L, 1_956_528_000L).map(Instant::ofEpochSecond);
  }

  @Provide
  Arbitrary<LocalTime> times() {
    // Minutes of the day, with the DST-prone hours 00:00–03:59 drawn often.
    Arbitrary<Integer> night = Arbitraries.integers().between(0, 4 * 60 - 1);
    Arbitrary<Integer> any = Arbitraries.integers().between(0, 24 * 60 - 1);
    return Arbitraries.oneOf(night, any).map(m -> LocalTime.of(m / 60, m % 60));
  }

  @Provide
  Arbitrary<Set<DayOfWeek>> dayOfWeekSets() {
    return Arbitraries.of(DayOfWeek.class).set().ofMinSize(1).ofMaxSize(7);
  }

  @Property(tries = 300)
  void dailyRunsLandOnTheWallClockTimeOncePerLocalDay(
      @ForAll("zones") ZoneId zone,
      @ForAll("times") LocalTime time,
      @ForAll("instants") Instant from) {
    List<Instant> runs = new ProgramRule.Daily(time, zone).nextRunsAfter(from, 60);
    assertThat(runs).hasSize(60).isSorted().doesNotHaveDuplicates();
    assertThat(runs.get(0)).isAfter(from);
    LocalDate first = expectedRun(runs.get(0), time, zone).toLocalDate();
    for (int i = 0; i < runs.size(); i++) {
      LocalDate day = first.plusDays(i);
      assertThat(runs.get(i))
          .as("run %d in %s at %s", i, zone, time)
          .isEqualTo(wallClock(day, time, zone));
    }
    // Nothing was skipped between `from` and the first run.
    LocalDate before = first.minusDays(1);
    assertThat(wallClock(before, time, zone)).isBeforeOrEqualTo(from);
  }

  @Property(tries = 300)
  void weeklyRunsLandOnTheChosenDaysOnlyOncePerDay(
      @ForAll("zones") ZoneId zone,
      @ForAll("times") LocalTime time,
      @ForAll("dayOfWeekSets") Set<DayOfWeek> days,
      @ForAll("instants") Instant from) {
    List<Instant> runs =
        new ProgramRule.Weekly(EnumSet.copyOf(days), time, zone).nextRunsAfter(from, 30);
    assertThat(runs).hasSize(30).isSorted().doesNotHaveDuplicates();
    LocalDate day = from.atZone(zone).toLocalDate().minusDays(1);
    int i = 0;
    // Walk the local calendar: every chosen day after `from` has exactly its run, in order.
    while (i < runs.size()) {
      day = day.plusDays(1);
      if (!days.contains(day.getDayOfWeek())) continue;
      Instant expected = wallClock(day, time, zone);
      if (!expected.isAfter(from)) continue;
      assertThat(runs.get(i)).as("run %d in %s on %s", i, zone, day).isEqualTo(expected);
      i++;
    }
  }

  /** The instant a wall-clock time names on a day: shifted by the gap if it does not exist. */
  private static Instant wallClock(LocalDate day, LocalTime time, ZoneId zone) {
    return ZonedDateTime.of(day, time, zone).toInstant();
  }

  private static LocalDateTime expectedRun(Instant run, LocalTime time, ZoneId zone) {
    LocalDateTime local = LocalDateTime.ofInstant(run, zone);
    // A shifted run (spring-forward gap) still belongs to the day it was scheduled for.
    return local.toLocalTime().equals(time) ? local : LocalDateTime.of(local.toLocalDate(), time);
  }
}
