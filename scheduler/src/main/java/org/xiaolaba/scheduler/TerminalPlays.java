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
import java.util.Set;
import org.xiaolaba.config.errors.InvalidInputException;

/**
 * The plays a terminal should hold, for one that has just connected (it missed every {@code play}
 * sent while it was away, and the ones sent a lead time ahead have not come yet): the runs already
 * dispatched to its areas that have not ended (from {@link Preemption}'s bookings, emergencies
 * included), then the runs of the programs covering it still to come before a given instant (from
 * the area index), each resolved to its audio as it would be at fire time.
 */
final class TerminalPlays implements TerminalSchedule {
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

  TerminalPlays(
      ProgramStore store,
      Claims claims,
      Preemption preemption,
      RunAudio audio,
      AsRunLog asRun,
      AreaOverlap areas,
      ZoneId zone,
      Clock clock) {
    this.store = store;
    this.claims = claims;
    this.preemption = preemption;
    this.audio = audio;
    this.asRun = asRun;
    this.areas = areas;
    this.zone = zone;
    this.clock = clock;
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
   * A program changed in place between sending a run (a lead time ahead) and the run's start: the
   * runs the new version keeps at the same instant that were sent already (claimed), now released
   * from their bookings so that they can be sent again as the program is now; terminals replace a
   * run they hold by a {@code play} with the same run id. None when the change does not alter what
   * a run plays, where, or at which priority.
   */
  List<Instant> sentAndKept(StoredProgram old, StoredProgram updated, Duration leadTime) {
    if (sameOnAir(old, updated)) return List.of();
    Instant now = clock.instant();
    // The trigger fires a lead time ahead: a run at exactly now + leadTime may have gone out.
    Instant until = now.plus(leadTime).plusMillis(1);
    Set<Instant> before = new HashSet<>(RunWindows.between(old.rule(), now, until, MAX_PLAYS));
    List<Instant> kept =
        RunWindows.between(updated.rule(), now, until, MAX_PLAYS).stream()
            .filter(before::contains)
            .toList();
    if (kept.isEmpty()) return List.of();
    Set<Instant> sent = claims.claimedRuns(updated.id(), kept);
    List<Instant> out = new ArrayList<>();
    for (Instant run : kept) {
      if (!sent.contains(run)) continue; // its trigger has not fired: it goes out as it is now
      release(old, run, old.areas(), now);
      out.add(run);
    }
    return out;
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
