package org.xiaolaba.scheduler;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One run of a program in the as-run log, written by the node that claimed it.
 *
 * @param runId {@code programId + ":" + epoch millis of scheduledAt}; terminals echo it back when
 *     they confirm playing
 * @param scheduledAt when the program was to start
 * @param dispatchedAt when {@code play} was handed to the terminals; null when it was not (see
 *     {@code error})
 * @param terminalsTargeted terminals known in the areas it was played to, online or not
 * @param terminalsReached terminals the {@code play} reached (online)
 * @param terminalsConfirmed terminals that reported playing this run
 * @param late dispatched more than a second after {@code scheduledAt}: it started then, at its
 *     dispatch (a run caught up after a restart within {@code scheduler.misfireGrace})
 * @param missed never dispatched because its time passed while no node could
 * @param error why the run (or part of it) did not go out, or null; a run preempted by a higher
 *     priority before it started reads {@code "preempted by ..."}
 * @param interruptedBy the higher-priority run that stopped this one once it was dispatched, or
 *     null
 */
public record ProgramRun(
    String runId,
    OffsetDateTime scheduledAt,
    OffsetDateTime dispatchedAt,
    int terminalsTargeted,
    int terminalsReached,
    List<String> terminalsConfirmed,
    boolean late,
    boolean missed,
    String error,
    String interruptedBy) {

  ProgramRun withFeedback(List<String> confirmed, String interrupted) {
    return new ProgramRun(
        runId,
        scheduledAt,
        dispatchedAt,
        terminalsTargeted,
        terminalsReached,
        confirmed,
        late,
        missed,
        error,
        interrupted);
  }
}
