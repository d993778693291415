package org.xiaolaba.scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends out one run that this node has claimed: resolves its audio, lets {@link Preemption} decide
 * against what else is playing, hands {@code play} and any {@code stop}s to the {@link
 * DispatchPort}, and writes the run to the {@link AsRunLog} whatever happens.
 */
final class RunDispatcher {
  private static final Logger log = LoggerFactory.getLogger(RunDispatcher.class);

  /** A run dispatched more than this after its scheduled start is late: it starts at dispatch. */
  static final Duration LATE_AFTER = Duration.ofSeconds(1);

  /**
   * What became of one command: what it reached, whether it went out (and to which of its areas),
   * and what went wrong.
   */
  record Outcome(DispatchPort.Delivery delivery, String problem, List<String> areas) {
    boolean played() {
      return !areas.isEmpty();
    }
  }

  private final RunAudio audio;
  private final Preemption preemption;
  private final DispatchPort dispatch;
  private final AsRunLog asRun;
  private final Clock clock;

  RunDispatcher(
      RunAudio audio, Preemption preemption, DispatchPort dispatch, AsRunLog asRun, Clock clock) {
    this.audio = audio;
    this.preemption = preemption;
    this.dispatch = dispatch;
    this.asRun = asRun;
    this.clock = clock;
  }

  /** This node won the claim of {@code run}: play it and log it. Never throws. */
  void dispatch(StoredProgram p, Instant run) {
    dispatch(p, run, false);
  }

  /**
   * Sends {@code run} again, as program {@code p} is now, after it was changed between the run
   * going out and its start: terminals replace the run they hold, and its as-run record replaces
   * the one of the first sending. Returns the areas it went out to (none when preempted or without
   * audio); throws only when its as-run record cannot be written.
   */
  List<String> resend(StoredProgram p, Instant run) {
    return dispatch(p, run, true);
  }

  private List<String> dispatch(StoredProgram p, Instant run, boolean again) {
    ZoneId zone = p.zone();
    String runId = RunAudio.runId(p.id(), run);
    Instant now = clock.instant();
    boolean late = now.isAfter(run.plus(LATE_AFTER));
    Instant startAt = late ? now : run;
    Instant dispatchedAt = null;
    DispatchPort.Delivery total = DispatchPort.Delivery.NONE;
    List<String> problems = new ArrayList<>();
    List<String> reached = new ArrayList<>();
    try {
      RunAudio.Resolved resolved = audio.resolve(p, run, startAt, p.areas());
      problems.addAll(resolved.problems());
      for (PlayCommand command : resolved.commands()) {
        Outcome o = playPreempting(command);
        total = total.plus(o.delivery());
        if (o.played()) dispatchedAt = clock.instant();
        reached.addAll(o.areas());
        if (o.problem() != null) problems.add(o.problem());
      }
    } catch (RuntimeException e) {
      problems.add("dispatch failed: " + e);
      log.error("Run {} of program {}: dispatch failed; logged with the error", runId, p.id(), e);
    }
    String error = problems.isEmpty() ? null : String.join("; ", problems);
    ProgramRun record =
        new ProgramRun(
            runId,
            run.atZone(zone).toOffsetDateTime(),
            dispatchedAt == null ? null : dispatchedAt.atZone(zone).toOffsetDateTime(),
            total.targeted(),
            total.reached(),
            List.of(),
            late && dispatchedAt != null,
            false,
            error,
            null);
    if (again) {
      asRun.replace(p.id(), p.title(), p.priority(), p.areas(), record);
    } else {
      asRun.record(p.id(), p.title(), p.priority(), p.areas(), record);
    }
    if (dispatchedAt != null) {
      log.info(
          "Run {} of program {} \"{}\" ({}) {} to {} of {} terminals for {}{}{}",
          runId,
          p.id(),
          p.title(),
          p.priority(),
          again ? "sent again as changed" : "dispatched",
          total.reached(),
          total.targeted(),
          startAt.atZone(zone).toOffsetDateTime(),
          late ? " (late: its time " + run.atZone(zone).toOffsetDateTime() + " had passed)" : "",
          error == null ? "" : "; " + error);
    } else if (!problems.stream().allMatch(x -> x.startsWith("dispatch failed"))) {
      log.warn("Run {} of program {} did not go out: {}", runId, p.id(), error);
    }
    return reached;
  }

  /**
   * Plays one command over lower priorities and under higher ones: books it, sends {@code play} to
   * what is left of its areas, and sends the {@code stop}s that follows from it.
   */
  Outcome playPreempting(PlayCommand command) {
    Instant now = clock.instant();
    Preemption.Admission a = preemption.admit(command, now);
    String problem = blockedProblem(command, a);
    if (a.play().isEmpty()) {
      // Terminals may hold it already (sent when they connected): tell them to drop it.
      dispatch.stop(
          new StopCommand(
              command.programId(),
              command.runId(),
              command.areas(),
              StopCommand.PREEMPTED,
              command.startAt()));
      log.info("Run {} is not played: {}", command.runId(), problem);
      return new Outcome(DispatchPort.Delivery.NONE, problem, List.of());
    }
    PlayCommand play = a.play().get();
    DispatchPort.Delivery delivery;
    try {
      delivery = dispatch.play(play);
    } catch (RuntimeException e) {
      preemption.release(play.runId(), play.areas(), now);
      throw e;
    }
    for (Preemption.Interruption i : a.interrupts()) {
      dispatch.stop(i.stop());
      String by = describe(play) + " from " + play.startAt();
      asRun.interrupted(i.victim().runId(), by);
      log.info(
          "Run {} ({}) is stopped in {} by {}",
          i.victim().runId(),
          i.victim().priority(),
          i.stop().areas(),
          by);
    }
    for (StopCommand s : a.stops()) {
      dispatch.stop(s);
      asRun.interrupted(play.runId(), "a higher priority from " + s.at() + " in " + s.areas());
    }
    return new Outcome(delivery, problem, play.areas());
  }

  private static String blockedProblem(PlayCommand command, Preemption.Admission a) {
    if (a.blockedBy().isEmpty()) return null;
    String by =
        a.blockedBy().stream().map(Preemption.Blocker::describe).collect(Collectors.joining(", "));
    if (a.play().isEmpty()) return "preempted by " + by;
    return "not played in "
        + a.blockedBy().stream().flatMap(b -> b.areas().stream()).distinct().toList()
        + ": preempted by "
        + by;
  }

  static String describe(PlayCommand c) {
    return "program "
        + c.programId()
        + " \""
        + c.title()
        + "\" ("
        + c.priority()
        + ", run "
        + c.runId()
        + ")";
  }
}
