package org.xiaolaba.scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.InvalidInputException;

/**
 * The plays a terminal should hold, for one that has just connected (it missed every {@code play}
 * sent while it was away, and the ones sent a lead time ahead have not come yet): the runs already
 * dispatched to its areas that have not ended (from {@link Preemption}'s bookings, emergencies
 * included), then the runs of the programs covering it still to come before a given instant (from
 * the area index), each resolved to its audio as it would be at fire time.
 */
final class TerminalPlays implements TerminalSchedule {
  private static final Logger log = LoggerFactory.getLogger(TerminalPlays.class);

  /** Plays sent to one terminal at most; a day rarely has more than a few dozen. */
  static final int MAX_PLAYS = 200;

  private final ProgramStore store;
  private final Claims claims;
  private final Preemption preemption;
  private final RunAudio audio;
  private final AsRunLog asRun;
  private final AreaOverlap areas;
  private final ZoneId zone;
  private final Clock clock;
  private final RunDispatcher dispatcher;
  private final DispatchPort dispatch;

  TerminalPlays(
      ProgramStore store,
      Claims claims,
      Preemption preemption,
      RunAudio audio,
      AsRunLog asRun,
      AreaOverlap areas,
      ZoneId zone,
      Clock clock,
      RunDispatcher dispatcher,
      DispatchPort dispatch) {
    this.store = store;
    this.claims = claims;
    this.preemption = preemption;
    this.audio = audio;
    this.asRun = asRun;
    this.areas = areas;
    this.zone = zone;
    this.clock = clock;
    this.dispatcher = dispatcher;
    this.dispatch = dispatch;
  }

  /** The plays until the end of today in the configured zone. */
  @Override
  public List<PlayCommand> upcomingFor(List<String> terminalAreas) {
    return upcomingFor(terminalAreas, endOfToday());
  }

  /**
   * A deleted program's runs that terminals may hold (sent when they connected, or dispatched and
   * not over): from the one that may be playing to the end of today, released from the bookings.
   * Returns the {@code stop}s (reason {@code cancelled}) to send for them.
   */
  List<StopCommand> cancelToday(StoredProgram p) {
    Instant now = clock.instant();
    List<StopCommand> stops = new ArrayList<>();
    for (Instant run :
        RunWindows.between(p.rule(), now.minus(p.playLength()), endOfToday(), MAX_PLAYS)) {
      stops.add(cancel(p, run, p.areas(), now));
    }
    return stops;
  }

  /**
   * A program changed in place: the runs of its old version still to start today that terminals may
   * hold (sent when they connected, or dispatched a lead time ahead) and that the new version does
   * not play, there or then. A run the new version keeps at the same instant is called off only in
   * the areas it no longer reaches: in the others, its next {@code play} replaces what the
   * terminals hold. Runs already started play on. Returns the {@code stop}s to send.
   */
  List<StopCommand> cancelReplaced(StoredProgram old, StoredProgram updated) {
    Instant now = clock.instant();
    Instant until = endOfToday();
    Set<Instant> kept = new HashSet<>(RunWindows.between(updated.rule(), now, until, MAX_PLAYS));
    List<String> dropped = areas.subtract(old.areas(), updated.areas());
    List<StopCommand> stops = new ArrayList<>();
    for (Instant run : RunWindows.between(old.rule(), now, until, MAX_PLAYS)) {
      List<String> where = kept.contains(run) ? dropped : old.areas();
      if (!where.isEmpty()) stops.add(cancel(old, run, where, now));
    }
    return stops;
  }

  /**
   * A program changed in place: its runs that went out already (their trigger fired a lead time
   * ahead, or a node is sending them now) and that the new version keeps at the same instant, sent
   * again as the program now is, so that terminals play the new version (they replace a run they
   * hold by a {@code play} with the same run id). Nothing when the change does not alter what a run
   * plays, where, or at which priority. Returns how many went out again; never throws: the change
   * stands, and a run that could not be sent again is logged.
   */
  int resendChanged(StoredProgram old, StoredProgram updated) {
    if (sameOnAir(old, updated)) return 0;
    List<Instant> sent;
    try {
      Instant now = clock.instant();
      // To the end of tomorrow: only runs already claimed count, so a node whose clock or lead time
      // differs from this one's is covered too.
      Instant until = now.plus(Duration.ofDays(1));
      Set<Instant> before = new HashSet<>(RunWindows.between(old.rule(), now, until, MAX_PLAYS));
      List<Instant> kept =
          RunWindows.between(updated.rule(), now, until, MAX_PLAYS).stream()
              .filter(before::contains)
              .toList();
      if (kept.isEmpty()) return 0;
      Set<Instant> claimed = claims.claimedRuns(updated.id(), kept);
      sent = kept.stream().filter(claimed::contains).toList();
    } catch (RuntimeException e) {
      log.error(
          "Program {} changed, but which of its runs went out already cannot be read ({}):"
              + " terminals keep what they hold",
          updated.id(),
          e.toString());
      return 0;
    }
    int n = 0;
    for (Instant run : sent) {
      if (resend(old, updated, run)) n++;
    }
    return n;
  }

