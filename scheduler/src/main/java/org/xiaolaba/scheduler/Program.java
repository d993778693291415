package org.xiaolaba.scheduler;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A stored program as the API shows it. {@code schedule} is normalised (days upper case, {@code
 * once} with seconds); {@code updatedAt} is null until it is changed in place; {@code nextRuns} are
 * the upcoming start instants in the program's time zone, as many as {@code
 * scheduler.nextRunsShown}, within {@code startDate} and {@code endDate}. Either {@code clipId} or
 * {@code source} is set. {@code version} names this content (the {@code ETag}; a change made with a
 * stale {@code If-Match} is refused).
 */
public record Program(
    String id,
    String title,
    String clipId,
    String source,
    List<String> areas,
    String priority,
    String timezone,
    Schedule schedule,
    String startDate,
    String endDate,
    Instant createdAt,
    Instant updatedAt,
    List<OffsetDateTime> nextRuns,
    String version) {}
