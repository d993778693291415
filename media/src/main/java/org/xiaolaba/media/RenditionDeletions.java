package org.xiaolaba.media;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.redis.RedisSubscription;

/**
 * A deleted clip's renditions, removed from every node's disk, not only from the node that deleted
 * it: other nodes hold copies they fetched ({@link RenditionPeers}). The deleting node notes the
 * content hash in {@code clips:deleted} (for {@link #KEPT}) and publishes it on {@code
 * events:clips:deleted}; every node removes its files of that hash when the event comes, and at
 * start and after a lost subscription those of every hash noted, unless a clip made from the same
 * bytes exists again by then. Only a noted deletion removes files, so a node pointed at the wrong
 * Redis loses none. Until a node has removed its copy, it neither serves nor fetches it: {@link
 * MediaDirectories#rendition} asks whether the clip still exists.
 */
final class RenditionDeletions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RenditionDeletions.class);

  /** How long a deletion is noted for nodes that were down meanwhile. */
  static final Duration KEPT = Duration.ofDays(30);

  private static final Duration SUBSCRIBE_WAIT = Duration.ofSeconds(5);

  private final RedisHandle redis;
  private final ClipStore store;
  private final MediaDirectories directories;
  private final Clock clock;
  private final String channel;
  private volatile RedisSubscription subscription;

  RenditionDeletions(
      RedisHandle redis, ClipStore store, MediaDirectories directories, Clock clock) {
    this.redis = redis;
    this.store = store;
    this.directories = directories;
    this.clock = clock;
    this.channel = redis.key("events:clips:deleted");
  }

  /** Listens for deletions made on other nodes, then removes the files of those noted meanwhile. */
  void start(String nodeId) {
    RedisSubscription s =
        new RedisSubscription(
            redis,
            "xiaolaba-clip-deletions-" + nodeId,
            Map.of(channel, this::onDeleted),
            this::sweep);
    subscription = s;
    if (!s.start(SUBSCRIBE_WAIT)) {
      log.warn("Not subscribed to clip deletions yet; still trying (files are checked at serving)");
    }
    sweep();
  }

  /**
   * Tells every node that the renditions of these bytes are deleted, once this node has removed its
   * own. A failure is logged, not thrown: the clip is gone by then, and the other nodes never serve
   * its files; they keep them on disk until the next deletion of the same bytes.
   */
  void announce(String contentHash) {
    try {
      store.noteRenditionsDeleted(contentHash, clock.millis(), KEPT);
      redis.client().publish(channel, contentHash);
    } catch (RuntimeException e) {
      log.warn(
          "Could not tell the other nodes that the renditions of {} are deleted: {}",
          contentHash,
          e.toString());
    }
  }

  private void onDeleted(String contentHash) {
    int removed = removeUnlessUsed(contentHash);
    if (removed > 0) {
      log.info("Removed {} rendition file(s) of {}, deleted on another node", removed, contentHash);
    }
  }

  /** Removes the files of every deletion noted, unless their bytes make a clip again. */
  int sweep() {
    Set<String> here;
    try {
      here = directories.renditionHashes();
    } catch (IOException e) {
      log.warn("Could not list the renditions to remove those of deleted clips: {}", e.toString());
      return 0;
    }
    Set<String> deleted = new HashSet<>(store.renditionsDeleted());
    deleted.retainAll(here);
    int removed = 0;
    for (String contentHash : deleted) removed += removeUnlessUsed(contentHash);
    if (removed > 0) log.info("Removed {} rendition file(s) of clips deleted meanwhile", removed);
    return removed;
  }

  private int removeUnlessUsed(String contentHash) {
    if (store.clipExistsFor(contentHash)) return 0;
    return directories.removeRenditionsOf(contentHash);
  }

  @Override
  public void close() {
    RedisSubscription s = subscription;
    if (s != null) s.close();
  }
}
