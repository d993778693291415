package org.xiaolaba.media;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.OverloadedException;
import org.xiaolaba.config.errors.StorageFullException;

/**
 * Takes an upload in: checks it at the door (title, size, queue, disk), hashes it, answers with the
 * existing clip when the same bytes came before, else takes ownership of the file (into {@code
 * sources/}), stores the new clip and queues it. The upload file is moved or deleted on every path,
 * and a clip that cannot be queued is undone: nothing is half written.
 */
final class ClipIngest {
  private static final Logger log = LoggerFactory.getLogger(ClipIngest.class);

  private static final int MAX_TITLE_LENGTH = 200;

  private final ClipStore store;
  private final MediaDirectories directories;
  private final ClipPipeline pipeline;
  private final ClipUpdates updates;
  private final long minFreeBytes;

  ClipIngest(
      ClipStore store,
      MediaDirectories directories,
      ClipPipeline pipeline,
      ClipUpdates updates,
      long minFreeBytes) {
    this.store = store;
    this.directories = directories;
    this.pipeline = pipeline;
    this.updates = updates;
    this.minFreeBytes = minFreeBytes;
  }

  /**
   * Returns the new clip ({@code processing}), or the existing clip when the same bytes were
   * uploaded before and are ready or still processing.
   */
  Clip accept(Path uploadedFile, String title) {
    Path source = null;
    boolean handedOver = false;
    try {
      String cleanTitle = cleanTitle(title);
      long size = Files.size(uploadedFile);
      if (size == 0) {
        throw new InvalidInputException(
            "body", "the upload is empty: send the audio file as the request body");
      }
      // refused before hashing: a full queue or disk must not cost a read of the whole upload
      if (pipeline.isFull()) throw pipeline.overloaded();
      checkFreeSpace();
      String sha = sha256(uploadedFile);
      Optional<Clip> existing = reusable(sha);
      if (existing.isPresent()) {
        log.info(
            "Upload matches clip {} (sha-256 {}); not processing it again",
            existing.get().id(),
            sha);
        return existing.get();
      }
      String id = ClipIds.random();
      source = directories.source(id);
      MediaDirectories.moveIn(uploadedFile, source);
      Clip clip = newClip(id, cleanTitle, sha);
      Optional<Clip> raced = register(clip);
      if (raced.isPresent()) return raced.get();
      handedOver = true;
      log.info("Clip {} ('{}') accepted: {} bytes, sha-256 {}", id, cleanTitle, size, sha);
      return clip;
    } catch (IOException e) {
      throw MediaDirectories.storageError("cannot store the upload", e);
    } finally {
      MediaDirectories.deleteQuietly(uploadedFile);
      if (!handedOver && source != null) {
        MediaDirectories.deleteQuietly(source);
      }
    }
  }

  /** The title as stored: control characters out, trimmed, "Untitled" when empty. */
  static String cleanTitle(String title) {
    String t = title == null ? "" : title.replaceAll("\\p{Cntrl}", " ").strip();
    if (t.isEmpty()) return "Untitled";
    if (t.codePointCount(0, t.length()) > MAX_TITLE_LENGTH) {
      throw new InvalidInputException(
          "title", "the title is longer than " + MAX_TITLE_LENGTH + " characters");
    }
    return t;
  }

  private Clip newClip(String id, String title, String sha) {
    Instant now = updates.now();
    return new Clip(
        id, title, ClipStatus.PROCESSING, null, "queued", 0, null, null, null, sha, now, now);
  }

  /**
   * Stores the clip, points its content hash at it and queues it. When another upload of the same
   * bytes got the hash first, this clip is undone and that one returned.
   */
  private Optional<Clip> register(Clip clip) {
    String id = clip.id();
    String sha = clip.contentHash();
    try {
      store.put(clip);
      store.markProcessing(id);
      if (!store.claimHash(sha, id)) {
        Optional<Clip> raced = reusable(sha);
        if (raced.isPresent()) {
          forget(id, sha);
          return raced;
        }
        // the hash points at a failed or missing clip, or one whose files are gone: replace it
        store.pointHash(sha, id);
      }
      updates.announce(clip);
      try {
        pipeline.enqueue(id);
      } catch (RejectedExecutionException e) {
        forget(id, sha);
        throw pipeline.overloaded();
      }
      return Optional.empty();
    } catch (RuntimeException e) {
      if (!(e instanceof OverloadedException)) {
        forgetQuietly(id, sha);
      }
      throw e;
    }
  }

  private void checkFreeSpace() throws IOException {
    long free = Files.getFileStore(directories.root()).getUsableSpace();
    if (free < minFreeBytes) {
      throw new StorageFullException(
          "the media disk is full: "
              + free / (1024 * 1024)
              + " MiB free, and at least "
              + minFreeBytes / (1024 * 1024)
              + " MiB must stay free for renditions",
          null);
    }
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        digest.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** The clip already made from these bytes, when it is ready (files present) or processing. */
  private Optional<Clip> reusable(String sha) {
    return store
        .idForHash(sha)
        .flatMap(store::get)
        .filter(
            c ->
                c.status() == ClipStatus.PROCESSING
                    || (c.status() == ClipStatus.READY && renditionsPresent(c)));
  }

  private boolean renditionsPresent(Clip clip) {
    if (clip.renditions() == null || clip.renditions().isEmpty()) return false;
    return clip.renditions().values().stream()
        .allMatch(r -> directories.existingRendition(r.file()).isPresent());
  }

  /** Undoes a clip that was never handed to a worker (its lease, if any, is already given up). */
  private void forget(String id, String sha) {
    store.delete(id);
    store.unmarkProcessing(id);
    store.releaseHash(sha, id);
  }

  private void forgetQuietly(String id, String sha) {
    try {
      forget(id, sha);
    } catch (RuntimeException e) {
      log.warn("Could not remove the partly stored clip {}: {}", id, e.toString());
    }
  }
}
