package org.xiaolaba.config.redis;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * A pub/sub subscription that outlives Redis hiccups: one daemon thread holds its own connection
 * (pub/sub cannot share the pool's), and when Redis drops it, resubscribes with backoff and calls
 * {@code onResubscribed} — messages sent meanwhile are lost, so the owner resyncs from Redis. The
 * thread never dies until {@link #close()}.
 */
public final class RedisSubscription implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisSubscription.class);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
  private static final int CONNECT_TIMEOUT_MS = 5000;

  private final RedisHandle redis;
  private final String name;
  private final Map<String, Consumer<String>> handlers;
  private final Runnable onResubscribed;
  private final CountDownLatch firstSubscription = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean running;
  private volatile Thread thread;
  private volatile Jedis connection;
  private volatile JedisPubSub pubSub;

  /**
   * @param name for the thread and the logs
   * @param handlers channel → what to do with each message (called on the subscription thread)
   * @param onResubscribed called after the subscription came back from a loss
   */
  public RedisSubscription(
      RedisHandle redis,
      String name,
      Map<String, Consumer<String>> handlers,
      Runnable onResubscribed) {
    this.redis = redis;
    this.name = name;
    this.handlers = Map.copyOf(handlers);
    this.onResubscribed = onResubscribed;
  }

  /**
   * Starts listening and waits up to {@code wait} for the subscription, so nothing published after
   * this returns is missed. Returns false when not subscribed yet (it keeps trying).
   */
  public boolean start(Duration wait) {
    running = true;
    Thread t = new Thread(this::listen, name);
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

  /** The pause before the next resubscribe; only the listening thread uses it. */
  private Duration backoff = FIRST_BACKOFF;

  private void listen() {
    boolean lost = false;
    while (running) {
      try (Jedis jedis = new Jedis(redis.uri(), CONNECT_TIMEOUT_MS)) {
        connection = jedis;
        JedisPubSub subscriber = new Subscriber(lost);
        pubSub = subscriber;
        if (!running) break;
        jedis.subscribe(subscriber, handlers.keySet().toArray(String[]::new));
        // subscribe() returns when unsubscribed: on close, or when the server ended it.
        lost = true;
        backoff = FIRST_BACKOFF;
      } catch (RuntimeException e) {
        if (!running) break;
        lost = true;
        log.warn(
            "{}: lost the Redis subscription ({}); resubscribing in {} ms",
            name,
            e.getMessage(),
            backoff.toMillis());
        if (!pause(backoff)) break;
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
      } finally {
        connection = null;
      }
    }
    log.debug("{}: stopped listening", name);
  }

  /** Waits for the backoff, or less if closed meanwhile; false when it is time to stop. */
  private boolean pause(Duration d) {
    try {
      return !closed.await(d.toMillis(), TimeUnit.MILLISECONDS) && running;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private final class Subscriber extends JedisPubSub {
    private final boolean afterLoss;
    private int subscribedChannels;

    Subscriber(boolean afterLoss) {
      this.afterLoss = afterLoss;
    }

    @Override
    public void onSubscribe(String channel, int count) {
      if (++subscribedChannels < handlers.size()) return;
      backoff = FIRST_BACKOFF; // subscribed again: the next loss starts from the first pause
      if (afterLoss) {
        log.info("{}: subscription is back; resyncing", name);
        try {
          onResubscribed.run();
        } catch (RuntimeException e) {
          log.error("{}: resync after reconnecting failed; the next reconnect retries it", name, e);
        }
      }
      firstSubscription.countDown();
    }

    @Override
    public void onMessage(String channel, String message) {
      Consumer<String> handler = handlers.get(channel);
      if (handler == null) return;
      try {
        handler.accept(message);
      } catch (RuntimeException e) {
        log.warn("{}: a message on {} could not be handled: {}", name, channel, e.toString());
      }
    }
  }

  @Override
  public void close() {
    running = false;
    closed.countDown();
    JedisPubSub s = pubSub;
    if (s != null) {
      try {
        if (s.isSubscribed()) s.unsubscribe();
      } catch (RuntimeException e) {
        log.debug("{}: unsubscribing on close: {}", name, e.getMessage());
      }
    }
    Thread t = thread;
    if (t == null) return;
    try {
      t.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Jedis c = connection;
    if (t.isAlive() && c != null) {
      try {
        c.close(); // a subscription stuck on a dead socket ends when its connection does
      } catch (RuntimeException e) {
        log.debug("{}: closing the connection: {}", name, e.getMessage());
      }
    }
  }
}
