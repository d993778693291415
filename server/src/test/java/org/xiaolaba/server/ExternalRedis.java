package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.xiaolaba.config.redis.EmbeddedRedisServer;
import org.xiaolaba.config.testing.FrozenRedis;
import org.xiaolaba.config.testing.TestSettings;

/**
 * A redis-server a test owns (in {@code <dir>/redis}, AOF {@code appendfsync always}), to stop,
 * kill and start again under a node, and the node on it (in {@code <dir>/node}, Redis timeout 1 s).
 */
public final class ExternalRedis {
  private ExternalRedis() {}

  public static EmbeddedRedisServer start(Path dir) {
    return EmbeddedRedisServer.start(dir.resolve("redis"), TestSettings.sharedBinDir(), "always");
  }

  /** Starts it again on the same port and data (its AOF). */
  public static EmbeddedRedisServer restart(Path dir, int port) {
    return EmbeddedRedisServer.start(
        dir.resolve("redis"), TestSettings.sharedBinDir(), "always", port);
  }

  /** A node on {@code redis}, with these settings too (environment variables). */
  public static TestServer node(Path dir, EmbeddedRedisServer redis, Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("XIAOLABA_REDIS_URL", redis.url());
    all.put("XIAOLABA_REDIS_TIMEOUT", "1s");
    return TestServer.start(dir.resolve("node"), all);
  }

  /** Kills redis-server with SIGKILL: no shutdown, so no final fsync of the AOF. */
  public static void crash(EmbeddedRedisServer redis) throws Exception {
    ProcessHandle process = ProcessHandle.of(FrozenRedis.pid(redis)).orElseThrow();
    assertThat(process.destroyForcibly()).isTrue();
    process.onExit().get();
    redis.close();
  }
}
