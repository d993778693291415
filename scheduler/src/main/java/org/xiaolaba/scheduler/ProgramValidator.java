package org.xiaolaba.scheduler;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;

/**
 * Checks a {@link ProgramRequest} field by field, in the order the fields are listed, and throws
 * {@link InvalidInputException} naming the first one at fault. Reads nothing but the area tree and
 * the clip library, and writes nothing.
 */
final class ProgramValidator {
  static final int MAX_TITLE = 200;

  /** A request that passed: every field present, parsed and normalised. */
  record Valid(
      String title,
      String clipId,
      List<String> areas,
      Priority priority,
      ZoneId zone,
      ProgramRule rule) {}

  private final AreaTree areas;
  private final ClipLookup clips;
  private final ZoneId defaultZone;

  ProgramValidator(AreaTree areas, ClipLookup clips, ZoneId defaultZone) {
    this.areas = areas;
    this.clips = clips;
    this.defaultZone = defaultZone;
  }

  Valid validate(ProgramRequest req, Instant now) {
    if (req == null) {
      throw new InvalidInputException(null, "expected a program: title, clipId, areas, schedule");
    }
    String title = title(req.title());
    if (req.source() != null) {
      throw new InvalidInputException(
          "source",
          "source \""
              + req.source()
              + "\" is not supported yet (the daily bulletin comes later); use clipId");
    }
    String clipId = clip(req.clipId());
    List<String> areaCodes = areaCodes(req.areas());
    Priority priority = priority(req.priority());
    ZoneId zone = zone(req.timezone());
    ProgramRule rule = ProgramRule.parse(req.schedule(), zone);
    if (rule.nextAfter(now).isEmpty()) {
      if (rule instanceof ProgramRule.Once once) {
        throw new InvalidInputException(
            "schedule.once",
            once.at() + " is in the past (now is " + now.atZone(zone).toOffsetDateTime() + ")");
      }
      throw new InvalidInputException(
          rule instanceof ProgramRule.Cron ? "schedule.cron" : "schedule",
          "the schedule never fires after now (" + now.atZone(zone).toOffsetDateTime() + ")");
    }
    return new Valid(title, clipId, areaCodes, priority, zone, rule);
  }

  private static String title(String title) {
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

  private String clip(String clipId) {
    if (clipId == null || clipId.isBlank()) {
      throw new InvalidInputException("clipId", "a clipId is required: the clip to play");
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
    return id;
  }

  private List<String> areaCodes(List<String> codes) {
    if (codes == null || codes.isEmpty()) {
      throw new InvalidInputException(
          "areas", "at least one area code is required (county, town or village)");
    }
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < codes.size(); i++) {
      String code = codes.get(i) == null ? null : codes.get(i).strip();
      if (code == null || code.isEmpty()) {
        throw new InvalidInputException("areas[" + i + "]", "expected an area code");
      }
      if (!areas.contains(code)) {
        throw new InvalidInputException("areas[" + i + "]", "unknown area code " + code);
      }
      out.add(code);
    }
    return new ArrayList<>(out);
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
