package org.xiaolaba.config.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.SettingsLoader;
import redis.clients.jedis.Jedis;

/** Starts the real redis-server shipped in the embedded-redis artifact. */
class RedisHandleTest {
  @TempDir Path dataDir;

  private Settings settings(Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("XIAOLABA_DATA_DIR", dataDir.toString());
    return new SettingsLoader().load(Optional.empty(), env);
  }

  private Settings embedded() {
    return settings(Map.of());
  }

  /** CONFIG GET over a connection of its own: the pooled client does not offer server commands. */
  private static Map<String, String> configGet(RedisHandle redis, String parameter) {
    try (Jedis jedis = new Jedis(redis.uri())) {
      return jedis.configGet(parameter);
    }
  }

  private static void assertRefusesConnections(int port) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThatThrownBy(
                        () -> {
                          try (Socket s = new Socket()) {
                            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                          }
                        })
                    .isInstanceOf(ConnectException.class));
  }

  @Test
  void withoutAUrlARealRedisIsStartedOnLoopbackAndAnswersPing() {
    try (RedisHandle redis = RedisHandle.open(embedded())) {
      assertThat(redis.isEmbedded()).isTrue();
      assertThat(redis.uri().getScheme()).isEqualTo("redis");
      assertThat(redis.uri().getHost()).isEqualTo("127.0.0.1");
      assertThat(redis.ping()).isTrue();
      assertThat(redis.client().info("server")).contains("redis_version:");
      assertThat(configGet(redis, "appendonly")).containsEntry("appendonly", "yes");
      assertThat(configGet(redis, "appendfsync")).containsEntry("appendfsync", "always");
    }
  }

  @Test
  void keysAreNamespacedByTheConfiguredPrefix() {
    Settings s = settings(Map.of("XIAOLABA_REDIS_KEY_PREFIX", "t1:"));
    try (RedisHandle redis = RedisHandle.open(s)) {
      assertThat(redis.keyPrefix()).isEqualTo("t1:");
      assertThat(redis.key("clip:42")).isEqualTo("t1:clip:42");
    }
  }

  @Test
  void aSecondStartOnTheSameDataDirectoryFindsEverythingTheFirstOneStored() {
    try (RedisHandle first = RedisHandle.open(embedded())) {
      first.client().set(first.key("greeting"), "你好");
      first.client().hset(first.key("clip:1"), Map.of("title", "早间新闻", "state", "ready"));
    }
    assertThat(dataDir.resolve("redis")).isDirectoryContaining("glob:**appendonly.aof*");

    try (RedisHandle second = RedisHandle.open(embedded())) {
      assertThat(second.client().get(second.key("greeting"))).isEqualTo("你好");
      assertThat(second.client().hgetAll(second.key("clip:1")))
          .containsEntry("title", "早间新闻")
          .containsEntry("state", "ready");
    }
  }

  @Test
  void closingStopsTheEmbeddedServerAndItsPortRefusesConnections() {
    RedisHandle redis = RedisHandle.open(embedded());
    int port = redis.uri().getPort();
    assertThat(redis.ping()).isTrue();

    redis.close();

    assertRefusesConnections(port);
    assertThat(redis.ping()).isFalse();
  }

  @Test
  void closingShutsRedisDownCleanlySoNoPidFileIsLeftBehind() {
    Path pidFile = dataDir.resolve("redis").resolve("redis.pid");
    RedisHandle redis = RedisHandle.open(embedded());
    assertThat(pidFile).exists();

    redis.close();

    assertThat(pidFile).doesNotExist();
  }

  @Test
  void withAUrlConfiguredNothingIsStartedAndTheSameDataIsSeen() {
    try (RedisHandle first = RedisHandle.open(embedded())) {
      first.client().set(first.key("shared"), "from the first node");
      String url = first.uri().toString();

      Settings external = settings(Map.of("XIAOLABA_REDIS_URL", url));
      try (RedisHandle second = RedisHandle.open(external)) {
        assertThat(second.isEmbedded()).isFalse();
        assertThat(second.uri().getPort()).isEqualTo(first.uri().getPort());
        assertThat(second.ping()).isTrue();
        assertThat(second.client().get(second.key("shared"))).isEqualTo("from the first node");
        second.client().set(second.key("reply"), "from the second node");
      }

      assertThat(first.ping()).isTrue();
      assertThat(first.client().get(first.key("reply"))).isEqualTo("from the second node");
    }
  }

  @Test
  void aHandleToAConfiguredRedisThatStoppedAnswersPingWithFalse() {
    RedisHandle first = RedisHandle.open(embedded());
    Settings external = settings(Map.of("XIAOLABA_REDIS_URL", first.uri().toString()));
    try (RedisHandle second = RedisHandle.open(external)) {
      assertThat(second.ping()).isTrue();

      first.close();

      assertRefusesConnections(first.uri().getPort());
      assertThat(second.ping()).isFalse();
    }
  }

  @Test
  void anEmbeddedRedisLeftRunningOnTheDataDirectoryIsStoppedBeforeANewOneStarts() {
    Path redisDir = dataDir.resolve("redis");
    Path binDir = dataDir.resolve("bin");
    try (EmbeddedRedisServer orphan = EmbeddedRedisServer.start(redisDir, binDir, "always")) {
      try (RedisHandle handle = RedisHandle.open(embedded())) {
        assertRefusesConnections(orphan.port());
        assertThat(handle.uri().getPort()).isNotEqualTo(orphan.port());
        assertThat(handle.ping()).isTrue();
      }
    }
  }

  @Test
  void theDataAndBinariesLiveUnderTheDataDirectory() throws IOException {
    try (RedisHandle redis = RedisHandle.open(embedded())) {
      assertThat(configGet(redis, "dir"))
          .containsEntry("dir", dataDir.resolve("redis").toRealPath().toString());
      try (var files = Files.list(dataDir.resolve("bin"))) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .anyMatch(n -> n.startsWith("redis-server"));
      }
    }
  }

  @Test
  void passwordsAreRedactedFromLoggedUrls() {
    assertThat(RedisHandle.redacted("redis://app:secret@redis.internal:6380/2"))
        .isEqualTo("redis://***@redis.internal:6380/2");
    assertThat(RedisHandle.redacted("redis://redis.internal:6380"))
        .isEqualTo("redis://redis.internal:6380");
  }
}
