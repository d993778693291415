package org.xiaolaba.scheduler;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.media.Rendition;

/**
 * What one run of a program plays, as {@link PlayCommand}s: the clip's loudspeaker rendition for
 * all its areas, or for a bulletin program the day's bulletin of each area (one command per area;
 * an area above the villages, which have no bulletin of their own, plays each village's). What
 * cannot play is named in {@code problems}.
 */
final class RunAudio {
  /** The commands to send and why anything could not go out. */
  record Resolved(List<PlayCommand> commands, List<String> problems) {}

  private final ClipLookup clips;
  private final BulletinLookup bulletins;
  private final AreaTree tree;

  RunAudio(ClipLookup clips, BulletinLookup bulletins, AreaTree tree) {
    this.clips = clips;
    this.bulletins = bulletins;
    this.tree = tree;
  }

  /**
   * The run scheduled at {@code run} of program {@code p}, starting at {@code startAt}, for {@code
   * forAreas} (the program's areas, or some of the places under them).
   */
  Resolved resolve(StoredProgram p, Instant run, Instant startAt, List<String> forAreas) {
    String runId = runId(p.id(), run);
    if (p.isBulletin()) return bulletin(p, runId, run, startAt, forAreas);
    Optional<Clip> clip = clips.find(p.clipId());
    Rendition loudspeaker =
        clip.map(Clip::renditions).map(r -> r.get(ProgramValidator.LOUDSPEAKER)).orElse(null);
    String problem = null;
    if (clip.isEmpty()) {
      problem = "clip " + p.clipId() + " no longer exists";
    } else if (clip.get().status() != ClipStatus.READY) {
      problem =
          "clip "
              + p.clipId()
              + " is "
              + clip.get().status().json()
              + (clip.get().error() == null ? "" : " (" + clip.get().error() + ")")
              + ", not ready to play";
    } else if (loudspeaker == null || loudspeaker.url() == null) {
      problem = "clip " + p.clipId() + " has no loudspeaker rendition";
    }
    if (problem != null) return new Resolved(List.of(), List.of(problem));
    Long duration = clip.get().durationMs();
    return new Resolved(
        List.of(
            command(
                p, runId, startAt, forAreas, loudspeaker.url(), duration == null ? 0 : duration)),
        List.of());
  }

  static String runId(String programId, Instant run) {
    return programId + ":" + run.toEpochMilli();
  }

  private Resolved bulletin(
      StoredProgram p, String runId, Instant run, Instant startAt, List<String> forAreas) {
    LocalDate day = LocalDate.ofInstant(run, p.zone());
    List<PlayCommand> commands = new ArrayList<>();
    List<String> without = new ArrayList<>();
    for (String area : forAreas) {
      Optional<BulletinLookup.PlayableAudio> own = bulletins.audioFor(day, area);
      if (own.isPresent()) {
        commands.add(command(p, runId, startAt, List.of(area), own.get()));
        continue;
      }
      List<String> villages = villagesBelow(area);
      if (villages.isEmpty()) without.add(area);
      for (String village : villages) {
        Optional<BulletinLookup.PlayableAudio> audio = bulletins.audioFor(day, village);
        if (audio.isPresent())
          commands.add(command(p, runId, startAt, List.of(village), audio.get()));
        else without.add(village);
      }
    }
    List<String> problems =
        without.isEmpty()
            ? List.of()
            : List.of("no bulletin audio for " + day + " in " + without + "; nothing played there");
    return new Resolved(commands, problems);
  }

  private List<String> villagesBelow(String area) {
    return tree.selfAndDescendants(area).stream()
        .filter(c -> !c.equals(area))
        .filter(c -> tree.find(c).map(a -> a.level() == AreaTree.Level.VILLAGE).orElse(false))
        .toList();
  }

  private static PlayCommand command(
      StoredProgram p,
      String runId,
      Instant startAt,
      List<String> areas,
      BulletinLookup.PlayableAudio a) {
    return command(p, runId, startAt, areas, a.url(), a.durationMs());
  }

  private static PlayCommand command(
      StoredProgram p, String runId, Instant startAt, List<String> areas, String url, long ms) {
    return new PlayCommand(
        p.id(), runId, p.title(), List.copyOf(areas), startAt, p.priority(), url, ms);
  }
}
