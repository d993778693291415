package org.xiaolaba.scheduler;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.config.redis.RedisHandle;

/**
 * Programs: validated, checked against the others (conflicts, quiet hours), stored in Redis, and
 * fired by this node's in-memory Quartz.
 *
 * <p>Every node arms every program: one Quartz trigger per program, for its next run, firing a lead
 * time before the run's start (at once when that is already past but the start is not). When it
 * fires, the node claims the run in Redis ({@code SET NX} on program and run instant); the one node
 * that wins hands it to {@link RunDispatcher} (audio, preemption, {@code play}, as-run log); the
 * others lose silently. Either way the node then arms the following run. Runs that came due while
 * no node was up are caught up by {@link MisfirePolicy}. Creating and deleting publishes a change
 * event that every node applies to its own Quartz; a node that loses the event channel resyncs
 * everything from Redis when it is back.
 *
 * <p>Methods block on Redis: call them off event loops.
 */
public final class ProgramService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProgramService.class);

  /** Quartz threads per node: firing is short (a claim, a lookup, a dispatch, a write). */
  static final int QUARTZ_THREADS = 4;

  /** How long {@link #start} waits for the change channel before going on without it. */
  static final Duration SUBSCRIBE_WAIT = Duration.ofSeconds(5);

  private final Settings settings;
  private final DispatchPort dispatch;
  private final Clock clock;
  private final Duration leadTime;
  private final Duration horizon;
  private final String nodeId;
  private final ProgramStore store;
  private final ProgramValidator validator;
  private final ProgramEvents events;
  private final AreaOverlap areas;
  private final AsRunLog asRun;
  private final ConflictCheck conflicts;
  private final QuietHours quietHours;
  private final MisfirePolicy misfires;
  private final RunDispatcher runs;
  private final TerminalPlays terminalPlays;
  private final EmergencyService emergencies;

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

  public ProgramService(
      Settings settings,
      RedisHandle redis,
      AreaTree areaTree,
      ClipLookup clips,
      DispatchPort dispatch,
      Clock clock,
      BulletinLookup bulletins) {
    this.settings = settings;
    this.dispatch = dispatch;
    this.clock = clock;
    this.leadTime = settings.scheduler().leadTime();
    this.horizon = settings.scheduler().conflictHorizon();
    this.nodeId = "node-" + UUID.randomUUID().toString().substring(0, 8);
    ObjectMapper json = Json.mapper();
    ZoneId zone = settings.zone();
    this.areas = new AreaOverlap(areaTree);
    this.store = new ProgramStore(redis, json);
    this.validator = new ProgramValidator(areaTree, clips, zone);
    this.events = new ProgramEvents(redis, json, nodeId, new EventListener());
    this.asRun = new AsRunLog(redis, json, areas, zone);
    this.conflicts = new ConflictCheck(store, areas);
    this.quietHours = new QuietHours(settings.scheduler().quietHours(), areas, zone);
    this.misfires = new MisfirePolicy(settings.scheduler().misfireGrace(), store, asRun, nodeId);
    Preemption preemption = new Preemption(redis, json, areas);
    RunAudio audio = new RunAudio(clips, bulletins, areaTree);
    this.runs = new RunDispatcher(audio, preemption, dispatch, asRun, clock);
    this.terminalPlays = new TerminalPlays(store, preemption, audio, asRun, areas, zone, clock);
    this.emergencies =
        new EmergencyService(
            redis, json, validator, runs, preemption, dispatch, asRun, zone, clock);
  }

  /**
   * Starts Quartz, subscribes to program changes, arms every stored program (catching up runs
   * missed while no node was up) and offers terminals their upcoming plays. Returns once this node
   * is ready to fire.
   */
  public synchronized void start() {
    if (triggers != null) throw new IllegalStateException("already started");
    if (closed) throw new IllegalStateException("closed");
    store.ensureIndexed();
    triggers = ProgramTriggers.start(nodeId, QUARTZ_THREADS, this::fire);
    if (!events.start(SUBSCRIBE_WAIT)) {
      log.warn(
          "Node {} is not subscribed to program changes yet; it keeps trying and resyncs when it"
              + " is",
          nodeId);
    }
    int armed = resync();
    dispatch.attach(terminalPlays);
    log.info(
        "Program scheduler started on node {}: {} programs armed in Quartz, lead time {}",
        nodeId,
        armed,
        leadTime);
  }

  /**
   * Validates, checks quiet hours and conflicts, stores, arms here and tells the other nodes.
   * Nothing is stored when refused.
   */
  public Program create(ProgramRequest req) {
    requireStarted();
    Instant now = clock.instant();
    ProgramValidator.Valid v = validator.validate(req, now);
    StoredProgram p =
        new StoredProgram(
            UUID.randomUUID().toString(),
            v.title(),
            v.clipId(),
            v.source(),
            List.copyOf(v.areas()),
            v.priority().json(),
            v.zone().getId(),
            v.rule().toSchedule(),
            v.startDate() == null ? null : v.startDate().toString(),
            v.endDate() == null ? null : v.endDate().toString(),
            v.durationMs(),
            now);
    Instant until = now.plus(horizon);
    List<RunWindows.Window> ours = RunWindows.windows(p.rule(), p.playLength(), now, until);
    quietHours.check(v.priority(), p.areas(), ours, v.zone());
    store.saveChecked(
        p,
        areas.related(p.areas()),
        () -> conflicts.check(v.priority(), p.areas(), ours, now, until, v.zone()));
    Optional<Instant> next = arm(p, now);
    publish(ProgramEvents.Type.CREATED, p.id());
    log.info(
        "Program {} \"{}\" created for {} ({}, {}, {}); next run {}",
        p.id(),
        p.title(),
        p.areas(),
        p.priority(),
        describe(p.schedule()),
        p.timezone(),
        next.map(i -> i.atZone(v.zone()).toOffsetDateTime().toString()).orElse("none"));
    return p.view(now, settings.scheduler().nextRunsShown());
  }

  public Optional<Program> find(String id) {
    return store.find(id).map(p -> p.view(clock.instant(), settings.scheduler().nextRunsShown()));
  }

  /** Every program, oldest first. */
  public List<Program> list() {
    Instant now = clock.instant();
    int n = settings.scheduler().nextRunsShown();
    return store.all().stream().map(p -> p.view(now, n)).toList();
  }

  /**
   * The programs that play this clip and still have a run to come, oldest first: what deleting the
   * clip would break. Programs whose last run has passed do not count.
   */
  public List<Program> programsUsingClip(String clipId) {
    if (clipId == null) return List.of();
    Instant now = clock.instant();
    int n = settings.scheduler().nextRunsShown();
    return store.all().stream()
        .filter(p -> clipId.equals(p.clipId()))
        .filter(p -> p.rule().nextAfter(now).isPresent())
        .map(p -> p.view(now, n))
        .toList();
  }

  /** Emergency broadcasts, which play now over everything. */
  public EmergencyService emergencies() {
    return emergencies;
  }

  /** Deletes the program and unarms it on every node; false when there was no such program. */
  public boolean delete(String id) {
    requireStarted();
    Optional<StoredProgram> program = store.find(id);
    if (id == null || !store.delete(id)) return false;
    asRun.expireRuns(id);
    unarm(id);
    publish(ProgramEvents.Type.DELETED, id);
    List<StopCommand> stops = program.map(terminalPlays::cancelToday).orElse(List.of());
    stops.forEach(dispatch::stop);
    log.info(
        "Program {} deleted; unarmed here and on every node (change event sent); {} of its runs"
            + " today called off on the terminals",
        id,
        stops.size());
    return true;
  }

  /** The program's as-run log, oldest first. */
  public List<ProgramRun> runs(String programId) {
    if (programId == null || !store.exists(programId)) {
      throw new NotFoundException("program " + programId + " not found");
    }
    return asRun.runs(programId);
  }

  /**
   * Everything that ran (or was to run) on {@code date} (a day in the configured zone) in, above or
   * below {@code area}: programs and emergencies, by scheduled instant.
   */
  public List<AsRunEntry> asRunDay(String area, LocalDate date) {
    if (area == null || !areas.tree().contains(area)) {
      throw new InvalidInputException("area", "unknown area code \"" + area + "\"");
    }
    if (date == null) throw new InvalidInputException("date", "a date yyyy-MM-dd is required");
    return asRun.day(area, date);
  }

  /**
   * The plays a terminal in {@code terminalAreas} should hold: runs dispatched to it that have not
   * ended, and runs still to come before {@code until}, by start.
   */
  public List<PlayCommand> upcomingFor(List<String> terminalAreas, Instant until) {
    return terminalPlays.upcomingFor(terminalAreas, until);
  }

  /** Records that {@code terminalId} started playing run {@code runId}. */
  public void confirmPlaying(String runId, String terminalId) {
    terminalPlays.confirmPlaying(runId, terminalId);
    log.debug("Terminal {} confirmed playing run {}", terminalId, runId);
  }

  public boolean quartzRunning() {
    ProgramTriggers t = triggers;
    return t != null && !closed && t.running();
  }

  /** The run this node's Quartz is armed for, for the program; empty when none. */
  public Optional<Instant> armedRun(String programId) {
    ProgramTriggers t = triggers;
    return t == null ? Optional.empty() : t.armedRun(programId);
  }

  /** This node's id, as it appears in logs and claims. */
  public String nodeId() {
    return nodeId;
  }

  /** Stops listening for changes and stops Quartz, letting running firings finish. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    events.close();
    ProgramTriggers t = triggers;
    if (t != null) t.shutdown();
    log.info("Program scheduler on node {} stopped", nodeId);
  }

  private void publish(ProgramEvents.Type type, String programId) {
    try {
      events.publish(type, programId);
    } catch (RuntimeException e) {
      log.warn(
          "Could not tell the other nodes that program {} was {} ({}); they pick it up when they"
              + " next resync from Redis",
          programId,
          type.name().toLowerCase(Locale.ROOT),
          e.toString());
    }
  }

  private void requireStarted() {
    if (triggers == null || closed) {
      throw new IllegalStateException("the program scheduler is not running (start() first)");
    }
  }

  // ---- arming ------------------------------------------------------------------------------

  /**
   * Arms the program's first run after {@code from} (and after any run this node already fired).
   * Runs between then and now are misfires: the latest within the grace is armed to play late at
   * once, older ones are logged missed. Returns the run armed, or empty when there is none.
   */
  private Optional<Instant> arm(StoredProgram p, Instant from) {
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

  private void unarm(String programId) {
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
  private int resync() {
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

  private final class EventListener implements ProgramEvents.Listener {
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
          log.info(
              "Program {} deleted on node {}; unarmed here", event.programId(), event.origin());
        }
      }
    }

    @Override
    public void onResubscribed() {
      int armed = resync();
      log.info("Resynced programs from Redis after reconnecting: {} armed", armed);
    }
  }

  // ---- firing ------------------------------------------------------------------------------

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

  private static String describe(Schedule s) {
    if (s.once() != null) return "once " + s.once();
    if (s.daily() != null) return "daily " + s.daily();
    if (s.weekly() != null) return "weekly " + s.weekly().days() + " " + s.weekly().time();
    return "cron " + s.cron();
  }
}
