package org.xiaolaba.config.redis;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.Settings;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisSentineled;
import redis.clients.jedis.UnifiedJedis;

/**
 * The Redis this node uses: a pooled client, the key prefix, and the embedded server when this node
 * started one. Closing it closes the pool and stops the embedded server.
 */
public final class RedisHandle implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisHandle.class);

  private final UnifiedJedis client;
  private final String keyPrefix;
  private final URI uri;
  private final EmbeddedRedisServer embedded;

  private RedisHandle(
      UnifiedJedis client, String keyPrefix, URI uri, EmbeddedRedisServer embedded) {
    this.client = client;
    this.keyPrefix = keyPrefix;
    this.uri = uri;
    this.embedded = embedded;
  }

  /**
   * Connects to the configured Redis: through Sentinel when {@code redis.sentinel.master} is set,
   * else to {@code redis.url}, else to the embedded one, started now.
   */
  public static RedisHandle open(Settings settings) {
    Settings.Redis cfg = settings.redis();
    if (cfg.usesSentinel()) return sentinel(cfg);
    EmbeddedRedisServer embedded = null;
    String url = cfg.url();
    if (cfg.isEmbedded()) {
      Path dataDir = settings.dataDir();
      embedded =
          EmbeddedRedisServer.start(
              dataDir.resolve("redis"), dataDir.resolve("bin"), cfg.embedded().appendfsync());
      url = embedded.url();
    } else {
      log.info("Using the configured Redis at {}", redacted(url));
    }
    int timeoutMs = (int) cfg.timeout().toMillis();
    URI uri = URI.create(url);
    JedisPooled client = new JedisPooled(pool(cfg), uri, timeoutMs, timeoutMs);
    return new RedisHandle(client, cfg.keyPrefix(), uri, embedded);
  }

  private static GenericObjectPoolConfig<Connection> pool(Settings.Redis cfg) {
    GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
    pool.setMaxTotal(cfg.poolSize());
    pool.setMaxIdle(cfg.poolSize());
    pool.setMaxWait(cfg.timeout());
    pool.setJmxEnabled(false);
    // Idle connections are checked (PING) every 5 s and dropped when dead: after Redis restarts,
    // the pool's connections to the old process go within seconds instead of each failing one
    // request first.
    pool.setTestWhileIdle(true);
    pool.setTimeBetweenEvictionRuns(java.time.Duration.ofSeconds(5));
    pool.setNumTestsPerEvictionRun(-1);
    return pool;
  }

  /** The master the sentinels name, followed through failovers by the client's pool. */
  private static RedisHandle sentinel(Settings.Redis cfg) {
    int timeoutMs = (int) cfg.timeout().toMillis();
    Set<HostAndPort> sentinels = new LinkedHashSet<>();
    for (String node : cfg.sentinel().nodeList()) sentinels.add(HostAndPort.from(node));
    JedisClientConfig clients =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(timeoutMs)
            .socketTimeoutMillis(timeoutMs)
            .build();
    JedisSentineled client =
        new JedisSentineled(cfg.sentinel().master(), clients, pool(cfg), sentinels, clients);
    log.info(
        "Using the Redis master '{}' named by the sentinels {}: now {}",
        cfg.sentinel().master(),
        sentinels,
        client.getCurrentMaster());
    return new RedisHandle(client, cfg.keyPrefix(), null, null);
  }

  static String redacted(String url) {
    return url.replaceAll("//[^@/]*@", "//***@");
  }

  public UnifiedJedis client() {
    return client;
  }

  /** A key in this server's namespace: the prefix followed by {@code suffix}. */
  public String key(String suffix) {
    return keyPrefix + suffix;
  }

  public String keyPrefix() {
    return keyPrefix;
  }

  /**
   * The server address, for connections that must not come from the pool (pub/sub): with Sentinel,
   * the master the sentinels name now.
   */
  public URI uri() {
    if (client instanceof JedisSentineled s) {
      HostAndPort master = s.getCurrentMaster();
      return URI.create("redis://" + master.getHost() + ":" + master.getPort());
    }
    return uri;
  }

  public boolean isEmbedded() {
    return embedded != null;
  }

  /** True when Redis answers PING within the configured timeout. */
  public boolean ping() {
    try {
      return "PONG".equals(client.ping());
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    client.close();
    if (embedded != null) {
      embedded.close();
    }
  }
}
