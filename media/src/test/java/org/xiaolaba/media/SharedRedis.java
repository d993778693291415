package org.xiaolaba.media;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;

/**
 * One real embedded Redis for a test class; each test gets its own data directory and key prefix on
 * it, so libraries with different limits can be built cheaply and never see each other.
 */
final class SharedRedis implements AutoCloseable {
  private final RedisHandle server;
  private int next;

  SharedRedis(Path dir) {
    server = RedisHandle.open(TestSettings.forDataDir(dir));
  }

  /** Settings for a library in {@code dataDir} on this Redis, with its own prefix. */
  Settings settings(Path dataDir, Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("XIAOLABA_REDIS_URL", server.uri().toString());
    all.put("XIAOLABA_REDIS_KEY_PREFIX", "t" + (++next) + ":");
    return TestSettings.forDataDir(dataDir, all);
  }

  RedisHandle connect(Settings settings) {
    return RedisHandle.open(settings);
  }

  static ClipLibrary library(Settings settings, RedisHandle redis) {
    return new ClipLibrary(settings, TestSettings.ffmpeg(), redis, Clock.systemUTC());
  }

  @Override
  public void close() {
    server.close();
  }
}
