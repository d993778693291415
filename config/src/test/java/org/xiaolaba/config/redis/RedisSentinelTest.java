package org.xiaolaba.config.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.SettingsLoader;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Redis Sentinel on loopback, with real processes: a master, a replica and one sentinel (the same
 * redis-server binary with {@code --sentinel}). The handle follows the master the sentinel names;
 * after a failover its commands and its pub/sub subscription carry on against the new master.
 */
class RedisSentinelTest {
  static final String MASTER = "mymaster";
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  EmbeddedRedisServer master;
  EmbeddedRedisServer replica;
  Process sentinel;
  RedisHandle handle;
  RedisSubscription subscription;

  @AfterEach
  void stop() throws Exception {
    if (subscription != null) subscription.close();
    if (handle != null) handle.close();
    if (sentinel != null) {
      sentinel.destroy();
      if (!sentinel.waitFor(10, TimeUnit.SECONDS)) sentinel.destroyForcibly();
    }
    if (replica != null) replica.close();
    if (master != null) master.close();
  }

  @Test
  void afterAFailoverTheHandleAndItsSubscriptionWorkAgainstTheNewMaster() throws Exception {
    Path bin = dir.resolve("bin");
    master = EmbeddedRedisServer.start(dir.resolve("master"), bin, "always");
    replica = EmbeddedRedisServer.start(dir.resolve("replica"), bin, "always");
    // These two stand for a Redis of its own watched by sentinels, which the settings reach
    // without a password (redis.sentinel.*): lift the embedded server's password.
    for (EmbeddedRedisServer r : List.of(master, replica)) {
      try (Jedis j = new Jedis(java.net.URI.create(r.url()))) {
        j.configSet("requirepass", "");
      }
    }
    try (Jedis r = new Jedis("127.0.0.1", replica.port())) {
      r.replicaof("127.0.0.1", master.port());
    }
    await().atMost(WAIT).until(() -> info(replica.port()).contains("master_link_status:up"));
    int sentinelPort = startSentinel(bin);
    // The sentinel has found the replica: a failover is possible.
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(() -> sentinelCommand(sentinelPort, "replicas").contains(replica.port() + ""));

    handle =
        RedisHandle.open(
            settings(Map.of("XIAOLABA_REDIS_SENTINEL_NODES", "127.0.0.1:" + sentinelPort)));
    assertThat(handle.uri().getPort()).isEqualTo(master.port());
    handle.client().set("k", "before");
    List<String> received = new CopyOnWriteArrayList<>();
    subscription =
        new RedisSubscription(handle, "sentinel-test", Map.of("news", received::add), () -> {});
    assertThat(subscription.start(Duration.ofSeconds(10))).isTrue();
    handle.client().publish("news", "before");
    await().atMost(WAIT).until(() -> received.contains("before"));

    try (Jedis s = new Jedis("127.0.0.1", sentinelPort)) {
      assertThat(s.sentinelFailover(MASTER)).isEqualTo("OK");
    }

    await().atMost(WAIT).until(() -> handle.uri().getPort() == replica.port());
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(() -> "OK".equals(handle.client().set("k", "after")));
    assertThat(handle.client().get("k")).isEqualTo("after");
    try (Jedis promoted = new Jedis("127.0.0.1", replica.port())) {
      assertThat(promoted.get("k")).isEqualTo("after");
    }
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(
            () -> {
              handle.client().publish("news", "after");
              return received.contains("after");
            });
  }

  private Settings settings(Map<String, String> extra) {
    Map<String, String> env = new java.util.HashMap<>(extra);
    env.put("XIAOLABA_DATA_DIR", dir.resolve("data").toString());
    env.put("XIAOLABA_REDIS_SENTINEL_MASTER", MASTER);
    env.put("XIAOLABA_REDIS_TIMEOUT", "1s");
    return new SettingsLoader().load(Optional.empty(), env);
  }

  private int startSentinel(Path bin) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path conf = dir.resolve("sentinel.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "port " + port,
            "bind 127.0.0.1",
            "dir " + dir.toAbsolutePath(),
            "sentinel monitor " + MASTER + " 127.0.0.1 " + master.port() + " 1",
            "sentinel down-after-milliseconds " + MASTER + " 2000",
            "sentinel failover-timeout " + MASTER + " 10000",
            ""));
    sentinel =
        new ProcessBuilder(
                EmbeddedRedisServer.binaryPath(bin).toString(), conf.toString(), "--sentinel")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("sentinel.log").toFile())
            .start();
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(() -> sentinelCommand(port, "get-master-addr-by-name").contains(master.port() + ""));
    return port;
  }

  private static String sentinelCommand(int port, String what) {
    try (Jedis s = new Jedis("127.0.0.1", port)) {
      if (what.equals("replicas")) return s.sentinelReplicas(MASTER).toString();
      return String.valueOf(s.sentinelGetMasterAddrByName(MASTER));
    }
  }

  private static String info(int port) {
    try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", port))) {
      return j.info("replication");
    }
  }
}
