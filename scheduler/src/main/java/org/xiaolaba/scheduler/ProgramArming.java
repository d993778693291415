package org.xiaolaba.scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of firing: every program armed in the node's in-memory Quartz, one trigger per
 * program for its next run, firing a lead time before the run's start (at once when that is already
 * past but the start is not). When it fires, the node claims the run in Redis ({@code SET NX} on
 * program and run instant); the one node that wins hands it to {@link RunDispatcher}; the others
 * lose silently. Either way the node then arms the following run. Runs that came due while no node
 * was up are caught up by {@link MisfirePolicy}. Applies other nodes' changes ({@link
 * ProgramEvents}) and resyncs from Redis when it may have missed some. A run whose claim Redis
 * could not answer is unsettled: its program is planned again every {@link #RETRY} until Redis
 * answers, so the run plays late or is logged missed even when Redis froze without dropping the
 * connection (the subscription then never drops, so no resync comes).
 */
final class ProgramArming implements ProgramEvents.Listener {
  private static final Logger log = LoggerFactory.getLogger(ProgramArming.class);

  /** Programs read and planned per task at a resync. */
  static final int RESYNC_CHUNK = 2_000;

  /**
   * Threads reading and planning at a resync, so that Redis answers one chunk while another is
   * parsed: one per core, two to four (on two cores, four were no faster than two).
   */
  static final int RESYNC_THREADS =
      Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));

  /** How long after a run became unsettled its program is planned again, and again after that. */
  static final Duration RETRY = Duration.ofSeconds(3);

  private final String nodeId;
  private final ProgramStore store;
  private final Claims claims;
  private final AsRunLog asRun;
  private final MisfirePolicy misfires;
  private final RunDispatcher runs;
  private final TerminalPlays plays;
  private final Duration leadTime;
  private final Duration horizon;
  private final Clock clock;
  private final ProgramTriggers.Factory triggerFactory;

  /** The latest run this node has fired per program, so it never arms a run twice. */
  private final Map<String, Instant> fired = new ConcurrentHashMap<>();

  /**
   * Per program, the runs this node fired while Redis could not be asked about their claims: the
   * next retry or resync walks from just before the earliest, even when later runs played before it
   * came.
   */
  private final Map<String, Unsettled> unsettled = new ConcurrentHashMap<>();

  /** Unsettled runs of a program: walked from {@code after}; the latest is {@code last}. */
  private record Unsettled(Instant after, Instant last) {
    Unsettled with(Unsettled o) {
      return new Unsettled(o.after.isBefore(after) ? o.after : after, latest(last, o.last));
    }

    /** Whether a walk from {@code from} to {@code now} covered these runs. */
    boolean coveredBy(Unsettled from, Instant now) {
      return !after.isBefore(from.after) && !last.isAfter(now);
    }
  }

  /** Plans the unsettled programs again; started with the triggers. */
  private volatile ScheduledExecutorService retries;

  /** Whether a retry of the unsettled programs is scheduled and has not started yet. */
  private final AtomicBoolean retryPending = new AtomicBoolean();

  private final LongAdder fires = new LongAdder();
  private final LongAdder lateArmed = new LongAdder();

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
      Claims claims,
      AsRunLog asRun,
      MisfirePolicy misfires,
      RunDispatcher runs,
      TerminalPlays plays,
      Duration leadTime,
      Duration horizon,
      Clock clock,
      ProgramTriggers.Factory triggerFactory) {
    this.nodeId = nodeId;
    this.store = store;
    this.claims = claims;
    this.asRun = asRun;
    this.misfires = misfires;
    this.runs = runs;
    this.plays = plays;
    this.leadTime = leadTime;
    this.horizon = horizon;
    this.clock = clock;
    this.triggerFactory = triggerFactory;
  }

  void startTriggers() {
    retries =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread th = new Thread(r, "xiaolaba-unsettled-" + nodeId);
              th.setDaemon(true);
              return th;
            });
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
    ScheduledExecutorService r = retries;
    if (r != null) r.shutdownNow();
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
    Planned planned = plan(p, latest(from, fired.getOrDefault(p.id(), from)), now);
    synchronized (armLock) {
      ProgramTriggers t = triggers;
      if (t == null || closed) return Optional.empty();
      Optional<ProgramTriggers.Arm> arm = settle(t, planned, now);
      if (arm.isPresent() && t.arm(p.id(), arm.get().run(), arm.get().fireAt())) {
        if (planned.late()) lateArmed.increment();
        log.debug(
            "Program {}: run {} armed; play goes out at {}",
            p.id(),
            arm.get().run(),
            arm.get().fireAt());
      }
      return planned.next();
    }
  }

  /** What arming a program comes to: its next run, late when its time passed unfired. */
  private record Planned(StoredProgram program, Optional<Instant> next, boolean late) {}

  /**
   * Walks the program's rule from {@code after} to now: misfires logged (each claimed, so a run
   * some node handled is not logged again), the next run found.
   */
  private Planned plan(StoredProgram p, Instant after, Instant now) {
    ProgramRule rule = p.rule();
    MisfirePolicy.Plan misfired = misfires.plan(rule, after, now);
    Instant last = fired.get(p.id());
    if (misfired.late().isPresent() && last != null && !last.isBefore(misfired.late().get())) {
      // A later run went out meanwhile (Redis came back before the resync): too late to play this
      // one; it is logged missed (unless some node handled it: its claim says so).
      List<Instant> missed = new ArrayList<>(misfired.missed());
      missed.add(misfired.late().get());
      misfired =
          new MisfirePolicy.Plan(
              List.copyOf(missed), misfired.olderMissed(), Optional.empty(), misfired.upcoming());
    }
    misfires.recordMissed(p, misfired, now);
    Optional<Instant> next = misfired.late().or(misfired::upcoming);
    return new Planned(p, next, misfired.late().isPresent());
  }

  /**
   * Under {@link #armLock}: notes the program and returns the trigger its plan needs; empty when it
   * has no further run (its trigger is removed) or when this node has fired that run meanwhile (the
   * firing arms what follows).
   */
  private Optional<ProgramTriggers.Arm> settle(ProgramTriggers t, Planned planned, Instant now) {
    StoredProgram p = planned.program();
    known.put(p.id(), p);
    if (planned.next().isEmpty()) {
      t.unarm(p.id());
      log.debug("Program {} has no further runs; nothing armed", p.id());
      return Optional.empty();
    }
    Instant run = planned.next().get();
    Instant last = fired.get(p.id());
    if (last != null && !last.isBefore(run)) return Optional.empty();
    Instant fireAt = run.minus(leadTime);
    if (fireAt.isBefore(now)) fireAt = now;
    if (planned.late()) {
      log.warn(
          "Program {}: run {} passed unplayed (no node was running, or Redis was down); it plays late, now (grace {})",
          p.id(),
          run,
          misfires.grace());
    }
    return Optional.of(new ProgramTriggers.Arm(p.id(), run, fireAt));
  }

  private static Instant latest(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /**
   * Arms a program changed in place for its new rule's first run after {@code now}, dropping the
   * trigger of its old rule. Runs this node fired stay fired: a run already claimed is not armed
   * again, and keeps its as-run record.
   */
  Optional<Instant> rearm(StoredProgram p, Instant now) {
    synchronized (armLock) {
      ProgramTriggers t = triggers;
      if (t != null) t.unarm(p.id());
    }
    return arm(p, now);
  }

  void unarm(String programId) {
    synchronized (armLock) {
      ProgramTriggers t = triggers;
      if (t != null) t.unarm(programId);
      fired.remove(programId);
      known.remove(programId);
      unsettled.remove(programId);
    }
  }

  /**
   * Arms every stored program and unarms what is no longer stored; returns how many are armed. Each
   * program looks back for misfires to its last recorded run (or its creation), at most the
   * conflict horizon.
   *
   * <p>Built for a start with 100,000 programs: they are read and planned in chunks (one pipelined
   * round trip each for the programs and their last runs) by a few threads, so that Redis answers
   * one chunk while another is parsed, then armed in one batch.
   */
  int resync() {
    Instant now = clock.instant();
    ProgramTriggers t = triggers;
    Set<String> held = new HashSet<>(known.keySet());
    if (t != null) held.addAll(t.programIds());
    Set<String> stored = store.ids();
    int armed = armAll(planAll(List.copyOf(stored), now, false), now);
    // Held here but gone from Redis: deleted while this node was not listening.
    held.removeAll(stored);
    for (String id : held) {
      unarm(id);
      log.info("Program {} is gone from Redis; unarmed", id);
    }
    return armed;
  }

  /**
   * Plans the programs of {@code ids} (those that are stored). {@code quiet}: a program that cannot
   * be planned is logged at debug level, as a retry while Redis does not answer.
   */
  private List<Planned> planAll(List<String> ids, Instant now, boolean quiet) {
    List<List<String>> chunks = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += RESYNC_CHUNK) {
      chunks.add(ids.subList(i, Math.min(ids.size(), i + RESYNC_CHUNK)));
    }
    if (chunks.size() <= 1) {
      return chunks.isEmpty() ? List.of() : planChunk(chunks.get(0), now, quiet);
    }
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(RESYNC_THREADS, chunks.size()),
            r -> {
              Thread th =
                  new Thread(r, "xiaolaba-resync-" + nodeId + "-" + threadNo.incrementAndGet());
              th.setDaemon(true);
              return th;
            });
    try {
      List<Future<List<Planned>>> planned = new ArrayList<>();
      for (List<String> chunk : chunks) {
        planned.add(pool.submit(() -> planChunk(chunk, now, quiet)));
      }
      List<Planned> out = new ArrayList<>(ids.size());
      for (Future<List<Planned>> f : planned) out.addAll(result(f));
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private List<Planned> planChunk(List<String> ids, Instant now, boolean quiet) {
    List<StoredProgram> programs = store.findAll(ids);
    Map<String, Instant> lastRecorded = asRun.lastScheduled(ids);
    Instant horizonAgo = now.minus(horizon);
    List<Planned> out = new ArrayList<>(programs.size());
    // A program gone from Redis has no run left to settle.
    Set<String> gone = new HashSet<>(ids);
    programs.forEach(p -> gone.remove(p.id()));
    unsettled.keySet().removeAll(gone);
    for (StoredProgram p : programs) {
      // From the as-run log, not from what this node fired: a run it fired while Redis was down
      // was neither played nor logged, and is found here (runs some node did handle are claimed).
      Instant from =
          latest(latest(horizonAgo, p.since()), lastRecorded.getOrDefault(p.id(), horizonAgo));
      Unsettled failed = unsettled.get(p.id());
      if (failed != null && failed.after().isBefore(from)) {
        from = latest(failed.after(), horizonAgo);
      }
      try {
        out.add(plan(p, from, now));
        // Settled, unless a run failed meanwhile that this walk did not cover.
        if (failed != null) {
          unsettled.computeIfPresent(p.id(), (id, u) -> u.coveredBy(failed, now) ? null : u);
        }
      } catch (RuntimeException e) {
        if (quiet) log.debug("Program {} could not be armed yet: {}", p.id(), e.toString());
        else log.error("Program {} could not be armed: {}", p.id(), e.getMessage(), e);
      }
    }
    return out;
  }

  private static <T> T result(Future<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading programs from Redis", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Arms the planned programs in one batch; returns how many have a run to come. */
  private int armAll(List<Planned> plans, Instant now) {
    synchronized (armLock) {
      ProgramTriggers t = triggers;
      if (t == null || closed) return 0;
      List<ProgramTriggers.Arm> arms = new ArrayList<>(plans.size());
      int armed = 0;
      for (Planned p : plans) {
        try {
          settle(t, p, now).ifPresent(arms::add);
          if (p.next().isPresent()) armed++;
        } catch (RuntimeException e) {
          log.error("Program {} could not be armed: {}", p.program().id(), e.getMessage(), e);
        }
      }
      t.armAll(arms);
      return armed;
    }
  }

  @Override
  public void onEvent(ProgramEvents.Event event) {
    switch (event.type()) {
      case CREATED, UPDATED -> {
        Optional<StoredProgram> p = store.find(event.programId());
        if (p.isPresent()) {
          Optional<Instant> next = rearm(p.get(), clock.instant());
          log.info(
              "Program {} {} on node {}; armed here for {}",
              event.programId(),
              event.type() == ProgramEvents.Type.CREATED ? "created" : "changed",
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

  /**
   * Schedules a retry of the unsettled programs in {@link #RETRY}, unless one is scheduled already
   * or there are none.
   */
  private void retryLater() {
    ScheduledExecutorService r = retries;
    if (r == null || closed || unsettled.isEmpty() || !retryPending.compareAndSet(false, true)) {
      return;
    }
    try {
      r.schedule(this::retryUnsettled, RETRY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      retryPending.set(false); // shut down
    }
  }

  /**
   * Plans and arms again the programs with an unsettled run (only those), as a resync would: each
   * run plays late within the grace, or is logged missed. While Redis still does not answer, tries
   * again in {@link #RETRY}, quietly.
   */
  private void retryUnsettled() {
    retryPending.set(false);
    List<String> ids = List.copyOf(unsettled.keySet());
    if (ids.isEmpty() || closed) return;
    Instant now = clock.instant();
    try {
      int armed = armAll(planAll(ids, now, true), now);
      long settled = ids.stream().filter(id -> !unsettled.containsKey(id)).count();
      if (settled > 0) {
        log.info(
            "Caught up {} program(s) with runs whose claims Redis could not answer: {} armed",
            settled,
            armed);
      }
    } catch (RuntimeException e) {
      log.debug(
          "Redis does not answer yet for {} program(s) with unsettled runs ({}); trying again in {}",
          ids.size(),
          e.toString(),
          RETRY);
    } finally {
      retryLater();
    }
  }

  @Override
  public void onResubscribed() {
    int armed = resync();
    log.info("Resynced programs from Redis after reconnecting: {} armed", armed);
  }

  /** Trigger fires on this node since it started. */
  long fires() {
    return fires.sum();
  }

  /** Misfired runs this node armed to play late since it started. */
  long lateArmed() {
    return lateArmed.sum();
  }

  /**
   * Called by Quartz for {@code run} of the program. Never throws; always arms what follows. When
   * Redis cannot say whether the run is claimed (it is down or frozen), the run is not taken as
   * fired but unsettled: the retry every {@link #RETRY} (or the resync when the subscription is
   * back, whichever comes first) finds it as a misfire, to play late within the grace or be logged
   * missed, claimed like any run, rather than dropping it silently.
   */
  void fire(String programId, Instant run) {
    fires.increment();
    Instant before = fired.get(programId);
    fired.merge(programId, run, (a, b) -> a.isAfter(b) ? a : b);
    StoredProgram program = null;
    AtomicBoolean claimAnswered = new AtomicBoolean();
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
      StoredProgram p = program;
      boolean here =
          claims.once(
              Claims.runName(programId, run),
              "run " + RunAudio.runId(programId, run),
              takenOver -> {
                claimAnswered.set(true);
                if (takenOver) takeOver(programId, run);
                else dispatch(p, run);
              });
      claimAnswered.set(true);
      if (!here) {
        log.debug(
            "Run {} of program {} was claimed by another node; arming the next run",
            run,
            programId);
      }
    } catch (RuntimeException e) {
      if (!claimAnswered.get()) {
        fired.computeIfPresent(programId, (id, last) -> last.equals(run) ? before : last);
        unsettled.merge(programId, new Unsettled(run.minusMillis(1), run), Unsettled::with);
        retryLater();
      }
      log.error(
          "Run {} of program {} could not be handled ({}); arming the next run{}",
          run,
          programId,
          e.toString(),
          claimAnswered.get() ? "" : "; caught up once Redis answers",
          e);
    }
    rearmAfter(programId, run, program);
  }

  /**
   * Another node claimed the run and died before dispatching it: this node plays it now (late when
   * its start has passed) or, past the misfire grace, logs it missed.
   */
  private void takeOver(String programId, Instant run) {
    Optional<StoredProgram> p = store.find(programId);
    if (p.isEmpty()) {
      log.info("Program {} no longer exists; its run {} is not taken over", programId, run);
      return;
    }
    Instant now = clock.instant();
    if (now.isAfter(run.plus(misfires.grace()))) {
      misfires.recordOneMissed(
          p.get(),
          run,
          "missed: the node that claimed it stopped before dispatching it; taken over "
              + Duration.between(run, now).withNanos(0)
              + " after its time, past the grace of "
              + misfires.grace());
    } else {
      dispatch(p.get(), run);
    }
  }

  /**
   * Sends the run as {@code p} was read, then brings terminals in line if the program changed
   * meanwhile ({@link TerminalPlays#followChange}).
   */
  private void dispatch(StoredProgram p, Instant run) {
    runs.dispatch(p, run);
    plays.followChange(p, run);
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
