package org.xiaolaba.scheduler;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xiaolaba.config.errors.InvalidInputException;

/**
 * Quiet hours per area ({@code scheduler.quietHours}, e.g. {@code 320623: 22:00-06:00}, read on the
 * configured zone's wall clock; a range may wrap midnight). An area's quiet hours cover the areas
 * below it, so a program is held to the quiet hours of every area it plays in: its own areas, those
 * above them and those below. Only emergencies play during quiet hours. Immutable.
 */
final class QuietHours {
  /** One area's quiet range. */
  record Range(String area, LocalTime from, LocalTime to) {
    boolean wraps() {
      return !to.isAfter(from);
    }

    @Override
    public String toString() {
      return RuleParser.HH_MM.format(from) + "-" + RuleParser.HH_MM.format(to);
    }

    /** The quiet stretch that starts on {@code day}, as instants. */
    RunWindows.Window on(LocalDate day, ZoneId zone) {
      Instant start = ZonedDateTime.of(day, from, zone).toInstant();
      Instant end = ZonedDateTime.of(wraps() ? day.plusDays(1) : day, to, zone).toInstant();
      return new RunWindows.Window(start, end);
    }
  }

  private final List<Range> ranges;
  private final AreaOverlap areas;
  private final ZoneId zone;

  QuietHours(Map<String, String> config, AreaOverlap areas, ZoneId zone) {
    this.areas = areas;
    this.zone = zone;
    List<Range> r = new ArrayList<>();
    config.forEach(
        (area, text) ->
            r.add(
                new Range(
                    area,
                    LocalTime.parse(text.substring(0, 5), RuleParser.HH_MM),
                    LocalTime.parse(text.substring(6), RuleParser.HH_MM))));
    this.ranges = List.copyOf(r);
  }

  /**
   * Refuses a normal or high program with a run that would play in the quiet hours of an area it
   * reaches, naming {@code schedule}, the first such run and the quiet range. Emergencies pass.
   */
  void check(
      Priority priority, List<String> programAreas, List<RunWindows.Window> runs, ZoneId runZone) {
    if (priority == Priority.EMERGENCY || ranges.isEmpty()) return;
    List<Range> applicable =
        ranges.stream().filter(r -> areas.overlaps(List.of(r.area()), programAreas)).toList();
    if (applicable.isEmpty()) return;
    for (RunWindows.Window run : runs) {
      Optional<Range> hit = quietDuring(applicable, run);
      if (hit.isPresent()) {
        Range r = hit.get();
        throw new InvalidInputException(
            "schedule",
            "the run at "
                + run.start().atZone(runZone).toOffsetDateTime()
                + " would play during the quiet hours "
                + r
                + " ("
                + zone.getId()
                + ") of area "
                + r.area()
                + (programAreas.contains(r.area()) ? "" : ", which overlaps this program's areas")
                + "; only emergencies play then");
      }
    }
  }

  private Optional<Range> quietDuring(List<Range> applicable, RunWindows.Window run) {
    LocalDate first = LocalDate.ofInstant(run.start(), zone).minusDays(1);
    LocalDate last = LocalDate.ofInstant(run.end(), zone);
    for (Range r : applicable) {
      for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
        if (r.on(d, zone).overlaps(run)) return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
