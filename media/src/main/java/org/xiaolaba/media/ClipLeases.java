package org.xiaolaba.media;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which node works on which clip. A node holds an expiring lease in Redis on each clip it queued
 * and renews it while it lives; a clip whose lease has expired was left by a dead node, and any
 * node that restarts may resume it.
 */
final class ClipLeases implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClipLeases.class);
  private static final Duration TTL = Duration.ofSeconds(30);
  private static final Duration RENEWAL = Duration.ofSeconds(10);

  private final ClipStore store;
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService renewals =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("clip-leases"));
  private volatile String nodeId;

  ClipLeases(ClipStore store) {
    this.store = store;
  }

  /** Starts renewing, as the node of this id; before, there is no lease to take. */
  void start(String nodeId) {
    this.nodeId = nodeId;
    renewals.scheduleAtFixedRate(
        this::renew, RENEWAL.toMillis(), RENEWAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Takes the lease on a clip and keeps renewing it until {@link #drop}. */
  void hold(String clipId) {
    store.lease(clipId, nodeId, TTL); // first: a lease Redis refused is not one to renew
    held.add(clipId);
  }

  /** Stops renewing; the lease in Redis stays until released or expired. */
  void drop(String clipId) {
    held.remove(clipId);
  }

  /** Gives the lease up in Redis, if this node still has it. */
  void release(String clipId) {
    store.release(clipId, nodeId);
  }

  /** True when another node, alive (its lease has not expired), works on the clip. */
  boolean heldElsewhere(String clipId) {
    Optional<String> owner = store.owner(clipId);
    return owner.isPresent() && !owner.get().equals(nodeId);
  }

  private void renew() {
    for (String id : held) {
      try {
        store.lease(id, nodeId, TTL);
      } catch (RuntimeException e) {
        log.warn("Could not renew the lease of clip {}: {}", id, e.toString());
      }
    }
  }

  @Override
  public void close() {
    renewals.shutdownNow();
  }
}
