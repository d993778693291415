package org.xiaolaba.server.push;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamInfo;

/**
 * Reads what a subscriber missed from a channel's history, on threads of its own so that a
 * reconnect storm neither starves the HTTP workers nor waits behind them. Reads only (one pipelined
 * round trip, then the missed entries if any): ageing is done when messages are appended.
 *
 * <p>Identical reads are coalesced: the residents of one village coming back after an outage ask
 * for the same channel from the same offset, and one read answers all who asked before it started.
 * A subscriber never joins a read that has already started, since the message it registered for
 * live delivery might have been appended just before it registered and after the read.
 */
final class ChannelHistory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChannelHistory.class);

  /** Reads waiting at most; past it a subscriber is told to come back later (close 1013). */
  static final int QUEUE = 20_000;

  /** What a subscriber missed: whether it is recovered, the newest offset and the epoch, frames. */
  record Replay(boolean recovered, String lastOffset, String epoch, List<Entry> entries) {}

  /** One history entry: its offset and the frame that carries it. */
  record Entry(String offset, String frame) {}

  private record Key(String channel, String since, String epoch) {}

  /** The epoch slot of a catch-up read's key, so it never shares a read with a subscribe. */
  private static final String CATCH_UP = "\u0000catch-up";

  private final RedisHandle redis;
  private final Clock clock;
  private final Duration maxAge;
  private final int maxLength;
  private final ThreadPoolExecutor readers;
  private final Map<Key, CompletableFuture<Replay>> queued = new ConcurrentHashMap<>();

  ChannelHistory(RedisHandle redis, Clock clock, Duration maxAge, int maxLength, int threads) {
    this.redis = redis;
    this.clock = clock;
    this.maxAge = maxAge;
    this.maxLength = maxLength;
    this.readers =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            new DefaultThreadFactory("history", true));
  }

  String streamKey(String channel) {
    return redis.key("stream:" + channel);
  }

  String epochKey(String channel) {
    return redis.key("epoch:" + channel);
  }

  /** The oldest offset the history keeps by age, now. */
  String oldestKept() {
    return oldestKeptMillis() + "-0";
  }

  private long oldestKeptMillis() {
    return Math.max(0, clock.millis() - maxAge.toMillis());
  }

  /**
   * What was missed on {@code channel} after {@code since} ({@code null}: nothing to replay, just
   * the newest offset and epoch). Completes exceptionally with {@link RejectedExecutionException}
   * when too many reads are waiting, and with Redis's error when it could not be read.
   */
  CompletableFuture<Replay> missed(String channel, String since, String sinceEpoch) {
    Key key = new Key(channel, since, sinceEpoch);
    CompletableFuture<Replay> mine = new CompletableFuture<>();
    CompletableFuture<Replay> waiting = queued.putIfAbsent(key, mine);
    if (waiting != null) return waiting;
    try {
      readers.execute(
          () -> {
            // From here on nobody joins this read (see the class comment).
            queued.remove(key, mine);
            try {
              mine.complete(read(channel, since, sinceEpoch));
            } catch (RuntimeException e) {
              log.warn("History of {} could not be read: {}", channel, e.toString());
              // Not a read that found nothing, nor a history that is gone: a catch-up reads
              // again, a subscriber is asked to come back with the same offsets.
              mine.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      queued.remove(key, mine);
      mine.completeExceptionally(e);
    }
    return mine;
  }

  /**
   * The entries after {@code since}, at most twice the kept length: a catch-up for a subscriber
   * that was connected all along but may have missed live messages (the node's pub/sub link to
   * Redis dropped). Coalesced like {@link #missed}. Completes exceptionally when Redis could not be
   * read (not answering yet, or a pooled connection to the Redis that died): unlike a subscriber,
   * who is told {@code recovered: false}, nobody would otherwise learn that something was missed.
   */
  CompletableFuture<List<Entry>> after(String channel, String since) {
    return missed(channel, since, CATCH_UP).thenApply(Replay::entries);
  }

  /**
   * The entries after {@code since} as frames. An entry names its push ({@code push}), whose data
   * is kept once for all channels: the bodies of the entries read are fetched in one {@code MGET}.
   * An entry whose body has expired (older than the kept age, not trimmed yet) is left out. Entries
   * written before bodies were kept apart carry their {@code data} themselves.
   */
  private List<Entry> entriesAfter(String key, String channel, String since, long count) {
    List<StreamEntry> read = redis.client().xrange(key, "(" + since, "+", (int) count);
    Map<String, String> bodies = bodiesOf(read);
    List<Entry> entries = new ArrayList<>(read.size());
    for (StreamEntry e : read) {
      String offset = e.getID().toString();
      String pushId = e.getFields().get("push");
      String data = pushId == null ? e.getFields().get("data") : bodies.get(pushId);
      if (data == null) continue;
      entries.add(new Entry(offset, Frames.push(channel, offset, data)));
    }
    return entries;
  }

  private Map<String, String> bodiesOf(List<StreamEntry> entries) {
    List<String> ids = new ArrayList<>();
    for (StreamEntry e : entries) {
      String id = e.getFields().get("push");
      if (id != null && !ids.contains(id)) ids.add(id);
    }
    if (ids.isEmpty()) return Map.of();
    String[] keys = new String[ids.size()];
    for (int i = 0; i < keys.length; i++) keys[i] = PushStore.bodyKey(redis, ids.get(i));
    List<String> values = redis.client().mget(keys);
    Map<String, String> out = new HashMap<>(ids.size() * 2);
    for (int i = 0; i < keys.length; i++) {
      if (values.get(i) != null) out.put(ids.get(i), values.get(i));
    }
    return out;
  }

  private Replay read(String channel, String since, String sinceEpoch) {
    if (CATCH_UP.equals(sinceEpoch)) {
      return new Replay(
          true, null, null, entriesAfter(streamKey(channel), channel, since, 2L * maxLength));
    }
    String key = streamKey(channel);
    Response<StreamInfo> infoReply;
    Response<String> epochReply;
    try (AbstractPipeline p = redis.client().pipelined()) {
      infoReply = p.xinfoStream(key);
      epochReply = p.get(epochKey(channel));
      p.sync();
    }
    StreamInfo info;
    try {
      info = infoReply.get();
    } catch (JedisDataException noSuchKey) {
      info = null;
    }
    String epoch = epochReply.get();
    String newest = info == null ? null : info.getLastGeneratedId().toString();
    String lastOffset = info == null || info.getLastEntry() == null ? null : newest;
    if (since == null) return new Replay(true, lastOffset, epoch, List.of());
    StreamOffset from = StreamOffset.parse(since);
    String why = null;
    if (info == null || epoch == null) {
      why = "the channel has no history now";
    } else if (sinceEpoch != null && !sinceEpoch.equals(epoch)) {
      why = "its history was reset (epoch " + sinceEpoch + " is now " + epoch + ")";
    } else if (from.compareTo(StreamOffset.parse(newest)) > 0) {
      why = "the offset is beyond the newest message (a history that no longer exists)";
    } else if (from.compareTo(StreamOffset.parse(newest)) == 0) {
      return new Replay(true, lastOffset, epoch, List.of());
    } else if (from.millis() < oldestKeptMillis()) {
      why = "the offset is older than the kept history (" + maxAge + ")";
    } else if (info.getFirstEntry() == null
        || from.compareTo(StreamOffset.parse(info.getFirstEntry().getID().toString())) < 0) {
      why = "the offset is older than the kept history (" + maxLength + " messages)";
    }
    if (why != null) {
      log.debug("Subscriber to {} from {} not recovered: {}", channel, since, why);
      return new Replay(false, lastOffset, epoch, List.of());
    }
    long count = Math.max(1, Math.min(info.getLength(), 2L * maxLength));
    return new Replay(true, lastOffset, epoch, entriesAfter(key, channel, since, count));
  }

  @Override
  public void close() {
    readers.shutdownNow();
  }
}
