package org.xiaolaba.scheduler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;

/**
 * One real embedded redis-server for the whole test run, started on first use and stopped when the
 * JVM exits. Each test works under a key prefix of its own, so tests never see each other's keys or
 * change events.
 */
final class TestRedis {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static RedisHandle server;
  private static Path dataDir;

  private TestRedis() {}

  static synchronized RedisHandle server() {
    if (server == null) {
      try {
        dataDir = Files.createTempDirectory("xiaolaba-scheduler-test");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      RedisHandle started = RedisHandle.open(TestSettings.forDataDir(dataDir));
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "test-redis-stop"));
      server = started;
    }
    return server;
  }

  static String uniquePrefix() {
    return "t" + PREFIXES.incrementAndGet() + "-" + ProcessHandle.current().pid() + ":";
  }

  /** Settings for one node: the shared Redis, under {@code prefix}, plus {@code env} overrides. */
  static Settings settings(String prefix, Map<String, String> env) {
    RedisHandle redis = server();
    Map<String, String> all = new HashMap<>(env);
    all.put("XIAOLABA_REDIS_URL", redis.uri().toString());
    all.put("XIAOLABA_REDIS_KEY_PREFIX", prefix);
    return TestSettings.forDataDir(dataDir, all);
  }
}
