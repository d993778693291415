package org.xiaolaba.scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of firing: every program armed in the node's in-memory Quartz, one trigger per
 * program for its next run, firing a lead time before the run's start (at once when that is already
 * past but the start is not). When it fires, the node claims the run in Redis ({@code SET NX} on
 * program and run instant); the one node that wins hands it to {@link RunDispatcher}; the others
 * lose silently. Either way the node then arms the following run. Runs that came due while no node
 * was up are caught up by {@link MisfirePolicy}. Applies other nodes' changes ({@link
 * ProgramEvents}) and resyncs from Redis when it may have missed some.
 */
final class ProgramArming implements ProgramEvents.Listener {
  private static final Logger log = LoggerFactory.getLogger(ProgramArming.class);

  private final String nodeId;
  private final ProgramStore store;
  private final AsRunLog asRun;
  private final MisfirePolicy misfires;
  private final RunDispatcher runs;
  private final Duration leadTime;
  private final Duration horizon;
  private final Clock clock;
  private final ProgramTriggers.Factory triggerFactory;

  /** The latest run this node has fired per program, so it never arms a run twice. */
  private final Map<String, Instant> fired = new ConcurrentHashMap<>();

  /**
   * What this node last read of each armed program, so a firing can arm the next run even when
   * Redis does not answer at that moment. Never used to decide whether to play: that reads Redis.
   */
  private final Map<String, StoredProgram> known = new ConcurrentHashMap<>();

  private final Object armLock = new Object();
  private volatile ProgramTriggers triggers;
  private volatile boolean closed;

  ProgramArming(
      String nodeId,
      ProgramStore store,
      AsRunLog asRun,
      MisfirePolicy misfires,
      RunDispatcher runs,
      Duration leadTime,
      Duration horizon,
      Clock clock,
      ProgramTriggers.Factory triggerFactory) {
    this.nodeId = nodeId;
    this.store = store;
    this.asRun = asRun;
    this.misfires = misfires;
    this.runs = runs;
    this.leadTime = leadTime;
    this.horizon = horizon;
    this.clock = clock;
    this.triggerFactory = triggerFactory;
  }

  void startTriggers() {
    triggers = triggerFactory.start(nodeId, this::fire);
  }

  boolean running() {
    ProgramTriggers t = triggers;
    return t != null && !closed && t.running();
  }

  /** The run this node's triggers are armed for, for the program; empty when none. */
  Optional<Instant> armedRun(String programId) {
    ProgramTriggers t = triggers;
    return t == null ? Optional.empty() : t.armedRun(programId);
  }

  /** Stops the triggers, letting running firings finish. */
  void shutdown() {
    closed = true;
    ProgramTriggers t = triggers;
    if (t != null) t.shutdown();
  }

  /**
   * Arms the program's first run after {@code from} (and after any run this node already fired).
   * Runs between then and now are misfires: the latest within the grace is armed to play late at
   * once, older ones are logged missed. Returns the run armed, or empty when there is none.
   */
  Optional<Instant> arm(StoredProgram p, Instant from) {
    Instant now = clock.instant();
    Instant last = fired.get(p.id());
    Instant after = last != null && last.isAfter(from) ? last : from;
    ProgramRule rule = p.rule();
    MisfirePolicy.Plan misfired = misfires.plan(rule, after, now);
    misfires.recordMissed(p, misfired, now);
    Optional<Instant> next = misfired.late().or(() -> rule.nextAfter(latest(after, now)));
    synchronized (armLock) {
      ProgramTriggers t = triggers;
      if (t == null || closed) return Optional.empty();
      known.put(p.id(), p);
      if (next.isEmpty()) {
        t.unarm(p.id());
        log.debug("Program {} has no further runs; nothing armed", p.id());
        return Optional.empty();
      }
      Instant run = next.get();
      Instant fireAt = run.minus(leadTime);
      if (fireAt.isBefore(now)) fireAt = now;
      if (t.arm(p.id(), run, fireAt)) {
        log.debug("Program {}: run {} armed; play goes out at {}", p.id(), run, fireAt);
      }
      if (misfired.late().isPresent()) {
        log.warn(
            "Program {}: run {} passed while no node was running; it plays late, now (grace {})",
            p.id(),
            run,
            misfires.grace());
      }
      return next;
    }
  }

