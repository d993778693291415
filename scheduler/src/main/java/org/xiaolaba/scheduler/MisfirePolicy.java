package org.xiaolaba.scheduler;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs whose time came while no node was there to fire them (all nodes down, or a node catching up
 * after it was stopped): the latest, if it is at most {@code scheduler.misfireGrace} old, plays
 * late (it starts at dispatch and is logged {@code late}); every other is logged {@code missed}.
 * Each is claimed like any run, so exactly one node plays or records it. Never silently dropped,
 * but bounded: at most {@link #MISSED_RECORDED} missed runs are recorded one by one per program and
 * catch-up; older ones are counted in the log line.
 */
final class MisfirePolicy {
  private static final Logger log = LoggerFactory.getLogger(MisfirePolicy.class);
  private final LongAdder missed = new LongAdder();

  static final int MISSED_RECORDED = 50;

  /** Runs walked at most per program and catch-up (a rule firing every second, down for a day). */
  static final int MAX_SCAN = 100_000;

  /**
   * Runs due between the last fired run and now: to record missed, and the one to play late; and
   * the first run still to come, found on the way.
   */
  record Plan(
      List<Instant> missed, int olderMissed, Optional<Instant> late, Optional<Instant> upcoming) {
    static Plan none(Optional<Instant> upcoming) {
      return new Plan(List.of(), 0, Optional.empty(), upcoming);
    }
  }

  private final Duration grace;
  private final Claims claims;
  private final AsRunLog asRun;

  MisfirePolicy(Duration grace, Claims claims, AsRunLog asRun) {
    this.grace = grace;
    this.claims = claims;
    this.asRun = asRun;
  }

  Duration grace() {
    return grace;
  }

  /** Runs this node has logged missed since it started (counted, not each recorded, past a cap). */
  long missedRuns() {
    return missed.sum();
  }

  /** Logs one run {@code missed}, with why; the caller holds its claim. */
  void recordOneMissed(StoredProgram p, Instant run, String why) {
    missed.increment();
    ZoneId zone = p.zone();
    asRun.record(
        p.id(),
        p.title(),
        p.priority(),
        p.areas(),
        new ProgramRun(
            RunAudio.runId(p.id(), run),
            run.atZone(zone).toOffsetDateTime(),
            null,
            0,
            0,
            List.of(),
            false,
            true,
            why,
            null));
  }

  /**
   * The runs of {@code rule} after {@code after} that had started by {@code now}, and the first
   * after both.
   */
  Plan plan(ProgramRule rule, Instant after, Instant now) {
    if (!after.isBefore(now)) return Plan.none(rule.nextAfter(after));
    Deque<Instant> tail = new ArrayDeque<>();
    int due = 0;
    Instant cursor = after;
    Optional<Instant> next = rule.nextAfter(cursor);
    while (next.isPresent() && !next.get().isAfter(now)) {
      tail.addLast(next.get());
      if (tail.size() > MISSED_RECORDED + 1) tail.removeFirst();
      cursor = next.get();
      // A rule firing every second, left alone for a day: stop walking; skip to now.
      next = ++due < MAX_SCAN ? rule.nextAfter(cursor) : rule.nextAfter(now);
    }
    if (due == 0) return Plan.none(next);
    Optional<Instant> late = Optional.empty();
    if (!tail.peekLast().isBefore(now.minus(grace))) late = Optional.of(tail.removeLast());
    while (tail.size() > MISSED_RECORDED) tail.removeFirst();
    int older = due - tail.size() - (late.isPresent() ? 1 : 0);
    return new Plan(List.copyOf(tail), older, late, next);
  }

  /** Claims each missed run and logs it {@code missed}; runs another node claimed are its own. */
  void recordMissed(StoredProgram p, Plan plan, Instant now) {
    if (plan.missed().isEmpty()) return;
    ZoneId zone = p.zone();
    int recorded = 0;
    for (Instant run : plan.missed()) {
      String why =
          "missed: no node could play it at its time (none was running, or Redis was down); found "
              + Duration.between(run, now).withNanos(0)
              + " later, past the grace of "
              + grace;
      if (claims.once(
          Claims.runName(p.id(), run),
          "missed run " + RunAudio.runId(p.id(), run),
          takenOver -> recordOneMissed(p, run, why))) {
        recorded++;
      }
    }
    missed.add(plan.olderMissed());
    if (recorded > 0 || plan.olderMissed() > 0) {
      log.warn(
          "Program {} \"{}\": {} runs passed unplayed (no node was running, or Redis did not"
              + " answer) and are logged missed"
              + " (from {} to {}){}; next runs play as scheduled",
          p.id(),
          p.title(),
          recorded,
          plan.missed().get(0).atZone(zone).toOffsetDateTime(),
          plan.missed().get(plan.missed().size() - 1).atZone(zone).toOffsetDateTime(),
          plan.olderMissed() > 0
              ? "; " + plan.olderMissed() + " earlier ones were not recorded one by one"
              : "");
    }
  }
}
