package org.xiaolaba.media;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A changed copy of a clip. {@link Clip} is a public record without withers; every change of state
 * is spelled here once instead of as a twelve-argument constructor call at each place. The id,
 * title, content hash and creation time never change.
 */
final class ClipEdit {
  private final Clip base;
  private ClipStatus status;
  private String error;
  private String stage;
  private int progress;
  private Long durationMs;
  private Loudness loudness;
  private Map<String, Rendition> renditions;
  private Instant updatedAt;

  private ClipEdit(Clip base) {
    this.base = base;
    this.status = base.status();
    this.error = base.error();
    this.stage = base.stage();
    this.progress = base.progress();
    this.durationMs = base.durationMs();
    this.loudness = base.loudness();
    this.renditions = base.renditions();
    this.updatedAt = base.updatedAt();
  }

  static ClipEdit of(Clip clip) {
    return new ClipEdit(clip);
  }

  ClipEdit progress(String stage, int progress) {
    this.stage = stage;
    this.progress = progress;
    return this;
  }

  ClipEdit measured(long durationMs, Loudness loudness) {
    this.durationMs = durationMs;
    this.loudness = loudness;
    return this;
  }

  ClipEdit ready(long durationMs, Loudness loudness, Map<String, Rendition> renditions) {
    this.status = ClipStatus.READY;
    this.error = null;
    this.renditions = new LinkedHashMap<>(renditions);
    return measured(durationMs, loudness).progress("done", 100);
  }

  /** Failed clips keep their stage (where it failed) but lose any renditions. */
  ClipEdit failed(String error) {
    this.status = ClipStatus.FAILED;
    this.error = error;
    this.renditions = null;
    return this;
  }

  ClipEdit updatedAt(Instant updatedAt) {
    this.updatedAt = updatedAt;
    return this;
  }

  Clip build() {
    return new Clip(
        base.id(),
        base.title(),
        status,
        error,
        stage,
        progress,
        durationMs,
        loudness,
        renditions,
        base.contentHash(),
        base.createdAt(),
        updatedAt);
  }
}
