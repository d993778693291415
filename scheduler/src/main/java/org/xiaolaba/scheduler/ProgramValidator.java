package org.xiaolaba.scheduler;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.xiaolaba.config.AreaCodes;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.media.Rendition;

/**
 * Checks a {@link ProgramRequest} field by field, in the order the fields are listed, and throws
 * {@link InvalidInputException} naming the first one at fault. Reads nothing but the area tree and
 * the clip library, and writes nothing.
 */
final class ProgramValidator {
  static final int MAX_TITLE = 200;
  static final String LOUDSPEAKER = "loudspeaker";

  /** A request that passed: every field present, parsed and normalised. */
  record Valid(
      String title,
      String clipId,
      String source,
      List<String> areas,
      Priority priority,
      ZoneId zone,
      ProgramRule rule,
      LocalDate startDate,
      LocalDate endDate,
      Long durationMs) {}

  private final AreaTree areas;
  private final ClipLookup clips;
  private final ZoneId defaultZone;
  private final Duration minCronInterval;

  ProgramValidator(AreaTree areas, ClipLookup clips, ZoneId defaultZone, Duration minCronInterval) {
    this.areas = areas;
    this.clips = clips;
    this.defaultZone = defaultZone;
    this.minCronInterval = minCronInterval;
  }

  Valid validate(ProgramRequest req, Instant now) {
    if (req == null) {
      throw new InvalidInputException(null, "expected a program: title, clipId, areas, schedule");
    }
    String title = title(req.title());
    String source = source(req.source(), req.clipId());
    Clip clip = source == null ? clip(req.clipId()) : null;
    List<String> areaCodes = areaCodes(req.areas());
    Priority priority = priority(req.priority());
    ZoneId zone = zone(req.timezone());
    ProgramRule rule = ProgramRule.parse(req.schedule(), zone);
    LocalDate startDate = date("startDate", req.startDate());
    LocalDate endDate = date("endDate", req.endDate());
    if (startDate != null && endDate != null && endDate.isBefore(startDate)) {
      throw new InvalidInputException(
          "endDate", "endDate " + endDate + " is before startDate " + startDate);
    }
    requireARun(rule, now);
    requireSpacedRuns(rule, now);
    if (startDate != null || endDate != null) {
      rule = new ProgramRule.Bounded(rule, startDate, endDate);
      if (rule.nextAfter(now).isEmpty()) {
        LocalDate today = LocalDate.ofInstant(now, zone);
        if (endDate != null && endDate.isBefore(today)) {
          throw new InvalidInputException(
              "endDate", "endDate " + endDate + " is in the past (today is " + today + ")");
        }
        throw new InvalidInputException(
            "schedule",
            "the schedule has no run between startDate "
                + (startDate == null ? "(none)" : startDate)
                + " and endDate "
                + (endDate == null ? "(none)" : endDate));
      }
    }
    return new Valid(
        title,
        clip == null ? null : clip.id(),
        source,
        areaCodes,
        priority,
        zone,
        rule,
        startDate,
        endDate,
        clip == null ? null : clip.durationMs());
  }

  private static void requireARun(ProgramRule rule, Instant now) {
    if (rule.nextAfter(now).isPresent()) return;
    ZoneId zone = rule.zone();
    if (rule instanceof ProgramRule.Once once) {
      throw new InvalidInputException(
          "schedule.once",
          once.at() + " is in the past (now is " + now.atZone(zone).toOffsetDateTime() + ")");
    }
    throw new InvalidInputException(
        rule instanceof ProgramRule.Cron ? "schedule.cron" : "schedule",
        "the schedule never fires after now (" + now.atZone(zone).toOffsetDateTime() + ")");
  }

  /** How many of a cron rule's coming runs are checked for spacing. */
  static final int CRON_RUNS_CHECKED = 1000;

