package org.xiaolaba.server.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.server.http.Json;
import redis.clients.jedis.params.SetParams;

/**
 * API tokens: 256 random bits, handed out once and stored only as SHA-256 hashes in Redis, so a
 * copy of the database does not leak working tokens.
 */
public final class TokenStore {
  private static final Logger log = LoggerFactory.getLogger(TokenStore.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  static final String BOOTSTRAP_ID = "admin";

  private final RedisHandle redis;
  private final Clock clock;

  public TokenStore(RedisHandle redis, Clock clock) {
    this.redis = redis;
    this.clock = clock;
  }

  /** A token and the record stored for it. */
  public record Issued(String token, Principal principal) {}

  public Issued create(Role role, String name, List<String> areas) {
    String token = newSecret();
    Principal p = new Principal(newId(), role, name, List.copyOf(areas), clock.instant());
    store(token, p);
    redis.client().sadd(redis.key("tokens"), p.id());
    return new Issued(token, p);
  }

  /** The principal for a presented token, if it is known. */
  public Optional<Principal> lookup(String token) {
    if (token == null || token.isBlank() || token.length() > 256) return Optional.empty();
    String json = redis.client().get(redis.key("token:" + hash(token)));
    if (json == null) return Optional.empty();
    try {
      return Optional.of(Json.MAPPER.readValue(json, Principal.class));
    } catch (JsonProcessingException e) {
      log.error("Token record {} is unreadable; treating the token as unknown", hash(token), e);
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
    String marker = redis.key("admin:bootstrap");
    if (configuredToken != null && !configuredToken.isBlank()) {
      String hash = hash(configuredToken);
      String previous = redis.client().getSet(marker, hash);
      if (previous != null && !previous.equals(hash)) {
        // The configured token changed: the old one must stop working.
        redis.client().del(redis.key("token:" + previous));
        log.info("The configured admin token changed; the previous admin token no longer works");
      }
      store(configuredToken, admin);
      log.info("Admin token taken from the configuration (admin.token / XIAOLABA_ADMIN_TOKEN)");
      return Optional.empty();
    }
    String token = newSecret();
    String claimed = redis.client().set(marker, hash(token), SetParams.setParams().nx());
    if (!"OK".equals(claimed)) {
      log.info(
          "An admin token exists from an earlier start (stored only hashed); "
              + "set XIAOLABA_ADMIN_TOKEN to choose a new one");
      return Optional.empty();
    }
    store(token, admin);
    return Optional.of(token);
  }

  private void store(String token, Principal p) {
    try {
      redis.client().set(redis.key("token:" + hash(token)), Json.MAPPER.writeValueAsString(p));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
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
