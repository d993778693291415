package org.xiaolaba.scheduler;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;

/**
 * A program as kept in Redis (JSON at {@code program:<id>}): what was validated, without anything
 * derived from "now". New fields must be optional so older records still read.
 */
record StoredProgram(
    String id,
    String title,
    String clipId,
    List<String> areas,
    String priority,
    String timezone,
    Schedule schedule,
    Instant createdAt) {

  ZoneId zone() {
    return ZoneId.of(timezone);
  }

  /** The rule; stored schedules were validated, so this does not throw for them. */
  ProgramRule rule() {
    return ProgramRule.parse(schedule, zone());
  }

  Program view(Instant now, int nextRunsShown) {
    ZoneId zone = zone();
    List<OffsetDateTime> next =
        rule().nextRunsAfter(now, nextRunsShown).stream()
            .map(i -> i.atZone(zone).toOffsetDateTime())
            .toList();
    return new Program(id, title, clipId, areas, priority, timezone, schedule, createdAt, next);
  }
}
