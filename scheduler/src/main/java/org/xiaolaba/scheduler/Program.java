package org.xiaolaba.scheduler;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A stored program as the API shows it. {@code schedule} is normalised (days upper case, {@code
 * once} with seconds); {@code nextRuns} are the upcoming start instants in the program's time zone,
 * as many as {@code scheduler.nextRunsShown}.
 */
public record Program(
    String id,
    String title,
    String clipId,
    List<String> areas,
    String priority,
    String timezone,
    Schedule schedule,
    Instant createdAt,
    List<OffsetDateTime> nextRuns) {}
