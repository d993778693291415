package org.xiaolaba.scheduler;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.media.Rendition;

/**
 * Programs: validated, stored in Redis, and fired by this node's in-memory Quartz.
 *
 * <p>Every node arms every program: one Quartz trigger per program, for its next run, firing a lead
 * time before the run's start (at once when that is already past but the start is not). When it
 * fires, the node claims the run in Redis ({@code SET NX} on program and run instant); the one node
 * that wins resolves the clip, hands {@code play} to the {@link DispatchPort} and writes the run to
 * the as-run log; the others lose silently. Either way the node then arms the following run.
 * Creating and deleting publishes a change event that every node applies to its own Quartz; a node
 * that loses the event channel resyncs everything from Redis when it is back.
 *
 * <p>Methods block on Redis: call them off event loops.
 */
public final class ProgramService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProgramService.class);

  /** Quartz threads per node: firing is short (a claim, a lookup, a dispatch, a write). */
  static final int QUARTZ_THREADS = 4;

  /**
   * A run whose instant passed longer ago than this when it comes up is skipped rather than played
   * late.
   */
  static final Duration MISFIRE_GRACE = Duration.ofMinutes(5);

  /** How long {@link #start} waits for the change channel before going on without it. */
  static final Duration SUBSCRIBE_WAIT = Duration.ofSeconds(5);

  /** A run dispatched more than this after its start is marked late. */
  static final Duration LATE_AFTER = Duration.ofSeconds(1);

  static final String LOUDSPEAKER = "loudspeaker";

  private final Settings settings;
  private final ClipLookup clips;
  private final DispatchPort dispatch;
  private final Clock clock;
  private final Duration leadTime;
  private final String nodeId;
  private final ProgramStore store;
  private final ProgramValidator validator;
  private final ProgramEvents events;

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
      AreaTree areas,
      ClipLookup clips,
      DispatchPort dispatch,
      Clock clock) {
    this.settings = settings;
    this.clips = clips;
    this.dispatch = dispatch;
    this.clock = clock;
    this.leadTime = settings.scheduler().leadTime();
    this.nodeId = "node-" + UUID.randomUUID().toString().substring(0, 8);
    ObjectMapper json = Json.mapper();
    this.store = new ProgramStore(redis, json);
    this.validator = new ProgramValidator(areas, clips, settings.zone());
    this.events = new ProgramEvents(redis, json, nodeId, new EventListener());
  }

  /**
   * Starts Quartz, subscribes to program changes and arms every stored program. Returns once this
   * node is ready to fire.
   */
  public synchronized void start() {
    if (triggers != null) throw new IllegalStateException("already started");
    if (closed) throw new IllegalStateException("closed");
    triggers = ProgramTriggers.start(nodeId, QUARTZ_THREADS, this::fire);
    if (!events.start(SUBSCRIBE_WAIT)) {
      log.warn(
          "Node {} is not subscribed to program changes yet; it keeps trying and resyncs when it"
              + " is",
          nodeId);
    }
    int armed = resync();
    log.info(
        "Program scheduler started on node {}: {} programs armed in Quartz, lead time {}",
        nodeId,
        armed,
        leadTime);
  }

  /** Validates, stores, arms here and tells the other nodes. Nothing is stored when invalid. */
  public Program create(ProgramRequest req) {
    requireStarted();
    Instant now = clock.instant();
    ProgramValidator.Valid v = validator.validate(req, now);
    StoredProgram p =
        new StoredProgram(
            UUID.randomUUID().toString(),
            v.title(),
            v.clipId(),
            List.copyOf(v.areas()),
            v.priority().json(),
            v.zone().getId(),
            v.rule().toSchedule(),
            now);
    store.save(p);
    Optional<Instant> next = arm(p, now);
    publish(ProgramEvents.Type.CREATED, p.id());
    log.info(
        "Program {} \"{}\" created for {} ({}, {}); next run {}",
        p.id(),
        p.title(),
        p.areas(),
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

  /** Deletes the program and unarms it on every node; false when there was no such program. */
  public boolean delete(String id) {
    requireStarted();
    if (id == null || !store.delete(id)) return false;
    unarm(id);
    publish(ProgramEvents.Type.DELETED, id);
    log.info("Program {} deleted; unarmed here and on every node (change event sent)", id);
    return true;
  }

  /** The program's as-run log, oldest first. */
  public List<ProgramRun> runs(String programId) {
    if (programId == null || !store.exists(programId)) {
      throw new NotFoundException("program " + programId + " not found");
    }
    return store.runs(programId);
  }

  /** Records that {@code terminalId} started playing run {@code runId}. */
  public void confirmPlaying(String runId, String terminalId) {
    if (runId == null || !runId.matches(".+:\\d+")) {
      throw new InvalidInputException(
          "runId", "expected a run id (programId:epochMillis); got \"" + runId + "\"");
    }
    if (terminalId == null || terminalId.isBlank()) {
      throw new InvalidInputException("terminalId", "a terminal id is required");
    }
    store.confirm(runId, terminalId);
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
   * Returns the run armed, or empty when there is none and the program is unarmed.
   */
  private Optional<Instant> arm(StoredProgram p, Instant from) {
    synchronized (armLock) {
      ProgramTriggers t = triggers;
      if (t == null || closed) return Optional.empty();
      Instant now = clock.instant();
      Instant after = from;
      Instant last = fired.get(p.id());
      if (last != null && last.isAfter(after)) after = last;
      ProgramRule rule = p.rule();
      Optional<Instant> next = rule.nextAfter(after);
      if (next.isPresent() && next.get().isBefore(now.minus(MISFIRE_GRACE))) {
        log.warn(
            "Program {}: run {} passed more than {} ago and is skipped; arming the next run after"
                + " now",
            p.id(),
            next.get(),
            MISFIRE_GRACE);
        next = rule.nextAfter(now);
      }
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
      return next;
    }
  }

  private void unarm(String programId) {
    synchronized (armLock) {
      ProgramTriggers t = triggers;
      if (t != null) t.unarm(programId);
      fired.remove(programId);
      known.remove(programId);
    }
  }

  /** Arms every stored program and unarms what is no longer stored; returns how many are armed. */
  private int resync() {
    Instant now = clock.instant();
    List<StoredProgram> all = store.all();
    Set<String> ids = new HashSet<>();
    int armed = 0;
    for (StoredProgram p : all) {
      ids.add(p.id());
      try {
        if (arm(p, now).isPresent()) armed++;
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
        dispatchRun(program, run);
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

  /** This node won the claim: play the clip and write the run, whatever happens. */
  private void dispatchRun(StoredProgram p, Instant run) {
    ZoneId zone = p.zone();
    String runId = p.id() + ":" + run.toEpochMilli();
    Instant dispatchedAt = null;
    int reached = 0;
    String error = null;
    try {
      Optional<Clip> clip = clips.find(p.clipId());
      Rendition loudspeaker = clip.map(Clip::renditions).map(r -> r.get(LOUDSPEAKER)).orElse(null);
      if (clip.isEmpty()) {
        error = "clip " + p.clipId() + " no longer exists";
      } else if (clip.get().status() != ClipStatus.READY) {
        error =
            "clip "
                + p.clipId()
                + " is "
                + clip.get().status().json()
                + (clip.get().error() == null ? "" : " (" + clip.get().error() + ")")
                + ", not ready to play";
      } else if (loudspeaker == null || loudspeaker.url() == null) {
        error = "clip " + p.clipId() + " has no loudspeaker rendition";
      } else {
        Long duration = clip.get().durationMs();
        PlayCommand command =
            new PlayCommand(
                p.id(),
                runId,
                p.title(),
                p.areas(),
                run,
                p.priority(),
                loudspeaker.url(),
                duration == null ? 0L : duration);
        reached = dispatch.play(command);
        dispatchedAt = clock.instant();
      }
    } catch (RuntimeException e) {
      error = "dispatch failed: " + e;
      log.error(
          "Run {} of program {}: dispatch failed; the run is logged with the error",
          runId,
          p.id(),
          e);
    }
    boolean late = dispatchedAt != null && dispatchedAt.isAfter(run.plus(LATE_AFTER));
    ProgramRun record =
        new ProgramRun(
            runId,
            run.atZone(zone).toOffsetDateTime(),
            dispatchedAt == null ? null : dispatchedAt.atZone(zone).toOffsetDateTime(),
            reached,
            List.of(),
            late,
            false,
            error);
    store.appendRun(p.id(), record);
    if (error == null) {
      log.info(
          "Run {} of program {} \"{}\" dispatched to {} terminals for its start at {}{}",
          runId,
          p.id(),
          p.title(),
          reached,
          run.atZone(zone).toOffsetDateTime(),
          late ? " (late: already past its start)" : "");
    } else if (!error.startsWith("dispatch failed")) { // that one was logged with its cause
      log.warn("Run {} of program {} did not go out: {}", runId, p.id(), error);
    }
  }

  private static String describe(Schedule s) {
    if (s.once() != null) return "once " + s.once();
    if (s.daily() != null) return "daily " + s.daily();
    if (s.weekly() != null) return "weekly " + s.weekly().days() + " " + s.weekly().time();
    return "cron " + s.cron();
  }
}