  /**
   * After a node sent {@code run} as {@code sent}: when the program changed or was deleted
   * meanwhile (a change that found the run not yet sent, or a stop that reached terminals before
   * this play), brings terminals in line with the program as it is now: the run sent again as
   * changed, or called off when the program no longer plays it then. Never throws.
   */
  void followChange(StoredProgram sent, Instant run) {
    try {
      Optional<StoredProgram> now = store.find(sent.id());
      if (now.isPresent() && Objects.equals(now.get().updatedAt(), sent.updatedAt())) return;
      StoredProgram current = now.orElse(null);
      boolean kept =
          current != null && current.rule().nextAfter(run.minusMillis(1)).equals(Optional.of(run));
      if (kept) {
        if (!sameOnAir(sent, current)) resend(sent, current, run);
        return;
      }
      dispatch.stop(cancel(sent, run, sent.areas(), clock.instant()));
      log.info(
          "Run {} went out as program {} was {}: called off",
          RunAudio.runId(sent.id(), run),
          sent.id(),
          current == null ? "deleted" : "changed to play at other times");
    } catch (RuntimeException e) {
      log.error(
          "Run {} went out while program {} may have changed; cannot check ({})",
          RunAudio.runId(sent.id(), run),
          sent.id(),
          e.toString());
    }
  }

  /**
   * Sends {@code run} again as {@code updated}, in place of what {@code old} sent: its bookings and
   * any interruption of it released first, and a stop where the old version reached terminals that
   * the new one (still covering them) could not (preempted, or no audio there). False, logged, when
   * it fails.
   */
  private boolean resend(StoredProgram old, StoredProgram updated, Instant run) {
    String runId = RunAudio.runId(old.id(), run);
    try {
      Instant now = clock.instant();
      release(old, run, old.areas(), now);
      asRun.clearInterrupted(runId);
      List<String> reached = dispatcher.resend(updated, run);
      List<String> left = areas.subtract(areas.intersect(old.areas(), updated.areas()), reached);
      if (!left.isEmpty()) {
        dispatch.stop(new StopCommand(updated.id(), runId, left, StopCommand.CANCELLED, now));
      }
      return true;
    } catch (RuntimeException e) {
      log.error(
          "Run {} of program {} could not be sent again as changed ({}): terminals may play the"
              + " version they hold",
          runId,
          updated.id(),
          e.toString(),
          e);
      return false;
    }
  }

  /** Whether two versions of a program put the same thing on air, in the same places. */
  private static boolean sameOnAir(StoredProgram a, StoredProgram b) {
    return Objects.equals(a.title(), b.title())
        && Objects.equals(a.clipId(), b.clipId())
        && Objects.equals(a.source(), b.source())
        && Objects.equals(a.areas(), b.areas())
        && Objects.equals(a.priority(), b.priority())
        && Objects.equals(a.durationMs(), b.durationMs());
  }

  /** Releases one run's bookings in {@code where} and below; the stop to send there. */
  private StopCommand cancel(StoredProgram p, Instant run, List<String> where, Instant now) {
    return new StopCommand(p.id(), release(p, run, where, now), where, StopCommand.CANCELLED, now);
  }

  /** Releases one run's bookings in {@code where} and below; returns its run id. */
  private String release(StoredProgram p, Instant run, List<String> where, Instant now) {
    String runId = RunAudio.runId(p.id(), run);
    List<String> booked =
        areas.related(where).stream().filter(a -> areas.tree().coversAny(where, a)).toList();
    preemption.release(runId, booked, now);
    return runId;
  }

  private Instant endOfToday() {
    Instant now = clock.instant();
    return LocalDate.ofInstant(now, zone).plusDays(1).atStartOfDay(zone).toInstant();
  }

  List<PlayCommand> upcomingFor(List<String> terminalAreas, Instant until) {
    List<String> known = terminalAreas.stream().filter(areas.tree()::contains).toList();
    if (known.isEmpty()) return List.of();
    Instant now = clock.instant();
    Map<String, PlayCommand> plays = new LinkedHashMap<>();
    Set<String> booked = new HashSet<>();
    List<PlayCommand> onAir = preemption.coveringTerminal(known, now, until);
    // A run stopped after it went out (a higher priority took over) is not handed out again.
    Set<String> stopped = asRun.interruptedAmong(onAir.stream().map(PlayCommand::runId).toList());
    for (PlayCommand b : onAir) {
      booked.add(b.runId());
      if (!stopped.contains(b.runId())) plays.put(b.runId() + " " + b.areas(), b);
    }
    Set<String> ids = store.idsFiledUnder(areas.covering(known), EnumSet.allOf(Priority.class));
    for (StoredProgram p : store.findAll(ids)) {
      List<Instant> runs = RunWindows.between(p.rule(), now, until, MAX_PLAYS);
      if (runs.isEmpty()) continue;
      Set<Instant> claimed = claims.claimedRuns(p.id(), runs);
      List<String> here = known.stream().filter(t -> areas.tree().coversAny(p.areas(), t)).toList();
      for (Instant run : runs) {
        if (claimed.contains(run) || booked.contains(RunAudio.runId(p.id(), run))) continue;
        for (PlayCommand c : audio.resolve(p, run, run, here).commands()) {
          plays.putIfAbsent(c.runId() + " " + c.areas(), c);
        }
      }
    }
    return plays.values().stream()
        .sorted(Comparator.comparing(PlayCommand::startAt).thenComparing(PlayCommand::runId))
        .limit(MAX_PLAYS)
        .toList();
  }

  @Override
  public void confirmPlaying(String runId, String terminalId) {
    if (runId == null || !runId.matches(".+:\\d+")) {
      throw new InvalidInputException(
          "runId", "expected a run id (programId:epochMillis); got \"" + runId + "\"");
    }
    if (terminalId == null || terminalId.isBlank()) {
      throw new InvalidInputException("terminalId", "a terminal id is required");
    }
    asRun.confirm(runId, terminalId);
  }
}
