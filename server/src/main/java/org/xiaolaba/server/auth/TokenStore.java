package org.xiaolaba.server.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.server.http.Json;

/**
 * API tokens: 256 random bits, handed out once and stored only as SHA-256 hashes in Redis, so a
 * copy of the database does not leak working tokens. An index by id lists them (without secrets)
 * and revokes them: every node looks each token up in Redis on every request, so a revoked token
 * fails at once everywhere; a message on {@link #revokedChannel()} tells nodes to close its open
 * WebSockets.
 */
public final class TokenStore {
  private static final Logger log = LoggerFactory.getLogger(TokenStore.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The id of the admin token from the configuration (or generated on the first start). */
  public static final String BOOTSTRAP_ID = "admin";

  /** Last use is written at most this often per token and node: reads stay reads. */
  private static final long TOUCH_EVERY_MILLIS = 60_000;

  /**
   * KEYS: the id index, the last-use hash, the revocation channel. ARGV: the id, the key prefix of
   * token records. Removes the record, its index entry and last use together, then announces it.
   */
  private static final String REVOKE =
      """
      local hash = redis.call('HGET', KEYS[1], ARGV[1])
      if not hash then return 0 end
      redis.call('DEL', ARGV[2] .. hash)
      redis.call('HDEL', KEYS[1], ARGV[1])
      redis.call('HDEL', KEYS[2], ARGV[1])
      redis.call('PUBLISH', KEYS[3], ARGV[1])
      return 1
      """;

  /** KEYS: the record, the id index. ARGV: the record, the id, the hash. Both or neither. */
  private static final String STORE =
      """
      redis.call('SET', KEYS[1], ARGV[1])
      redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
      return 1
      """;

  /**
   * KEYS: the bootstrap marker (hash of the admin token), the id index. ARGV: the hash, the record,
   * the admin's id, the key prefix of records, '1' for a configured token. A generated token is
   * stored only when there is none yet (0: one exists; its index entry is mended). A configured one
   * replaces whatever was there, whose record goes (2: it was another token). One script, so a
   * crash never leaves a marker without its record, or two admin tokens working.
   */
  private static final String BOOTSTRAP =
      """
      local previous = redis.call('GET', KEYS[1])
      if ARGV[5] ~= '1' and previous then
        redis.call('HSETNX', KEYS[2], ARGV[3], previous)
        return 0
      end
      redis.call('SET', KEYS[1], ARGV[1])
      redis.call('SET', ARGV[4] .. ARGV[1], ARGV[2])
      redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
      if previous and previous ~= ARGV[1] then
        redis.call('DEL', ARGV[4] .. previous)
        return 2
      end
      return 1
      """;

  private final RedisHandle redis;
  private final Clock clock;
  private final Map<String, Long> lastTouched = new ConcurrentHashMap<>();

  public TokenStore(RedisHandle redis, Clock clock) {
    this.redis = redis;
    this.clock = clock;
  }

  /** A token and the record stored for it. */
  public record Issued(String token, Principal principal) {}

  /** A token as listed: never its secret nor its hash. */
  public record Listed(Principal principal, Instant lastUsedAt) {}

  public Issued create(Role role, String name, List<String> areas, List<Permission> permissions) {
    String token = newSecret();
    Principal p =
        new Principal(
            newId(), role, name, List.copyOf(areas), clock.instant(), List.copyOf(permissions));
    store(token, p);
    return new Issued(token, p);
  }

  /** The principal for a presented token, if it is known. */
  public Optional<Principal> lookup(String token) {
    if (token == null || token.isBlank() || token.length() > 256) return Optional.empty();
    String hash = hash(token);
    Optional<Principal> p = read(hash, redis.client().get(recordKey(hash)));
    p.ifPresent(this::touch);
    return p;
  }

  /** Every token, oldest first. */
  public List<Listed> list() {
    Map<String, String> index = redis.client().hgetAll(indexKey());
    Map<String, String> used = redis.client().hgetAll(lastUsedKey());
    List<String> hashes = new ArrayList<>(index.values());
    List<Listed> out = new ArrayList<>();
    if (hashes.isEmpty()) return out;
    List<String> records =
        redis.client().mget(hashes.stream().map(this::recordKey).toArray(String[]::new));
    for (int i = 0; i < hashes.size(); i++) {
      read(hashes.get(i), records.get(i))
          .ifPresent(
              p -> {
                String millis = used.get(p.id());
                out.add(
                    new Listed(
                        p, millis == null ? null : Instant.ofEpochMilli(Long.parseLong(millis))));
              });
    }
    out.sort(
        Comparator.comparing((Listed l) -> l.principal().createdAt())
            .thenComparing(l -> l.principal().id()));
    return out;
  }

  /** Whether a token with this id exists. */
  public boolean exists(String id) {
    return redis.client().hexists(indexKey(), id);
  }

  /** Revokes a token: from now on it is unknown on every node. False when no token has this id. */
  public boolean revoke(String id) {
    Object removed =
        redis
            .client()
            .eval(
                REVOKE,
                List.of(indexKey(), lastUsedKey(), revokedChannel()),
                List.of(id, redis.key("token:")));
    lastTouched.remove(id);
    boolean done = Long.valueOf(1).equals(removed);
    if (done) log.info("Token {} revoked; its requests now get 401 and its WebSockets close", id);
    return done;
  }

  /** The pub/sub channel on which revoked tokens' ids are announced. */
  public String revokedChannel() {
    return redis.key("tokens:revoked");
  }

  private void touch(Principal p) {
    long now = clock.millis();
    Long before = lastTouched.get(p.id());
    if (before != null && now - before < TOUCH_EVERY_MILLIS) return;
    lastTouched.put(p.id(), now);
    redis.client().hset(lastUsedKey(), p.id(), Long.toString(now));
  }

  private Optional<Principal> read(String hash, String json) {
    if (json == null) return Optional.empty();
    try {
      return Optional.of(Json.MAPPER.readValue(json, Principal.class));
    } catch (JsonProcessingException e) {
      log.error("Token record {} is unreadable; treating the token as unknown", hash, e);
      return Optional.empty();
    }
  }

  /**
   * Makes sure an admin can log in: the configured bootstrap token, or one generated on the first
   * start and printed once. Returns the generated token when one was made now.
   */
  public Optional<String> ensureAdmin(String configuredToken, String countyCode) {
    Principal admin =
        new Principal(
            BOOTSTRAP_ID, Role.ADMIN, "bootstrap admin", List.of(countyCode), clock.instant());
    boolean configured = configuredToken != null && !configuredToken.isBlank();
    String token = configured ? configuredToken : newSecret();
    Object outcome =
        redis
            .client()
            .eval(
                BOOTSTRAP,
                List.of(redis.key("admin:bootstrap"), indexKey()),
                List.of(
                    hash(token),
                    json(admin),
                    BOOTSTRAP_ID,
                    redis.key("token:"),
                    configured ? "1" : "0"));
    if (configured) {
      if (Long.valueOf(2).equals(outcome)) {
        log.info("The configured admin token changed; the previous admin token no longer works");
      }
      log.info("Admin token taken from the configuration (admin.token / XIAOLABA_ADMIN_TOKEN)");
      return Optional.empty();
    }
    if (Long.valueOf(0).equals(outcome)) {
      log.info(
          "An admin token exists from an earlier start (stored only hashed); "
              + "set XIAOLABA_ADMIN_TOKEN to choose a new one");
      return Optional.empty();
    }
    return Optional.of(token);
  }

  /** Writes a token's record and its index entry together. */
  private void store(String token, Principal p) {
    String hash = hash(token);
    redis
        .client()
        .eval(STORE, List.of(recordKey(hash), indexKey()), List.of(json(p), p.id(), hash));
  }

  private static String json(Principal p) {
    try {
      return Json.MAPPER.writeValueAsString(p);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private String recordKey(String hash) {
    return redis.key("token:" + hash);
  }

  private String indexKey() {
    return redis.key("tokens:index");
  }

  private String lastUsedKey() {
    return redis.key("tokens:lastUsed");
  }

  static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String newId() {
    byte[] bytes = new byte[9];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String hash(String token) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
