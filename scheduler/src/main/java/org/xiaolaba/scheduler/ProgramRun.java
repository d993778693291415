package org.xiaolaba.scheduler;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One run of a program in the as-run log, written by the node that claimed it.
 *
 * @param runId {@code programId + ":" + epoch millis of scheduledAt}; terminals echo it back when
 *     they confirm playing
 * @param scheduledAt when the program was to start (terminals' {@code startAt})
 * @param dispatchedAt when {@code play} was handed to the terminals; null when it was not (see
 *     {@code error})
 * @param terminalsReached terminals the {@code play} reached
 * @param terminalsConfirmed terminals that reported playing this run
 * @param late dispatched more than a second after {@code scheduledAt} (it reached terminals too
 *     late to start on time)
 * @param missed never dispatched because its time passed while no node could
 * @param error why the run did not go out, or null
 */
public record ProgramRun(
    String runId,
    OffsetDateTime scheduledAt,
    OffsetDateTime dispatchedAt,
    int terminalsReached,
    List<String> terminalsConfirmed,
    boolean late,
    boolean missed,
    String error) {}
