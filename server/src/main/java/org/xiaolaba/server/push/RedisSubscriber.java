package org.xiaolaba.server.push;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * One thread that stays subscribed to this node's pub/sub channels on its own connection and
 * resubscribes with backoff whenever Redis drops it. It never dies until closed.
 */
final class RedisSubscriber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisSubscriber.class);

  private final RedisHandle redis;
  private final Map<String, Consumer<String>> handlers;
  private final Thread thread;
  private final CountDownLatch subscribed = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile JedisPubSub current;

  RedisSubscriber(RedisHandle redis, Map<String, Consumer<String>> handlers) {
    this.redis = redis;
    this.handlers = Map.copyOf(handlers);
    this.thread = new Thread(this::loop, "redis-subscriber");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
    try {
      if (!subscribed.await(10, TimeUnit.SECONDS)) {
        log.warn("Not yet subscribed to Redis pub/sub after 10 s; live pushes start once it is");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    Duration backoff = Duration.ofMillis(100);
    while (running) {
      try (Jedis jedis = new Jedis(redis.uri())) {
        JedisPubSub pubSub =
            new JedisPubSub() {
              @Override
              public void onMessage(String channel, String message) {
                Consumer<String> h = handlers.get(channel);
                if (h == null) return;
                try {
                  h.accept(message);
                } catch (RuntimeException e) {
                  log.warn(
                      "A live message on {} could not be delivered: {}", channel, e.toString());
                }
              }

              @Override
              public void onSubscribe(String channel, int count) {
                if (count == handlers.size()) subscribed.countDown();
              }
            };
        current = pubSub;
        backoff = Duration.ofMillis(100);
        jedis.subscribe(pubSub, handlers.keySet().toArray(String[]::new));
      } catch (RuntimeException e) {
        if (!running) break;
        log.warn(
            "Redis pub/sub connection lost ({}); resubscribing in {} ms",
            e.getMessage(),
            backoff.toMillis());
        try {
          if (closed.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) break;
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
        backoff =
            backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0
                ? Duration.ofSeconds(5)
                : backoff.multipliedBy(2);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    closed.countDown();
    JedisPubSub p = current;
    if (p != null && p.isSubscribed()) {
      try {
        p.unsubscribe();
      } catch (RuntimeException ignored) {
        // the connection is going anyway
      }
    }
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
