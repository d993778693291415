package org.xiaolaba.media;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One clip being processed: its current state, saved through {@link ClipUpdates} on every change,
 * and the temporary files to delete however it ends.
 */
final class ClipJob {
  private static final Logger log = LoggerFactory.getLogger(ClipJob.class);

  /** Progress is written at most this often: every percent of every clip would flood Redis. */
  private static final long PROGRESS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final String id;
  private final ClipUpdates updates;
  private final MediaDirectories directories;
  private final BooleanSupplier closing;
  private final List<Path> temporary = new ArrayList<>();
  private volatile Clip clip;
  private long lastWrite;

  ClipJob(String id, ClipUpdates updates, MediaDirectories directories, BooleanSupplier closing) {
    this.id = id;
    this.updates = updates;
    this.directories = directories;
    this.closing = closing;
  }

  String id() {
    return id;
  }

  /** The clip as last saved; null until {@link #begin}. */
  Clip clip() {
    return clip;
  }

  /** Takes up the clip as stored; until then there is nothing to report progress on. */
  void begin(Clip stored) {
    clip = stored;
  }

  private synchronized void save(ClipEdit edit) {
    clip = updates.save(edit);
    lastWrite = System.nanoTime();
  }

  synchronized void stage(String stage, int progress) {
    save(ClipEdit.of(clip).progress(stage, Math.max(progress, clip.progress())));
  }

  /** A progress report; written when it moved by a point and a fifth of a second has passed. */
  synchronized void progress(double value) {
    int p = (int) Math.min(99, Math.max(0, Math.floor(value)));
    if (clip == null || p <= clip.progress() || closing.getAsBoolean()) return;
    if (System.nanoTime() - lastWrite < PROGRESS_INTERVAL_NANOS) return;
    try {
      save(ClipEdit.of(clip).progress(clip.stage(), p));
    } catch (RuntimeException e) {
      // progress is only news; the clip goes on
      log.warn("Could not store the progress of clip {}: {}", id, e.toString());
    }
  }

  synchronized void measured(long durationMs, Loudness loudness) {
    save(ClipEdit.of(clip).measured(durationMs, loudness));
  }

  synchronized void ready(long durationMs, Loudness loudness, Map<String, Rendition> renditions) {
    save(ClipEdit.of(clip).ready(durationMs, loudness, renditions));
    log.info(
        "Clip {} ready: {} ms, {} -> {}",
        id,
        durationMs,
        Units.lufs(loudness.inputLufs() == null ? Double.NaN : loudness.inputLufs()),
        renditions.keySet());
  }

  synchronized void fail(String error) {
    log.info("Clip {} failed: {}", id, error);
    save(ClipEdit.of(clip).failed(error));
  }

  /** Fails the clip if it was taken up; Redis being down must not hide the original problem. */
  void failQuietly(String error) {
    try {
      if (clip != null) fail(error);
    } catch (RuntimeException e) {
      log.warn("Could not mark clip {} failed: {}", id, e.toString());
    }
  }

  /** A file name in {@code tmp/} for a rendition being written; deleted at the end unless kept. */
  synchronized Path temporaryFile(String profile, String extension) {
    Path p = directories.temporaryFile(id + "-" + profile + "-", "." + extension);
    temporary.add(p);
    return p;
  }

  /** The file was moved into place: no longer this job's to delete. */
  synchronized void keep(Path temporaryFile) {
    temporary.remove(temporaryFile);
  }

  synchronized void deleteTemporaryFiles() {
    for (Path p : temporary) MediaDirectories.deleteQuietly(p);
    temporary.clear();
  }
}
