package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.redis.RedisSubscription;

/**
 * Program changes across the cluster, over Redis pub/sub on {@code events:programs}. Publishing
 * uses the pool; listening uses a connection of its own on a dedicated thread, which reconnects
 * with backoff when Redis drops it and then asks the listener to resync, since events sent while it
 * was away are lost.
 */
final class ProgramEvents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProgramEvents.class);

  enum Type {
    CREATED,
    UPDATED,
    DELETED
  }

  /** One change: what happened to which program, and the node it happened on. */
  record Event(Type type, String programId, String origin) {}

  interface Listener {
    /** A change made on another node. */
    void onEvent(Event event);

    /** The channel was lost and is back: changes may have been missed. */
    void onResubscribed();
  }

  private final RedisHandle redis;
  private final ObjectMapper json;
  private final String nodeId;
  private final String channel;
  private final Listener listener;
  private final RedisSubscription subscription;

  ProgramEvents(RedisHandle redis, ObjectMapper json, String nodeId, Listener listener) {
    this.redis = redis;
    this.json = json;
    this.nodeId = nodeId;
    this.channel = redis.key("events:programs");
    this.listener = listener;
    this.subscription =
        new RedisSubscription(
            redis,
            "xiaolaba-program-events-" + nodeId,
            Map.of(channel, this::onMessage),
            listener::onResubscribed);
  }

  void publish(Type type, String programId) {
    try {
      redis.client().publish(channel, json.writeValueAsString(new Event(type, programId, nodeId)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts listening and waits up to {@code wait} for the subscription, so that no change made
   * after this returns is missed. Returns false when it is not subscribed yet (it keeps trying).
   */
  boolean start(Duration wait) {
    return subscription.start(wait);
  }

  private void onMessage(String message) {
    Event event;
    try {
      event = json.readValue(message, Event.class);
    } catch (JsonProcessingException | RuntimeException e) {
      log.warn("Ignoring an unreadable program change on {}: {}", channel, message);
      return;
    }
    if (nodeId.equals(event.origin()) || event.type() == null || event.programId() == null) {
      return;
    }
    try {
      listener.onEvent(event);
    } catch (RuntimeException e) {
      log.error(
          "Applying change {} of program {} failed; it is applied at the next resync",
          event.type(),
          event.programId(),
          e);
    }
  }

  @Override
  public void close() {
    subscription.close();
  }
}
