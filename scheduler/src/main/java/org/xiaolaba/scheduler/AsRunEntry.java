package org.xiaolaba.scheduler;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One run in an area's day log ({@code GET /api/v1/asrun}): the {@link ProgramRun} with what it
 * belonged to. Emergencies appear with their emergency id as {@code programId}.
 */
public record AsRunEntry(
    String programId,
    String title,
    String runId,
    OffsetDateTime scheduledAt,
    OffsetDateTime dispatchedAt,
    String priority,
    List<String> areas,
    int terminalsTargeted,
    int terminalsReached,
    List<String> terminalsConfirmed,
    boolean late,
    boolean missed,
    String error,
    String interruptedBy) {

  static AsRunEntry of(
      String programId, String title, String priority, List<String> areas, ProgramRun r) {
    return new AsRunEntry(
        programId,
        title,
        r.runId(),
        r.scheduledAt(),
        r.dispatchedAt(),
        priority,
        List.copyOf(areas),
        r.terminalsTargeted(),
        r.terminalsReached(),
        r.terminalsConfirmed(),
        r.late(),
        r.missed(),
        r.error(),
        r.interruptedBy());
  }

  AsRunEntry withFeedback(List<String> confirmed, String interrupted) {
    return new AsRunEntry(
        programId,
        title,
        runId,
        scheduledAt,
        dispatchedAt,
        priority,
        areas,
        terminalsTargeted,
        terminalsReached,
        confirmed,
        late,
        missed,
        error,
        interrupted);
  }
}
