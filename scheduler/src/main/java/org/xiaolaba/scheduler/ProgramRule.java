package org.xiaolaba.scheduler;

import java.text.ParseException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TimeZone;
import java.util.stream.Collectors;
import org.quartz.CronExpression;
import org.xiaolaba.config.errors.InvalidInputException;

/**
 * When a program plays: a {@link Schedule} read in the program's time zone. Immutable and
 * thread-safe.
 *
 * <p>Daylight saving time: {@link Daily} and {@link Weekly} land on their wall-clock time on every
 * matching day, once. A time that does not exist that day (inside the spring-forward gap) plays at
 * the instant the gap ends plus the same distance, i.e. the clock time shifted by the gap's length
 * (02:30 in America/New_York on the spring-forward Sunday plays at 03:30 EDT); a time that occurs
 * twice (the fall-back overlap) plays once, at its first occurrence (the earlier offset). {@link
 * Cron} follows Quartz's {@link CronExpression} evaluated in the zone.
 */
public sealed interface ProgramRule
    permits ProgramRule.Once,
        ProgramRule.Daily,
        ProgramRule.Weekly,
        ProgramRule.Cron,
        ProgramRule.Bounded {

  ZoneId zone();

  /** The first start instant strictly after {@code after}; empty when there is none. */
  Optional<Instant> nextAfter(Instant after);

  /** The schedule this rule was read from, normalised. */
  Schedule toSchedule();

  /** Up to {@code n} start instants strictly after {@code after}, in order. */
  default List<Instant> nextRunsAfter(Instant after, int n) {
    List<Instant> out = new ArrayList<>(n);
    Instant cursor = after;
    while (out.size() < n) {
      Optional<Instant> next = nextAfter(cursor);
      if (next.isEmpty()) break;
      out.add(next.get());
      cursor = next.get();
    }
    return List.copyOf(out);
  }

  /** Plays once, at {@code at}. */
  record Once(OffsetDateTime at, ZoneId zone) implements ProgramRule {
    @Override
    public Optional<Instant> nextAfter(Instant after) {
      Instant instant = at.toInstant();
      return instant.isAfter(after) ? Optional.of(instant) : Optional.empty();
    }

    @Override
    public Schedule toSchedule() {
      return Schedule.once(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(at));
    }
  }

  /** Plays every day at {@code time} on the zone's wall clock. */
  record Daily(LocalTime time, ZoneId zone) implements ProgramRule {
    @Override
    public Optional<Instant> nextAfter(Instant after) {
      return Optional.of(nextWallClock(after, time, zone, EnumSet.allOf(DayOfWeek.class)));
    }

    @Override
    public Schedule toSchedule() {
      return Schedule.daily(RuleParser.HH_MM.format(time));
    }
  }

  /** Plays on each of {@code days} at {@code time} on the zone's wall clock. */
  record Weekly(Set<DayOfWeek> days, LocalTime time, ZoneId zone) implements ProgramRule {
    public Weekly {
      if (days.isEmpty()) throw new IllegalArgumentException("a weekly rule needs days");
      days = Set.copyOf(days);
    }

    @Override
    public Optional<Instant> nextAfter(Instant after) {
      return Optional.of(nextWallClock(after, time, zone, days));
    }

    @Override
    public Schedule toSchedule() {
      List<String> names =
          days.stream().sorted().map(RuleParser::dayName).collect(Collectors.toList());
      return Schedule.weekly(names, RuleParser.HH_MM.format(time));
    }
  }

  /**
   * Plays whenever the Quartz cron expression matches, in the zone. Quartz's {@link CronExpression}
   * is only read after construction here, which is safe across threads.
   */
  final class Cron implements ProgramRule {
    private final String expression;
    private final ZoneId zone;
    private final CronExpression cron;

    /** Throws {@link ParseException} with Quartz's message when the expression is not valid. */
    public Cron(String expression, ZoneId zone) throws ParseException {
      this.expression = expression.trim();
      this.zone = zone;
      this.cron = new CronExpression(this.expression);
      this.cron.setTimeZone(TimeZone.getTimeZone(zone));
    }

    public String expression() {
      return expression;
    }

    @Override
    public ZoneId zone() {
      return zone;
    }

    @Override
    public Optional<Instant> nextAfter(Instant after) {
      // Quartz counts in whole seconds and returns the first match strictly after the second given.
      Date next = cron.getNextValidTimeAfter(Date.from(after.truncatedTo(ChronoUnit.SECONDS)));
      return Optional.ofNullable(next).map(Date::toInstant).filter(i -> i.isAfter(after));
    }

    @Override
    public Schedule toSchedule() {
      return Schedule.cron(expression);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Cron c && c.expression.equals(expression) && c.zone.equals(zone);
    }

    @Override
    public int hashCode() {
      return expression.hashCode() * 31 + zone.hashCode();
    }

    @Override
    public String toString() {
      return "Cron[" + expression + " in " + zone + "]";
    }
  }

  /**
   * Another rule's runs that fall on or after {@code startDate} and on or before {@code endDate},
   * days on the wall clock of the rule's zone; either bound may be null (open).
   */
  record Bounded(ProgramRule rule, LocalDate startDate, LocalDate endDate) implements ProgramRule {
    public Bounded {
      if (rule instanceof Bounded) throw new IllegalArgumentException("already bounded");
      if (startDate != null && endDate != null && endDate.isBefore(startDate)) {
        throw new IllegalArgumentException("endDate " + endDate + " is before " + startDate);
      }
    }

    @Override
    public ZoneId zone() {
      return rule.zone();
    }

    @Override
    public Optional<Instant> nextAfter(Instant after) {
      Instant from = after;
      if (startDate != null) {
        Instant first = startDate.atStartOfDay(zone()).toInstant().minusNanos(1);
        if (first.isAfter(from)) from = first;
      }
      Optional<Instant> next = rule.nextAfter(from);
      if (endDate == null) return next;
      Instant end = endDate.plusDays(1).atStartOfDay(zone()).toInstant();
      return next.filter(i -> i.isBefore(end));
    }

    @Override
    public Schedule toSchedule() {
      return rule.toSchedule();
    }
  }

  /**
   * Reads a schedule in {@code zone}. Throws {@link InvalidInputException} naming the field at
   * fault ({@code schedule}, {@code schedule.once}, {@code schedule.weekly.days[2]}, ...). Does not
   * check that the rule still has runs; the caller knows what "now" is.
   */
  static ProgramRule parse(Schedule schedule, ZoneId zone) {
    return RuleParser.parse(schedule, zone);
  }

  /**
   * The first instant strictly after {@code after} at which the wall clock in {@code zone} shows
   * {@code time} on one of {@code days}; gaps and overlaps resolved as {@link ZonedDateTime#of}
   * does (later by the gap's length; the earlier offset).
   */
  private static Instant nextWallClock(
      Instant after, LocalTime time, ZoneId zone, Set<DayOfWeek> days) {
    // Start a day early: a gap-shifted run of the previous local day can still lie ahead.
    LocalDate date = LocalDate.ofInstant(after, zone).minusDays(1);
    for (int i = 0; i < 9; i++, date = date.plusDays(1)) {
      if (!days.contains(date.getDayOfWeek())) continue;
      Instant candidate = ZonedDateTime.of(date, time, zone).toInstant();
      if (candidate.isAfter(after)) return candidate;
    }
    throw new IllegalStateException("no run within 9 days for days " + days);
  }
}
