package org.xiaolaba.media;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.params.SetParams;

/**
 * Clip metadata in Redis: {@code clip:<id>} holds the clip as JSON (camelCase, ISO instants),
 * {@code clip:sha:<sha256>} the id of the clip made from those bytes, {@code clips:processing} the
 * ids not yet ready or failed, and {@code clip:owner:<id>} (expiring) the node working on one.
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

  private String processingKey() {
    return redis.key("clips:processing");
  }

  private String ownerKey(String id) {
    return redis.key("clip:owner:" + id);
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

  void put(Clip clip) {
    try {
      redis.client().set(clipKey(clip.id()), JSON.writeValueAsString(clip));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write clip " + clip.id() + " as JSON", e);
    }
  }

  void delete(String id) {
    redis.client().del(clipKey(id));
  }

  Optional<String> idForHash(String sha256) {
    return Optional.ofNullable(redis.client().get(shaKey(sha256)));
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
