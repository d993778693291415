package org.xiaolaba.server.push;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The counts of push delivery reports (handed to subscribers, acknowledged), added up in memory and
 * written to Redis in one pipeline every {@link #FLUSH_EVERY}, instead of one blocking task per
 * message and per ack: a county push to 100,000 residents who all acknowledge it is a few writes,
 * not 100,000 queued tasks. Bounded: at most {@link #MAX_PENDING} distinct pushes and acknowledged
 * offsets wait between flushes; past that, counts are dropped and the drop is logged.
 */
final class PushCounters implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PushCounters.class);

  static final Duration FLUSH_EVERY = Duration.ofMillis(500);
  static final int MAX_PENDING = 100_000;

  /** Offsets of recent live messages and their push, so most acks need no lookup. */
  private static final int KNOWN_OFFSETS = 10_000;

  private final RedisHandle redis;
  private final ScheduledExecutorService flusher;
  private final Map<String, LongAdder> delivered = new ConcurrentHashMap<>();

  /** Acks by channel and offset ({@code channel + " " + offset}). */
  private final Map<String, LongAdder> acked = new ConcurrentHashMap<>();

  private final Map<String, String> pushOfOffset =
      new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
          return size() > KNOWN_OFFSETS;
        }
      };

  private final AtomicLong dropped = new AtomicLong();

  PushCounters(RedisHandle redis) {
    this.redis = redis;
    this.flusher =
        Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("push-counters", true));
    flusher.scheduleWithFixedDelay(
        this::flushSafely, FLUSH_EVERY.toMillis(), FLUSH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A live message of {@code pushId} at {@code offset} of {@code channel} went to {@code n}. */
  void delivered(String pushId, String channel, String offset, int n) {
    synchronized (pushOfOffset) {
      pushOfOffset.put(channel + " " + offset, pushId);
    }
    add(delivered, pushId, n);
  }

  /** A resident acknowledged the message at {@code offset} of {@code channel}. */
  void acked(String channel, String offset) {
    add(acked, channel + " " + offset, 1);
  }

  private void add(Map<String, LongAdder> counts, String key, long n) {
    LongAdder a = counts.get(key);
    if (a == null) {
      if (counts.size() >= MAX_PENDING) {
        dropped.incrementAndGet();
        return;
      }
      a = counts.computeIfAbsent(key, k -> new LongAdder());
    }
    a.add(n);
  }

  private void flushSafely() {
    try {
      flush();
    } catch (RuntimeException e) {
      log.warn("Push delivery counts not written this time: {}", e.toString());
    }
    long d = dropped.getAndSet(0);
    if (d > 0) log.warn("{} push delivery counts were dropped: too many pending", d);
  }

  /** Writes what was counted since the last flush. */
  void flush() {
    Map<String, Long> deliveredNow = drain(delivered);
    Map<String, Long> ackedNow = drain(acked);
    Map<String, Long> ackedByPush = new HashMap<>();
    List<String> unknown = new ArrayList<>();
    synchronized (pushOfOffset) {
      for (Map.Entry<String, Long> e : ackedNow.entrySet()) {
        String push = pushOfOffset.get(e.getKey());
        if (push != null) ackedByPush.merge(push, e.getValue(), Long::sum);
        else unknown.add(e.getKey());
      }
    }
    resolve(unknown, ackedNow, ackedByPush);
    if (deliveredNow.isEmpty() && ackedByPush.isEmpty()) return;
    try (AbstractPipeline p = redis.client().pipelined()) {
      deliveredNow.forEach((push, n) -> add(p, push, "delivered", n));
      ackedByPush.forEach((push, n) -> add(p, push, "acked", n));
      p.sync();
    }
  }

  /**
   * Finds the push of acknowledged offsets this node did not deliver (older, or another node's).
   */
  private void resolve(List<String> keys, Map<String, Long> counts, Map<String, Long> byPush) {
    if (keys.isEmpty()) return;
    List<Response<List<StreamEntry>>> found = new ArrayList<>(keys.size());
    try (AbstractPipeline p = redis.client().pipelined()) {
      for (String k : keys) {
        int space = k.indexOf(' ');
        String offset = k.substring(space + 1);
        found.add(p.xrange(redis.key("stream:" + k.substring(0, space)), offset, offset, 1));
      }
      p.sync();
    }
    for (int i = 0; i < keys.size(); i++) {
      List<StreamEntry> e = found.get(i).get();
      if (e.isEmpty()) continue;
      String push = pushOf(e.get(0).getFields());
      if (push != null) byPush.merge(push, counts.get(keys.get(i)), Long::sum);
    }
  }

  /** The push a history entry names (or, written before bodies were kept apart, holds). */
  private static String pushOf(Map<String, String> fields) {
    String push = fields.get("push");
    if (push != null) return push;
    String data = fields.getOrDefault("data", "");
    int at = data.indexOf("\"pushId\":\"");
    return at < 0 ? null : data.substring(at + 10, data.indexOf('"', at + 10));
  }

  private static Map<String, Long> drain(Map<String, LongAdder> counts) {
    Map<String, Long> out = new HashMap<>();
    for (String k : counts.keySet()) {
      LongAdder a = counts.remove(k);
      if (a != null) out.put(k, a.sum());
    }
    return out;
  }

  /** Adds to a report that is still kept: one that expired with the history is not remade. */
  private void add(AbstractPipeline p, String push, String field, long n) {
    p.eval(ADD_IF_KEPT, List.of(pushKey(push)), List.of(field, Long.toString(n)));
  }

  private static final String ADD_IF_KEPT =
      "if redis.call('EXISTS', KEYS[1]) == 1 then"
          + " return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2]) end return 0";

  private String pushKey(String id) {
    return PushStore.reportKey(redis, id);
  }

  @Override
  public void close() {
    flusher.shutdown();
    try {
      if (flusher.awaitTermination(2, TimeUnit.SECONDS)) flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("Last push delivery counts not written: {}", e.toString());
    }
  }
}
