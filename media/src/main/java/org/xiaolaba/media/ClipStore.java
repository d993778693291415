package org.xiaolaba.media;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * Clip metadata in Redis: {@code clip:<id>} holds the clip as JSON (camelCase, ISO instants),
 * {@code clips:created} every clip's id scored by its creation in epoch milliseconds (the listing;
 * written and removed in one transaction with the record), {@code clip:sha:<sha256>} the id of the
 * clip made from those bytes, {@code clips:processing} the ids not yet ready or failed, {@code
 * clip:owner:<id>} (expiring) the node working on one, and {@code clips:deleted} the content hashes
 * whose renditions were deleted, scored by when (for nodes that missed the deletion).
 */
final class ClipStore {
  private static final Logger log = LoggerFactory.getLogger(ClipStore.class);

  static final ObjectMapper JSON =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private static final String DELETE_IF_EQUALS =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

  private static final String CLIP_EXISTS_FOR =
      "local id = redis.call('GET', KEYS[1]) if not id then return 0 end"
          + " return redis.call('EXISTS', ARGV[1] .. id)";

  private final RedisHandle redis;

  ClipStore(RedisHandle redis) {
    this.redis = redis;
  }

  private String clipKey(String id) {
    return redis.key("clip:" + id);
  }

  private String shaKey(String sha256) {
    return redis.key("clip:sha:" + sha256);
  }

  private String createdKey() {
    return redis.key("clips:created");
  }

  private String processingKey() {
    return redis.key("clips:processing");
  }

  private String ownerKey(String id) {
    return redis.key("clip:owner:" + id);
  }

  private String deletedKey() {
    return redis.key("clips:deleted");
  }

  Optional<Clip> get(String id) {
    String json = redis.client().get(clipKey(id));
    if (json == null) return Optional.empty();
    try {
      return Optional.of(JSON.readValue(json, Clip.class));
    } catch (JsonProcessingException e) {
      log.error("Clip {} has unreadable JSON in Redis; treating it as missing", id, e);
      return Optional.empty();
    }
  }

  /** Writes the clip and files it in the listing, together. */
  void put(Clip clip) {
    String json;
    try {
      json = JSON.writeValueAsString(clip);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write clip " + clip.id() + " as JSON", e);
    }
    try (AbstractTransaction tx = redis.client().multi()) {
      tx.set(clipKey(clip.id()), json);
      tx.zadd(createdKey(), createdScore(clip), clip.id());
      tx.exec();
    }
  }

  private static double createdScore(Clip clip) {
    return clip.createdAt() == null ? 0 : clip.createdAt().toEpochMilli();
  }

  /** Removes the clip and its place in the listing, together. */
  void delete(String id) {
    try (AbstractTransaction tx = redis.client().multi()) {
      tx.del(clipKey(id));
      tx.zrem(createdKey(), id);
      tx.exec();
    }
  }

  /**
   * Up to {@code count} ids of the listing, newest first, from {@code offset} among those created
   * at or before {@code maxMillis}, with their creation scores.
   */
  List<Tuple> newestAtOrBefore(long maxMillis, int offset, int count) {
    return redis
        .client()
        .zrevrangeByScoreWithScores(
            createdKey(), (double) maxMillis, Double.NEGATIVE_INFINITY, offset, count);
  }

  /** The clips of these ids that exist, in the same order. */
  List<Clip> getAll(List<String> ids) {
    if (ids.isEmpty()) return List.of();
    List<String> bodies =
        redis.client().mget(ids.stream().map(this::clipKey).toArray(String[]::new));
    List<Clip> out = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      String json = bodies.get(i);
      if (json == null) continue;
      try {
        out.add(JSON.readValue(json, Clip.class));
      } catch (JsonProcessingException e) {
        log.error("Clip {} has unreadable JSON in Redis; leaving it out", ids.get(i), e);
      }
    }
    return out;
  }

  /**
   * Files every stored clip in the listing when the listing is missing (records written before it
   * existed, or a lost key); returns how many were filed. Safe on several nodes at once.
   */
  int ensureListed() {
    UnifiedJedis client = redis.client();
    if (client.exists(createdKey())) return 0;
    String pattern = globEscape(redis.key("clip:")) + "*";
    int prefixLength = redis.key("clip:").length();
    ScanParams params = new ScanParams().match(pattern).count(1000);
    String cursor = ScanParams.SCAN_POINTER_START;
    int filed = 0;
    do {
      ScanResult<String> page = client.scan(cursor, params);
      cursor = page.getCursor();
      List<String> ids =
          page.getResult().stream()
              .map(k -> k.substring(prefixLength))
              .filter(ClipIds::isValid) // not clip:sha:… nor clip:owner:…
              .toList();
      List<Clip> clips = getAll(ids);
      if (!clips.isEmpty()) {
        Map<String, Double> scores = new HashMap<>();
        for (Clip c : clips) scores.put(c.id(), createdScore(c));
        client.zadd(createdKey(), scores);
        filed += clips.size();
      }
    } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    return filed;
  }

  private static String globEscape(String s) {
    return s.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
  }

  Optional<String> idForHash(String sha256) {
    return Optional.ofNullable(redis.client().get(shaKey(sha256)));
  }

  /**
   * Whether a clip made from these bytes exists, and with it their renditions: asked at every
   * {@code /media} request, so in one round trip (the clip id the bytes point at, then its key).
   */
  boolean clipExistsFor(String sha256) {
    Object found =
        redis.client().eval(CLIP_EXISTS_FOR, List.of(shaKey(sha256)), List.of(clipKey("")));
    return Long.valueOf(1).equals(found);
  }

  /**
   * Notes that the renditions of these bytes were deleted at {@code millis}, and forgets the notes
   * older than {@code keep}.
   */
  void noteRenditionsDeleted(String sha256, long millis, Duration keep) {
    try (AbstractTransaction tx = redis.client().multi()) {
      tx.zadd(deletedKey(), millis, sha256);
      tx.zremrangeByScore(deletedKey(), Double.NEGATIVE_INFINITY, millis - keep.toMillis());
      tx.exec();
    }
  }

  /** The content hashes noted by {@link #noteRenditionsDeleted} and not forgotten yet. */
  List<String> renditionsDeleted() {
    return redis.client().zrange(deletedKey(), 0, -1);
  }

  /** Points the hash at {@code id} unless it already points somewhere; true when it now does. */
  boolean claimHash(String sha256, String id) {
    return "OK".equals(redis.client().set(shaKey(sha256), id, SetParams.setParams().nx()));
  }

  void pointHash(String sha256, String id) {
    redis.client().set(shaKey(sha256), id);
  }

  /** Removes the hash index entry only if it still points at {@code id}. */
  void releaseHash(String sha256, String id) {
    redis.client().eval(DELETE_IF_EQUALS, List.of(shaKey(sha256)), List.of(id));
  }

  void markProcessing(String id) {
    redis.client().sadd(processingKey(), id);
  }

  void unmarkProcessing(String id) {
    redis.client().srem(processingKey(), id);
  }

  Set<String> processing() {
    return redis.client().smembers(processingKey());
  }

  void lease(String id, String node, Duration ttl) {
    redis.client().set(ownerKey(id), node, SetParams.setParams().px(ttl.toMillis()));
  }

  Optional<String> owner(String id) {
    return Optional.ofNullable(redis.client().get(ownerKey(id)));
  }

  void release(String id, String node) {
    redis.client().eval(DELETE_IF_EQUALS, List.of(ownerKey(id)), List.of(node));
  }
}