  /**
   * Refuses a cron rule that runs twice within {@code scheduler.minCronInterval}, judged on its
   * next {@value #CRON_RUNS_CHECKED} runs (a pattern that bunches later is still caught within
   * years).
   */
  private void requireSpacedRuns(ProgramRule rule, Instant now) {
    if (!(rule instanceof ProgramRule.Cron)) return;
    Instant previous = rule.nextAfter(now).orElse(null);
    for (int i = 0; previous != null && i < CRON_RUNS_CHECKED; i++) {
      Instant next = rule.nextAfter(previous).orElse(null);
      if (next != null && Duration.between(previous, next).compareTo(minCronInterval) < 0) {
        throw new InvalidInputException(
            "schedule.cron",
            "runs at "
                + previous.atZone(rule.zone()).toOffsetDateTime()
                + " and again "
                + shown(Duration.between(previous, next))
                + " later; runs must be at least "
                + shown(minCronInterval)
                + " apart (scheduler.minCronInterval)");
      }
      previous = next;
    }
  }

  /** A spacing as a reader writes it: {@code 5m}, {@code 90s}. */
  private static String shown(Duration d) {
    long s = d.toSeconds();
    return s % 60 == 0 ? s / 60 + "m" : s + "s";
  }

  /** The source, or null for a clip; refuses both or neither. */
  private static String source(String source, String clipId) {
    if (source == null) return null;
    String s = source.strip();
    if (!StoredProgram.BULLETIN.equals(s)) {
      throw new InvalidInputException(
          "source",
          "expected \"bulletin\" (the day's bulletin of each area); got \"" + source + "\"");
    }
    if (clipId != null) {
      throw new InvalidInputException(
          "source", "give either clipId or source \"bulletin\", not both");
    }
    return s;
  }

  private static LocalDate date(String field, String text) {
    if (text == null) return null;
    try {
      return LocalDate.parse(text.strip());
    } catch (DateTimeParseException e) {
      throw new InvalidInputException(
          field, "expected a date yyyy-MM-dd, e.g. 2026-12-01; got \"" + text + "\"");
    }
  }

  static String title(String title) {
    if (title == null || title.isBlank()) {
      throw new InvalidInputException("title", "a title is required");
    }
    String t = title.strip();
    int length = t.codePointCount(0, t.length());
    if (length > MAX_TITLE) {
      throw new InvalidInputException(
          "title", "a title has at most " + MAX_TITLE + " characters; got " + length);
    }
    return t;
  }

  Clip clip(String clipId) {
    if (clipId == null || clipId.isBlank()) {
      throw new InvalidInputException(
          "clipId", "a clipId (the clip to play) or source \"bulletin\" is required");
    }
    String id = clipId.strip();
    Clip clip =
        clips.find(id).orElseThrow(() -> new InvalidInputException("clipId", "unknown clip " + id));
    if (clip.status() == ClipStatus.FAILED) {
      throw new InvalidInputException(
          "clipId",
          "clip "
              + id
              + " failed processing and cannot be played"
              + (clip.error() == null ? "" : ": " + clip.error()));
    }
    if (clip.status() != ClipStatus.READY) {
      throw new InvalidInputException(
          "clipId",
          "clip "
              + id
              + " is "
              + clip.status().json()
              + ", not ready; schedule it once it is ready");
    }
    Rendition loudspeaker = clip.renditions() == null ? null : clip.renditions().get(LOUDSPEAKER);
    if (loudspeaker == null || loudspeaker.url() == null) {
      throw new InvalidInputException(
          "clipId", "clip " + id + " has no loudspeaker rendition to play");
    }
    return clip;
  }

  /** The areas normalised and checked, as {@link AreaCodes} defines them. */
  List<String> areaCodes(List<String> codes) {
    return AreaCodes.parse(areas, codes, "areas");
  }

  private static Priority priority(String priority) {
    if (priority == null) return Priority.NORMAL;
    return Priority.parse(priority)
        .orElseThrow(
            () ->
                new InvalidInputException(
                    "priority", "expected normal, high or emergency; got \"" + priority + "\""));
  }

  private ZoneId zone(String timezone) {
    if (timezone == null) return defaultZone;
    String tz = timezone.strip();
    if (!ZoneId.getAvailableZoneIds().contains(tz)) {
      throw new InvalidInputException(
          "timezone",
          "unknown time zone \"" + timezone + "\"; expected an IANA name such as Asia/Shanghai");
    }
    return ZoneId.of(tz);
  }
}
