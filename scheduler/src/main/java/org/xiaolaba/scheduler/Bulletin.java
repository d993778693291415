package org.xiaolaba.scheduler;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * One area's bulletin for a day: a text digest for the app and, when its items have audio, one
 * continuous program. {@code status}: {@code preparing} while the audio is processed, {@code
 * ready}, or {@code failed} when the audio could not be made (the text is still good).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Bulletin(
    LocalDate date,
    String area,
    String status,
    String title,
    String text,
    List<Entry> items,
    Audio audio,
    String clipId,
    String error,
    Instant preparedAt) {

  public static final String PREPARING = "preparing";
  public static final String READY = "ready";
  public static final String FAILED = "failed";

  /** An item as listed in the bulletin, in bulletin order. */
  public record Entry(String id, String kind, String title, String clipId) {}

  /** The bulletin program: the app rendition for residents, the loudspeaker one for horns. */
  public record Audio(String url, String loudspeakerUrl, long durationMs) {}

  Bulletin settled(String newStatus, Audio newAudio, String newError) {
    return new Bulletin(
        date, area, newStatus, title, text, items, newAudio, clipId, newError, preparedAt);
  }
}
