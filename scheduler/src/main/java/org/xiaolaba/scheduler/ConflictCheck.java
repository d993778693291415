package org.xiaolaba.scheduler;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xiaolaba.config.errors.ConflictException;

/**
 * Two programs of the same priority conflict when their areas overlap (a county overlaps every
 * village in it) and a run of one would still be playing when a run of the other starts, within the
 * next {@code scheduler.conflictHorizon}.
 *
 * <p>Only the programs filed under an overlapping area at the same priority are read (the area
 * index), and each one's runs are enumerated over the horizon only, at most {@link
 * RunWindows#MAX_RUNS}; the two sorted lists of play windows are then walked once together.
 */
final class ConflictCheck {
  /** Conflicts named in the detail; all are listed in {@code conflicts}. */
  static final int DETAILED = 5;

  /** A run of ours that overlaps a run of {@code other}. */
  record Clash(StoredProgram other, RunWindows.Window ours, RunWindows.Window theirs) {}

  private final ProgramStore store;
  private final AreaOverlap areas;

  ConflictCheck(ProgramStore store, AreaOverlap areas) {
    this.store = store;
    this.areas = areas;
  }

  /**
   * Throws {@link ConflictException} naming every program the new one conflicts with; {@code
   * ourRuns} are its play windows over the horizon, in order, {@code until} the horizon's end.
   * {@code self} (null for a new program) is the program being changed, which never conflicts with
   * its own earlier version.
   */
  void check(
      String self,
      Priority priority,
      List<String> programAreas,
      List<RunWindows.Window> ourRuns,
      Instant now,
      Instant until,
      ZoneId zone) {
    if (ourRuns.isEmpty()) return;
    Set<String> ids = store.idsFiledUnder(areas.related(programAreas), List.of(priority));
    if (ids.isEmpty()) return;
    List<Clash> clashes = new ArrayList<>();
    for (StoredProgram other : store.findAll(ids)) {
      if (other.id().equals(self)) continue;
      if (other.rank() != priority || !areas.overlaps(programAreas, other.areas())) continue;
      List<RunWindows.Window> theirs =
          RunWindows.windows(other.rule(), other.playLength(), now, until);
      firstOverlap(ourRuns, theirs)
          .ifPresent(pair -> clashes.add(new Clash(other, pair[0], pair[1])));
    }
    if (clashes.isEmpty()) return;
    clashes.sort(
        Comparator.comparing((Clash c) -> c.ours().start()).thenComparing(c -> c.other().id()));
    throw new ConflictException(describe(priority, clashes, zone), ids(clashes));
  }

  /** The first pair of overlapping windows of two lists sorted by start; both walked once. */
  static Optional<RunWindows.Window[]> firstOverlap(
      List<RunWindows.Window> a, List<RunWindows.Window> b) {
    int i = 0;
    int j = 0;
    while (i < a.size() && j < b.size()) {
      RunWindows.Window x = a.get(i);
      RunWindows.Window y = b.get(j);
      if (x.overlaps(y)) return Optional.of(new RunWindows.Window[] {x, y});
      // Move past whichever ends first: it cannot overlap anything later in the other list.
      if (x.end().isAfter(y.end())) j++;
      else i++;
    }
    return Optional.empty();
  }

  private static List<String> ids(List<Clash> clashes) {
    return clashes.stream().map(c -> c.other().id()).toList();
  }

  private static String describe(Priority priority, List<Clash> clashes, ZoneId zone) {
    StringBuilder b =
        new StringBuilder("conflicts with ")
            .append(clashes.size())
            .append(clashes.size() == 1 ? " program" : " programs")
            .append(" of the same priority (")
            .append(priority.json())
            .append(") in overlapping areas: ");
    for (int i = 0; i < Math.min(DETAILED, clashes.size()); i++) {
      Clash c = clashes.get(i);
      if (i > 0) b.append("; ");
      b.append("program ")
          .append(c.other().id())
          .append(" \"")
          .append(c.other().title())
          .append("\" ")
          .append(c.other().areas())
          .append(" plays ")
          .append(c.theirs().start().atZone(zone).toOffsetDateTime())
          .append(" to ")
          .append(c.theirs().end().atZone(zone).toOffsetDateTime())
          .append(", this one would play ")
          .append(c.ours().start().atZone(zone).toOffsetDateTime())
          .append(" to ")
          .append(c.ours().end().atZone(zone).toOffsetDateTime());
    }
    if (clashes.size() > DETAILED)
      b.append("; and ").append(clashes.size() - DETAILED).append(" more");
    return b.append(". Move it, or give it another priority.").toString();
  }
}
