package org.xiaolaba.scheduler;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * An emergency broadcast: it started when it was called, plays until its clip ends, and can be
 * called off before.
 *
 * @param status {@code playing}, {@code finished} (the clip has ended) or {@code cancelled}
 * @param runId the run terminals echo back, and its as-run record's id
 * @param error what kept it from reaching some terminals (a newer emergency over it), or null
 */
public record Emergency(
    String id,
    String title,
    String clipId,
    List<String> areas,
    String priority,
    String status,
    String runId,
    OffsetDateTime startedAt,
    OffsetDateTime endsAt,
    OffsetDateTime cancelledAt,
    int terminalsTargeted,
    int terminalsReached,
    String error) {

  static final String PLAYING = "playing";
  static final String FINISHED = "finished";
  static final String CANCELLED = "cancelled";

  /** As it stands at {@code now}: finished once its clip has ended. */
  Emergency at(Instant now) {
    if (cancelledAt != null || now.isBefore(endsAt.toInstant())) return this;
    return withStatus(FINISHED, null);
  }

  Emergency cancelled(OffsetDateTime at) {
    return withStatus(CANCELLED, at);
  }

  private Emergency withStatus(String s, OffsetDateTime cancelled) {
    return new Emergency(
        id,
        title,
        clipId,
        areas,
        priority,
        s,
        runId,
        startedAt,
        endsAt,
        cancelled,
        terminalsTargeted,
        terminalsReached,
        error);
  }
}
