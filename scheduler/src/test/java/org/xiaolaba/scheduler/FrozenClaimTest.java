package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.EmbeddedRedisServer;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.FrozenRedis;
import org.xiaolaba.config.testing.TestSettings;

/**
 * A claim command sent while Redis is frozen (SIGSTOP) times out on the node, yet Redis carries it
 * out once it is thawed: the claim reads "pending" under this node's id though the node never took
 * it and nobody renews it. The node takes it back at once the next time it claims that work, rather
 * than waiting {@link Claims#LEASE} as it would for another node's claim. A redis-server of its
 * own, since it is frozen.
 */
class FrozenClaimTest {
  @TempDir Path dir;
  EmbeddedRedisServer redis;
  RedisHandle handle;
  Claims claims;

  @BeforeEach
  void start() {
    redis = EmbeddedRedisServer.start(dir.resolve("redis"), TestSettings.sharedBinDir(), "always");
    handle =
        RedisHandle.open(
            TestSettings.forDataDir(
                dir.resolve("node"),
                Map.of("XIAOLABA_REDIS_URL", redis.url(), "XIAOLABA_REDIS_TIMEOUT", "1s")));
    claims = new Claims(handle, "node-a", Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    if (claims != null) claims.close();
    if (handle != null) handle.close();
    if (redis != null) redis.close();
  }

  @Test
  void aClaimThatTimedOutWhileRedisWasFrozenAndWasCarriedOutLaterIsTakenBackAtOnce() {
    List<Boolean> worked = new CopyOnWriteArrayList<>();
    String name = Claims.runName("p1", Instant.EPOCH);
    String key = handle.key("claim:" + name);

    // A pooled connection, as a running node has: the claim goes out on it, not a handshake.
    assertThat(handle.client().get(key)).isNull();
    try (FrozenRedis frozen = FrozenRedis.freeze(redis)) {
      assertThatThrownBy(() -> claims.once(name, "run", worked::add))
          .isInstanceOf(RuntimeException.class);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(handle.client().get(key)).startsWith("node-a pending "));
    assertThat(worked).isEmpty();

    long started = System.nanoTime();
    assertThat(claims.once(name, "run", worked::add)).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Claims.LEASE);
    assertThat(worked).containsExactly(true);
    assertThat(claims.watching()).isZero();
    assertThat(handle.client().get(key)).startsWith("node-a done ");

    // Done now: neither this node nor another does it again.
    assertThat(claims.once(name, "run", worked::add)).isFalse();
    try (Claims other = new Claims(handle, "node-b", Clock.systemUTC())) {
      assertThat(other.once(name, "run", worked::add)).isFalse();
      assertThat(other.watching()).isZero();
    }
    assertThat(worked).containsExactly(true);
  }

  @Test
  void aDoneMarkRedisDidNotTakeWhileFrozenIsWrittenAfterTheThawAndTheClaimIsNoLongerRenewed() {
    List<Boolean> worked = new CopyOnWriteArrayList<>();
    String name = Claims.runName("p3", Instant.EPOCH);
    String key = handle.key("claim:" + name);
    FrozenRedis[] frozen = new FrozenRedis[1];

    // Redis freezes while the work runs: the done mark that follows times out.
    boolean here =
        claims.once(
            name,
            "run",
            takenOver -> {
              worked.add(takenOver);
              frozen[0] = FrozenRedis.freeze(redis);
            });
    assertThat(here).isTrue();
    assertThat(worked).containsExactly(false);
    assertThat(claims.holding()).isZero();
    frozen[0].close();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(claims.unfinished()).isZero();
              assertThat(handle.client().get(key)).startsWith("node-a done ");
            });
    assertThat(claims.holding()).isZero();
    try (Claims other = new Claims(handle, "node-b", Clock.systemUTC())) {
      assertThat(other.once(name, "run", worked::add)).isFalse();
      assertThat(other.watching()).isZero();
    }
    assertThat(worked).containsExactly(false);
  }

  @Test
  void aPendingClaimThatTheNodeIsWorkingUnderIsNotTakenBackByAnotherOfItsThreads() {
    List<String> worked = new CopyOnWriteArrayList<>();
    String name = Claims.runName("p2", Instant.EPOCH);

    boolean outer =
        claims.once(
            name,
            "run",
            takenOver -> {
              worked.add("outer");
              // The claim reads "node-a pending" now, and this node holds it: not stale.
              assertThat(claims.once(name, "run", t -> worked.add("inner"))).isFalse();
              assertThat(claims.watching()).isZero();
            });

    assertThat(outer).isTrue();
    assertThat(worked).containsExactly("outer");
    assertThat(handle.client().get(handle.key("claim:" + name))).startsWith("node-a done ");
  }
}
