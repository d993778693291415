package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a start finds of the run before: temporary files, which are deleted, and clips left
 * processing by this node or a dead one, which are resumed when their upload is still on disk and
 * failed with a clear error when it is not. Uploads no clip waits for are deleted.
 */
final class ClipRecovery {
  private static final Logger log = LoggerFactory.getLogger(ClipRecovery.class);

  private final ClipStore store;
  private final MediaDirectories directories;
  private final ClipLeases leases;
  private final ClipPipeline pipeline;
  private final ClipUpdates updates;

  ClipRecovery(
      ClipStore store,
      MediaDirectories directories,
      ClipLeases leases,
      ClipPipeline pipeline,
      ClipUpdates updates) {
    this.store = store;
    this.directories = directories;
    this.leases = leases;
    this.pipeline = pipeline;
    this.updates = updates;
  }

  void sweepTemporaryFiles() throws IOException {
    int removed = directories.emptyTemporaryDirectories();
    if (removed > 0) {
      log.info("Removed {} temporary file(s) left by an earlier run", removed);
    }
  }

  /** Resumes or fails the clips left processing; runs once leases can be taken. */
  void resumeInterrupted() {
    Set<String> waiting = new HashSet<>();
    for (String id : store.processing()) {
      if (leases.heldElsewhere(id) || resume(id)) {
        waiting.add(id);
      }
    }
    removeOrphanedUploads(waiting);
  }

  /** Queues the clip again; false when it is not processing any more or cannot be resumed. */
  private boolean resume(String id) {
    Optional<Clip> found = store.get(id);
    if (found.isEmpty() || found.get().status() != ClipStatus.PROCESSING) {
      store.unmarkProcessing(id);
      return false;
    }
    Clip clip = found.get();
    if (!ClipIds.isValid(id) || !Files.isRegularFile(directories.source(id))) {
      fail(
          clip,
          "processing was interrupted when the server stopped, and the uploaded file is no"
              + " longer on disk; upload it again");
      return false;
    }
    // from the start: the temporary files of the interrupted run are gone
    Clip queued = ClipEdit.of(clip).progress("queued", 0).build();
    store.put(queued);
    try {
      pipeline.enqueue(id);
      log.info("Resuming clip {} ('{}') interrupted by a restart", id, clip.title());
      return true;
    } catch (RejectedExecutionException e) {
      fail(
          queued,
          "the server restarted while this clip was being processed and could not resume it"
              + " (the transcoding queue is full); upload it again");
      return false;
    }
  }

  private void fail(Clip clip, String error) {
    updates.save(ClipEdit.of(clip).failed(error));
    store.unmarkProcessing(clip.id());
    leases.release(clip.id());
    if (ClipIds.isValid(clip.id())) {
      MediaDirectories.deleteQuietly(directories.source(clip.id())); // never a path from Redis
    }
    log.info("Clip {} failed: {}", clip.id(), error);
  }

  private void removeOrphanedUploads(Set<String> waiting) {
    Path sources = directories.sources();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(sources)) {
      for (Path f : files) {
        if (!waiting.contains(f.getFileName().toString())) {
          log.info("Removing orphaned upload {}", f);
          Files.deleteIfExists(f);
        }
      }
    } catch (IOException e) {
      log.warn("Could not clean {}: {}", sources, e.toString());
    }
  }
}
