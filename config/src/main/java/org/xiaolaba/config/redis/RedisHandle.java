package org.xiaolaba.config.redis;

import java.net.URI;
import java.nio.file.Path;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.Settings;
import redis.clients.jedis.Connection;
import redis.clients.jedis.JedisPooled;

/**
 * The Redis this node uses: a pooled client, the key prefix, and the embedded server when this node
 * started one. Closing it closes the pool and stops the embedded server.
 */
public final class RedisHandle implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisHandle.class);

  private final JedisPooled client;
  private final String keyPrefix;
  private final URI uri;
  private final EmbeddedRedisServer embedded;

  private RedisHandle(JedisPooled client, String keyPrefix, URI uri, EmbeddedRedisServer embedded) {
    this.client = client;
    this.keyPrefix = keyPrefix;
    this.uri = uri;
    this.embedded = embedded;
  }

  /** Connects to the configured Redis, or starts the embedded one when no URL is set. */
  public static RedisHandle open(Settings settings) {
    Settings.Redis cfg = settings.redis();
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
    GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
    pool.setMaxTotal(cfg.poolSize());
    pool.setMaxIdle(cfg.poolSize());
    pool.setMaxWait(cfg.timeout());
    pool.setJmxEnabled(false);
    int timeoutMs = (int) cfg.timeout().toMillis();
    URI uri = URI.create(url);
    JedisPooled client = new JedisPooled(pool, uri, timeoutMs, timeoutMs);
    return new RedisHandle(client, cfg.keyPrefix(), uri, embedded);
  }

  static String redacted(String url) {
    return url.replaceAll("//[^@/]*@", "//***@");
  }

  public JedisPooled client() {
    return client;
  }

  /** A key in this server's namespace: the prefix followed by {@code suffix}. */
  public String key(String suffix) {
    return keyPrefix + suffix;
  }

  public String keyPrefix() {
    return keyPrefix;
  }

  /** The server address, for connections that must not come from the pool (pub/sub). */
  public URI uri() {
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
