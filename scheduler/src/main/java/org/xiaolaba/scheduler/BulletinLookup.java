package org.xiaolaba.scheduler;

import java.time.LocalDate;
import java.util.Optional;

/**
 * What a program with {@code "source": "bulletin"} plays: the day's bulletin audio of an area, as
 * prepared by the daily bulletin job. Empty when there is none (not prepared, still processing, or
 * a text-only bulletin).
 */
@FunctionalInterface
public interface BulletinLookup {
  Optional<PlayableAudio> audioFor(LocalDate date, String area);

  /** Audio a terminal can fetch and play: the loudspeaker rendition's URL and its length. */
  record PlayableAudio(String url, long durationMs, String clipId) {}
}
