package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Program changes across the cluster, over Redis pub/sub on {@code events:programs}. Publishing
 * uses the pool; listening uses a connection of its own on a dedicated thread, which reconnects
 * with backoff when Redis drops it and then asks the listener to resync, since events sent while it
 * was away are lost.
 */
final class ProgramEvents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProgramEvents.class);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
  private static final int CONNECT_TIMEOUT_MS = 5000;

  enum Type {
    CREATED,
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
  private final CountDownLatch firstSubscription = new CountDownLatch(1);
  private volatile boolean running;
  private volatile Thread thread;
  private volatile Jedis connection;
  private volatile JedisPubSub pubSub;
  private volatile boolean subscribed;

  ProgramEvents(RedisHandle redis, ObjectMapper json, String nodeId, Listener listener) {
    this.redis = redis;
    this.json = json;
    this.nodeId = nodeId;
    this.channel = redis.key("events:programs");
    this.listener = listener;
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
    running = true;
    Thread t = new Thread(this::listen, "xiaolaba-program-events-" + nodeId);
    t.setDaemon(true);
    thread = t;
    t.start();
    try {
      return firstSubscription.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void listen() {
    Duration backoff = FIRST_BACKOFF;
    boolean lost = false;
    while (running) {
      subscribed = false;
      try (Jedis jedis = new Jedis(redis.uri(), CONNECT_TIMEOUT_MS)) {
        connection = jedis;
        boolean resync = lost;
        JedisPubSub subscriber = new Subscriber(resync);
        pubSub = subscriber;
        if (!running) break;
        jedis.subscribe(subscriber, channel);
        // Returns when unsubscribed: on close, or if the server ended the subscription, after
        // which changes may have been missed.
        lost = true;
      } catch (RuntimeException e) {
        if (!running) break;
        lost = true;
        if (subscribed) backoff = FIRST_BACKOFF;
        log.warn(
            "Lost the program change channel {} ({}); resubscribing in {} ms, then resyncing"
                + " programs from Redis",
            channel,
            e.getMessage(),
            backoff.toMillis());
        if (!pause(backoff)) break;
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
        continue;
      } finally {
        connection = null;
      }
      backoff = FIRST_BACKOFF;
    }
    log.debug("Stopped listening for program changes on {}", channel);
  }

  private boolean pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
      return running;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private final class Subscriber extends JedisPubSub {
    private final boolean resync;

    Subscriber(boolean resync) {
      this.resync = resync;
    }

    @Override
    public void onSubscribe(String ch, int subscribedChannels) {
      if (resync) {
        log.info("Program change channel {} is back; resyncing programs from Redis", ch);
        try {
          listener.onResubscribed();
        } catch (RuntimeException e) {
          log.error("Resyncing programs after reconnecting failed; will retry on the next", e);
        }
      } else {
        log.debug("Listening for program changes on {}", ch);
      }
      subscribed = true;
      firstSubscription.countDown();
    }

    @Override
    public void onMessage(String ch, String message) {
      Event event;
      try {
        event = json.readValue(message, Event.class);
      } catch (JsonProcessingException | RuntimeException e) {
        log.warn("Ignoring an unreadable program change on {}: {}", ch, message);
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
  }

  @Override
  public void close() {
    running = false;
    JedisPubSub s = pubSub;
    if (s != null) {
      try {
        if (s.isSubscribed()) s.unsubscribe();
      } catch (RuntimeException e) {
        log.debug("Unsubscribing on close: {}", e.getMessage());
      }
    }
    Thread t = thread;
    if (t != null) {
      t.interrupt();
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        Jedis c = connection;
        if (c != null) {
          try {
            c.close();
          } catch (RuntimeException e) {
            log.debug("Closing the event connection: {}", e.getMessage());
          }
        }
      }
    }
  }
}
