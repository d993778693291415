package org.xiaolaba.scheduler;

import java.time.Instant;
import java.util.List;

/**
 * One run of a program, as terminals must hear it: what to play, where, and when to start. Sent
 * ahead of {@code startAt} so terminals can fetch the audio first.
 */
public record PlayCommand(
    String programId,
    String runId,
    String title,
    List<String> areas,
    Instant startAt,
    String priority,
    String audioUrl,
    long durationMs) {}
