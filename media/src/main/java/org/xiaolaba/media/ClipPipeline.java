package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.OverloadedException;

/**
 * Clips waiting for and going through the {@link ClipTranscoder}, on a bounded pool of {@code
 * ffmpeg.workers} threads with a queue of {@code ffmpeg.queueSize}: a full queue refuses new clips
 * rather than grow. Each clip ends ready or failed, its upload deleted, its lease released; a clip
 * the library's closing interrupts stays processing, its upload kept, for the next start.
 */
final class ClipPipeline {
  private static final Logger log = LoggerFactory.getLogger(ClipPipeline.class);

  /** What a client refused for a full queue (or a shutdown) is told to wait before trying again. */
  static final int RETRY_AFTER_SECONDS = 10;

  private final int queueSize;
  private final ThreadPoolExecutor workers;
  private final ClipTranscoder transcoder;
  private final ClipStore store;
  private final ClipLeases leases;
  private final MediaDirectories directories;
  private final ClipUpdates updates;
  private final BooleanSupplier closing;

  ClipPipeline(
      Settings.Ffmpeg limits,
      ClipTranscoder transcoder,
      ClipStore store,
      ClipLeases leases,
      MediaDirectories directories,
      ClipUpdates updates,
      BooleanSupplier closing) {
    this.queueSize = limits.queueSize();
    this.transcoder = transcoder;
    this.store = store;
    this.leases = leases;
    this.directories = directories;
    this.updates = updates;
    this.closing = closing;
    int threads = limits.workers();
    BlockingQueue<Runnable> queue =
        queueSize > 0 ? new ArrayBlockingQueue<>(queueSize) : new SynchronousQueue<>();
    this.workers =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            queue,
            DaemonThreads.named("clip-worker"),
            new ThreadPoolExecutor.AbortPolicy());
  }

  /** True when every worker is busy and the queue is full: a new clip would be refused. */
  boolean isFull() {
    return workers.getActiveCount() >= workers.getMaximumPoolSize()
        && workers.getQueue().remainingCapacity() == 0;
  }

  /** Clips waiting for a worker. */
  int waiting() {
    return workers.getQueue().size();
  }

  /** Clips being transcoded now. */
  int running() {
    return workers.getActiveCount();
  }

  OverloadedException overloaded() {
    return new OverloadedException(
        "the transcoding queue is full (" + queueSize + " clips waiting); try again shortly",
        RETRY_AFTER_SECONDS);
  }

  /**
   * Queues a stored, processing clip whose upload is in {@code sources/}, and holds its lease while
   * it waits and runs.
   *
   * @throws RejectedExecutionException when the queue is full or the pipeline is stopped; the lease
   *     is given up again
   */
  void enqueue(String clipId) {
    leases.hold(clipId);
    try {
      workers.execute(() -> process(clipId));
    } catch (RejectedExecutionException e) {
      leases.drop(clipId);
      leases.release(clipId);
      throw e;
    }
  }

  /** Interrupts the workers; the running ffmpeg processes are the caller's to kill. */
  void stopNow() {
    workers.shutdownNow();
  }

  void awaitStopped() {
    try {
      if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("Clip workers did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void process(String clipId) {
    ClipJob job = new ClipJob(clipId, updates, directories, closing);
    boolean finished = false;
    try {
      finished = runToEnd(job);
    } finally {
      job.deleteTemporaryFiles();
      leases.drop(clipId);
      if (finished) settle(clipId);
    }
  }

  /**
   * Runs the clip; true when it ended (ready, failed or gone), false when it was left processing.
   */
  private boolean runToEnd(ClipJob job) {
    Path source = directories.source(job.id());
    try {
      Optional<Clip> found = store.get(job.id());
      if (found.isEmpty() || found.get().status() != ClipStatus.PROCESSING) return true;
      job.begin(found.get());
      if (!Files.isRegularFile(source)) {
        job.failQuietly("the uploaded file is no longer on disk; upload it again");
        return true;
      }
      transcoder.transcode(job, source);
      return true;
    } catch (ClipRefused e) {
      job.failQuietly(e.getMessage());
      return true;
    } catch (ClipAbandoned | InterruptedException e) {
      log.info(
          "Clip {} left processing: the library is closing; it resumes at the next start",
          job.id());
      return false;
    } catch (Exception e) {
      if (closing.getAsBoolean()) {
        // a failure the shutdown caused (a killed process, a closed pipe) is not the clip's fault
        log.info("Clip {} interrupted by shutdown ({})", job.id(), e.toString());
        return false;
      }
      log.error("Processing clip {} failed", job.id(), e);
      job.failQuietly(internalError(e));
      return true;
    }
  }

  private String internalError(Exception e) {
    if (e instanceof IOException io && MediaDirectories.isDiskFull(io)) {
      return ClipRefused.DISK_FULL;
    }
    return "processing failed because of an internal error ("
        + e.toString().replace(directories.root().toString(), "<media>")
        + ")";
  }

  /** The clip has ended: its upload goes, and it leaves the processing set and its lease. */
  private void settle(String clipId) {
    MediaDirectories.deleteQuietly(directories.source(clipId));
    try {
      store.unmarkProcessing(clipId);
      leases.release(clipId);
    } catch (RuntimeException e) {
      log.warn("Could not update Redis for clip {}: {}", clipId, e.toString());
    }
  }
}
