package org.xiaolaba.scheduler;

import java.text.ParseException;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.xiaolaba.config.errors.InvalidInputException;

/** Reads a {@link Schedule} into a {@link ProgramRule}, naming the field at fault. */
final class RuleParser {
  private RuleParser() {}

  static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);

  /**
   * Reads a schedule in {@code zone}. Throws {@link InvalidInputException} naming the field at
   * fault ({@code schedule}, {@code schedule.once}, {@code schedule.weekly.days[2]}, ...). Does not
   * check that the rule still has runs; the caller knows what "now" is.
   */
  static ProgramRule parse(Schedule schedule, ZoneId zone) {
    if (schedule == null) {
      throw new InvalidInputException(
          "schedule", "a schedule is required: exactly one of once, daily, weekly, cron");
    }
    List<String> given = new ArrayList<>();
    if (schedule.once() != null) given.add("once");
    if (schedule.daily() != null) given.add("daily");
    if (schedule.weekly() != null) given.add("weekly");
    if (schedule.cron() != null) given.add("cron");
    if (given.size() != 1) {
      throw new InvalidInputException(
          "schedule",
          "expected exactly one of once, daily, weekly, cron; got "
              + (given.isEmpty() ? "none" : String.join(" and ", given)));
    }
    if (schedule.once() != null) {
      try {
        return new ProgramRule.Once(OffsetDateTime.parse(schedule.once().trim()), zone);
      } catch (DateTimeParseException e) {
        throw new InvalidInputException(
            "schedule.once",
            "expected an ISO-8601 date and time with offset, e.g. 2026-11-27T08:00:00+08:00; got \""
                + schedule.once()
                + "\"");
      }
    }
    if (schedule.daily() != null) {
      return new ProgramRule.Daily(wallClockTime("schedule.daily", schedule.daily()), zone);
    }
    if (schedule.weekly() != null) {
      Schedule.Weekly w = schedule.weekly();
      if (w.days() == null || w.days().isEmpty()) {
        throw new InvalidInputException(
            "schedule.weekly.days",
            "expected at least one day of MON, TUE, WED, THU, FRI, SAT, SUN");
      }
      Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
      for (int i = 0; i < w.days().size(); i++) {
        days.add(day("schedule.weekly.days[" + i + "]", w.days().get(i)));
      }
      if (w.time() == null) {
        throw new InvalidInputException("schedule.weekly.time", "expected a time HH:mm");
      }
      return new ProgramRule.Weekly(days, wallClockTime("schedule.weekly.time", w.time()), zone);
    }
    try {
      return new ProgramRule.Cron(schedule.cron(), zone);
    } catch (ParseException e) {
      throw new InvalidInputException(
          "schedule.cron",
          "not a valid Quartz cron expression (seconds minutes hours day-of-month month"
              + " day-of-week [year]): "
              + e.getMessage());
    } catch (RuntimeException e) {
      // Quartz throws unchecked exceptions for some malformed input (e.g. an empty expression).
      throw new InvalidInputException(
          "schedule.cron",
          "not a valid Quartz cron expression (seconds minutes hours day-of-month month"
              + " day-of-week [year]): \""
              + schedule.cron()
              + "\"");
    }
  }

  private static LocalTime wallClockTime(String field, String text) {
    if (!HH_MM_PATTERN.matcher(text.trim()).matches()) {
      throw new InvalidInputException(
          field, "expected a time HH:mm from 00:00 to 23:59; got \"" + text + "\"");
    }
    try {
      return LocalTime.parse(text.trim(), HH_MM);
    } catch (DateTimeException e) {
      throw new InvalidInputException(
          field, "expected a time HH:mm from 00:00 to 23:59; got \"" + text + "\"");
    }
  }

  private static final Pattern HH_MM_PATTERN = Pattern.compile("([01]\\d|2[0-3]):[0-5]\\d");

  private static DayOfWeek day(String field, String text) {
    if (text != null) {
      String t = text.trim().toUpperCase(Locale.ROOT);
      for (DayOfWeek d : DayOfWeek.values()) {
        if (dayName(d).equals(t)) return d;
      }
    }
    throw new InvalidInputException(
        field, "expected one of MON, TUE, WED, THU, FRI, SAT, SUN; got \"" + text + "\"");
  }

  static String dayName(DayOfWeek d) {
    return d.name().substring(0, 3);
  }
}
