package org.xiaolaba.scheduler;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
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
 * <p>Every node arms every program in its own Quartz ({@link ProgramArming}); each run is claimed
 * once across the cluster and sent out by {@link RunDispatcher}. Creating, changing and deleting
 * publishes a change event that every node applies to its own Quartz; a node that loses the event
 * channel resyncs everything from Redis when it is back.
 *
 * <p>Methods block on Redis: call them off event loops.
 */
public final class ProgramService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProgramService.class);

  /**
   * Quartz threads per node. A firing is short (a claim, a lookup, a dispatch, a write) but waits
   * on Redis, whose default {@code appendfsync always} makes every write wait for a disk flush:
   * more threads than cores keep a burst of runs due at once moving (docs/BENCHMARKS.md). Eight
   * leave room in the Redis pool (32) beside the HTTP blocking threads (16).
   */
  static final int QUARTZ_THREADS = 8;

  /** How long {@link #start} waits for the change channel before going on without it. */
  static final Duration SUBSCRIBE_WAIT = Duration.ofSeconds(5);

  private final Settings settings;
  private final DispatchPort dispatch;
  private final Clock clock;
  private final Duration leadTime;
  private final Duration horizon;
  private final String nodeId;
  private final Claims claims;
  private final ProgramStore store;
  private final ProgramValidator validator;
  private final ProgramEvents events;
  private final AreaOverlap areas;
  private final AsRunLog asRun;
  private final ConflictCheck conflicts;
  private final QuietHours quietHours;
  private final TerminalPlays terminalPlays;
  private final EmergencyService emergencies;

  private final ProgramArming arming;
  private final RunDispatcher dispatcher;
  private final MisfirePolicy misfires;
  private volatile boolean started;
  private volatile boolean closed;

  public ProgramService(
      Settings settings,
      RedisHandle redis,
      AreaTree areaTree,
      ClipLookup clips,
      DispatchPort dispatch,
      Clock clock,
      BulletinLookup bulletins) {
    this(
        settings,
        redis,
        areaTree,
        clips,
        dispatch,
        clock,
        bulletins,
        (node, firing) -> QuartzTriggers.start(node, QUARTZ_THREADS, firing));
  }

  /**
   * With triggers of the caller's choosing: tests fire runs by their own clock instead of Quartz's
   * system time.
   */
  ProgramService(
      Settings settings,
      RedisHandle redis,
      AreaTree areaTree,
      ClipLookup clips,
      DispatchPort dispatch,
      Clock clock,
      BulletinLookup bulletins,
      ProgramTriggers.Factory triggers) {
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
    this.claims = new Claims(redis, nodeId, clock);
    this.validator =
        new ProgramValidator(areaTree, clips, zone, settings.scheduler().minCronInterval());
    this.asRun = new AsRunLog(redis, json, areas, zone);
    this.misfires = new MisfirePolicy(settings.scheduler().misfireGrace(), claims, asRun);
    this.conflicts = new ConflictCheck(store, areas);
    this.quietHours = new QuietHours(settings.scheduler().quietHours(), areas, zone);
    Preemption preemption = new Preemption(redis, json, areas);
    RunAudio audio = new RunAudio(clips, bulletins, areaTree);
    this.dispatcher = new RunDispatcher(audio, preemption, dispatch, asRun, clock);
    this.terminalPlays =
        new TerminalPlays(
            store, claims, preemption, audio, asRun, areas, zone, clock, dispatcher, dispatch);
    this.arming =
        new ProgramArming(
            nodeId,
            store,
            claims,
            asRun,
            misfires,
            dispatcher,
            terminalPlays,
            leadTime,
            horizon,
            clock,
            triggers);
    this.events = new ProgramEvents(redis, json, nodeId, arming);
    this.emergencies =
        new EmergencyService(
            redis, json, validator, dispatcher, preemption, dispatch, asRun, zone, clock);
  }

  /**
   * Starts Quartz, subscribes to program changes, arms every stored program (catching up runs
   * missed while no node was up) and offers terminals their upcoming plays. Returns once this node
   * is ready to fire.
   */
  public synchronized void start() {
    if (started) throw new IllegalStateException("already started");
    if (closed) throw new IllegalStateException("closed");
    store.ensureIndexed();
    arming.startTriggers();
    started = true;
    if (!events.start(SUBSCRIBE_WAIT)) {
      log.warn(
          "Node {} is not subscribed to program changes yet; it keeps trying and resyncs when it"
              + " is",
          nodeId);
    }
    int armed = arming.resync();
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
    StoredProgram p = stored(UUID.randomUUID().toString(), v, now, null);
    store.saveChecked(p, areas.related(p.areas()), checks(p, v, null, now));
    Optional<Instant> next = arming.arm(p, now);
    publish(ProgramEvents.Type.CREATED, p.id());
    log.info(
        "Program {} \"{}\" created for {} ({}, {}, {}); next run {}",
        p.id(),
        p.title(),
        p.areas(),
        p.priority(),
        describe(p.schedule()),
        p.timezone(),
        describeNext(next, v.zone()));
    return p.view(now, settings.scheduler().nextRunsShown());
  }

  /**
   * Changes a program in place, keeping its id: validated like a new one, checked against quiet
   * hours and against every other program (never against its own old version), stored, then
   * re-armed for its new rule here and on every node. Runs already claimed keep their as-run
   * records; the old version's runs still to come today are called off on the terminals where the
   * new version does not play them (see {@link TerminalPlays#cancelReplaced}); a run already sent
   * (a lead time ahead) that the new version keeps at the same instant is sent again as the program
   * now is, so that terminals play the new version ({@link TerminalPlays#resendChanged}). Nothing
   * changes when refused.
   *
   * @throws NotFoundException when there is no such program
   */
  public Program update(String id, ProgramRequest req) {
    return update(id, req, null);
  }

  /**
   * {@link #update} made against a version read before ({@code If-Match}); null: whatever is
   * stored. A program of another version is left as it is ({@link
   * org.xiaolaba.config.errors.VersionMismatchException}).
   */
  public Program update(String id, ProgramRequest req, String ifVersion) {
    requireStarted();
    StoredProgram current =
        store.find(id).orElseThrow(() -> new NotFoundException("program " + id + " not found"));
    Instant now = clock.instant();
    ProgramValidator.Valid v = validator.validate(req, now);
    StoredProgram p = stored(current.id(), v, current.createdAt(), now);
    StoredProgram replaced =
        store.replaceChecked(p, areas.related(p.areas()), checks(p, v, p.id(), now), ifVersion);
    Optional<Instant> next = arming.rearm(p, now);
    publish(ProgramEvents.Type.UPDATED, p.id());
    List<StopCommand> stops = terminalPlays.cancelReplaced(replaced, p);
    stops.forEach(dispatch::stop);
    int resent = terminalPlays.resendChanged(replaced, p);
    log.info(
        "Program {} \"{}\" changed: {} ({}, {}, {}), was {} ({}); next run {}; {} run(s) of its"
            + " old version today called off on the terminals; {} already sent to them sent again"
            + " as changed",
        p.id(),
        p.title(),
        p.areas(),
        p.priority(),
        describe(p.schedule()),
        p.timezone(),
        replaced.areas(),
        describe(replaced.schedule()),
        describeNext(next, v.zone()),
        stops.size(),
        resent);
    return p.view(now, settings.scheduler().nextRunsShown());
  }

  private static StoredProgram stored(
      String id, ProgramValidator.Valid v, Instant createdAt, Instant updatedAt) {
    return new StoredProgram(
        id,
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
        createdAt,
        updatedAt);
  }

  /**
   * Quiet hours now (they do not depend on other programs), and what runs again each time the save
   * has to retry: the conflict check against the other programs, {@code self} excepted.
   */
  private Runnable checks(StoredProgram p, ProgramValidator.Valid v, String self, Instant now) {
    Instant until = now.plus(horizon);
    List<RunWindows.Window> ours = RunWindows.windows(p.rule(), p.playLength(), now, until);
    quietHours.check(v.priority(), p.areas(), ours, v.zone());
    return () -> conflicts.check(self, v.priority(), p.areas(), ours, now, until, v.zone());
  }

  private static String describeNext(Optional<Instant> next, ZoneId zone) {
    return next.map(i -> i.atZone(zone).toOffsetDateTime().toString()).orElse("none");
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
    arming.unarm(id);
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
    return !closed && arming.running();
  }

  /** Counts since this node started, for metrics: trigger fires and misfires by outcome. */
  public record FireCounts(long fires, long missed, long late) {}

  public FireCounts fireCounts() {
    return new FireCounts(arming.fires(), misfires.missedRuns(), arming.lateArmed());
  }

  /** The run this node's Quartz is armed for, for the program; empty when none. */
  public Optional<Instant> armedRun(String programId) {
    return arming.armedRun(programId);
  }

  /** The program as stored now; for tests. */
  Optional<StoredProgram> stored(String programId) {
    return store.find(programId);
  }

  /** What terminals hold of this node's programs; for tests. */
  TerminalPlays terminalPlays() {
    return terminalPlays;
  }

  /** This node's run claims; for tests. */
  Claims claims() {
    return claims;
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
    arming.shutdown();
    claims.close();
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
    if (!started || closed) {
      throw new IllegalStateException("the program scheduler is not running (start() first)");
    }
  }

  private static String describe(Schedule s) {
    if (s.once() != null) return "once " + s.once();
    if (s.daily() != null) return "daily " + s.daily();
    if (s.weekly() != null) return "weekly " + s.weekly().days() + " " + s.weekly().time();
    return "cron " + s.cron();
  }
}