  private static Instant latest(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  void unarm(String programId) {
    synchronized (armLock) {
      ProgramTriggers t = triggers;
      if (t != null) t.unarm(programId);
      fired.remove(programId);
      known.remove(programId);
    }
  }

  /**
   * Arms every stored program and unarms what is no longer stored; returns how many are armed. Each
   * program looks back for misfires to its last recorded run (or its creation), at most the
   * conflict horizon.
   */
  int resync() {
    Instant now = clock.instant();
    List<StoredProgram> all = store.all();
    Map<String, Instant> lastRecorded =
        asRun.lastScheduled(all.stream().map(StoredProgram::id).toList());
    Instant horizonAgo = now.minus(horizon);
    Set<String> ids = new HashSet<>();
    int armed = 0;
    for (StoredProgram p : all) {
      ids.add(p.id());
      Instant from =
          latest(latest(horizonAgo, p.createdAt()), lastRecorded.getOrDefault(p.id(), horizonAgo));
      try {
        if (arm(p, from).isPresent()) armed++;
      } catch (RuntimeException e) {
        log.error("Program {} could not be armed: {}", p.id(), e.getMessage(), e);
      }
    }
    ProgramTriggers t = triggers;
    if (t != null) {
      for (String id : t.programIds()) {
        if (!ids.contains(id)) {
          unarm(id);
          log.info("Program {} is gone from Redis; unarmed", id);
        }
      }
    }
    fired.keySet().retainAll(ids);
    known.keySet().retainAll(ids);
    return armed;
  }

  @Override
  public void onEvent(ProgramEvents.Event event) {
    switch (event.type()) {
      case CREATED -> {
        Optional<StoredProgram> p = store.find(event.programId());
        if (p.isPresent()) {
          Optional<Instant> next = arm(p.get(), clock.instant());
          log.info(
              "Program {} created on node {}; armed here for {}",
              event.programId(),
              event.origin(),
              next.map(Instant::toString).orElse("no further run"));
        } else {
          unarm(event.programId());
        }
      }
      case DELETED -> {
        unarm(event.programId());
        log.info("Program {} deleted on node {}; unarmed here", event.programId(), event.origin());
      }
    }
  }

  @Override
  public void onResubscribed() {
    int armed = resync();
    log.info("Resynced programs from Redis after reconnecting: {} armed", armed);
  }

  /** Called by Quartz for {@code run} of the program. Never throws; always arms what follows. */
  void fire(String programId, Instant run) {
    fired.merge(programId, run, (a, b) -> a.isAfter(b) ? a : b);
    StoredProgram program = null;
    try {
      Optional<StoredProgram> found = store.find(programId);
      if (found.isEmpty()) {
        log.info(
            "Program {} no longer exists; its run {} is dropped and nothing more is armed",
            programId,
            run);
        unarm(programId);
        return;
      }
      program = found.get();
      if (!store.claim(programId, run, nodeId, clock.instant())) {
        log.debug(
            "Run {} of program {} was claimed by another node; arming the next run",
            run,
            programId);
      } else {
        runs.dispatch(program, run);
      }
    } catch (RuntimeException e) {
      log.error(
          "Run {} of program {} could not be handled ({}); arming the next run",
          run,
          programId,
          e.toString(),
          e);
    }
    rearmAfter(programId, run, program);
  }

  private void rearmAfter(String programId, Instant run, StoredProgram known) {
    try {
      StoredProgram p;
      try {
        p = store.find(programId).orElse(null);
      } catch (RuntimeException e) {
        log.warn(
            "Cannot re-read program {} ({}); arming its next run from what this node has",
            programId,
            e.toString());
        p = known != null ? known : this.known.get(programId);
      }
      if (p == null) {
        unarm(programId);
        return;
      }
      Optional<Instant> next = arm(p, run);
      if (next.isEmpty()) {
        log.info("Program {} has no further runs after {}", programId, run);
      }
    } catch (RuntimeException e) {
      log.error(
          "Program {}: arming the run after {} failed ({}); it is armed again at the next resync",
          programId,
          run,
          e.toString(),
          e);
    }
  }
}
