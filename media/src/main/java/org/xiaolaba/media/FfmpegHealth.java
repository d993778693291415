package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether ffmpeg runs, for the server's health check. The health check must answer at once, so a
 * stale result is refreshed in the background and answered from the last check meanwhile.
 */
final class FfmpegHealth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FfmpegHealth.class);
  private static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(30);

  private record Check(long atNanos, boolean ok) {}

  private final Path ffmpeg;
  private final ExecutorService checks =
      Executors.newSingleThreadExecutor(DaemonThreads.named("ffmpeg-health"));
  private final AtomicReference<Check> last = new AtomicReference<>();
  private final AtomicBoolean checking = new AtomicBoolean();

  FfmpegHealth(Path ffmpeg) {
    this.ffmpeg = ffmpeg;
  }

  /** Runs {@code ffmpeg -version} now and waits for it. */
  void checkNow() {
    last.set(new Check(System.nanoTime(), ffmpegRuns()));
    if (!last.get().ok()) {
      log.warn("ffmpeg {} does not run ('-version' failed)", ffmpeg);
    }
  }

  /**
   * True when {@code ffmpeg -version} ran successfully within the last half minute or so. Never
   * waits for ffmpeg: a stale result triggers a check in the background.
   */
  boolean works() {
    Check c = last.get();
    long now = System.nanoTime();
    if (c == null || now - c.atNanos() > MAX_AGE_NANOS) {
      checkInBackground();
    }
    return c != null && c.ok() && now - c.atNanos() < 2 * MAX_AGE_NANOS;
  }

  private void checkInBackground() {
    if (!checking.compareAndSet(false, true)) return;
    try {
      checks.execute(
          () -> {
            try {
              checkNow();
            } finally {
              checking.set(false);
            }
          });
    } catch (RejectedExecutionException e) {
      checking.set(false);
    }
  }

  private boolean ffmpegRuns() {
    Process p = null;
    try {
      p =
          new ProcessBuilder(ffmpeg.toString(), "-hide_banner", "-version")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.getOutputStream().close();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (p != null && p.isAlive()) p.destroyForcibly();
    }
  }

  @Override
  public void close() {
    checks.shutdownNow();
  }
}
