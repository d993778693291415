package org.xiaolaba.scheduler;

import java.time.Instant;
import java.util.List;

/**
 * One run of a program, as terminals must hear it: what to play, where, and when to start. Sent
 * ahead of {@code startAt} so terminals can fetch the audio first. Terminals treat a second {@code
 * play} with the same {@code runId} as the same run.
 */
public record PlayCommand(
    String programId,
    String runId,
    String title,
    List<String> areas,
    Instant startAt,
    String priority,
    String audioUrl,
    long durationMs) {

  /** When the audio ends: {@code startAt + durationMs}. */
  public Instant endAt() {
    return startAt.plusMillis(durationMs);
  }

  /** The same command for other areas. */
  public PlayCommand withAreas(List<String> other) {
    return new PlayCommand(
        programId, runId, title, List.copyOf(other), startAt, priority, audioUrl, durationMs);
  }
}
