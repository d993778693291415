package org.xiaolaba.media;

import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.ConflictException;

/**
 * Deletes a clip that is ready or failed: first its records in Redis, so that nothing finds it any
 * more (an upload of the same bytes then makes a new clip), then its rendition files, unless the
 * content hash already points at another clip, which uses the same file names; the other nodes then
 * remove their copies ({@link RenditionDeletions}).
 */
final class ClipRemoval {
  private static final Logger log = LoggerFactory.getLogger(ClipRemoval.class);

  private final ClipStore store;
  private final MediaDirectories directories;
  private final RenditionDeletions deletions;

  ClipRemoval(ClipStore store, MediaDirectories directories, RenditionDeletions deletions) {
    this.store = store;
    this.directories = directories;
    this.deletions = deletions;
  }

  /** False when there is no such clip; refuses one still processing. */
  boolean delete(String id) {
    Optional<Clip> found = store.get(id);
    if (found.isEmpty()) return false;
    Clip clip = found.get();
    if (clip.status() == ClipStatus.PROCESSING) {
      throw new ConflictException(
          "clip '"
              + id
              + "' is still being processed and cannot be deleted yet; delete it once it is ready"
              + " or failed",
          List.of());
    }
    store.delete(id);
    String sha = clip.contentHash();
    if (sha == null) {
      log.info("Clip {} ('{}') deleted", id, clip.title());
      return true;
    }
    store.releaseHash(sha, id);
    Optional<String> successor = store.idForHash(sha);
    if (successor.isPresent()) {
      log.info(
          "Clip {} ('{}') deleted; its files stay: clip {} is made from the same bytes",
          id,
          clip.title(),
          successor.get());
      return true;
    }
    int removed = directories.removeRenditionsOf(sha);
    deletions.announce(sha);
    log.info("Clip {} ('{}') deleted with its {} rendition file(s)", id, clip.title(), removed);
    return true;
  }
}
