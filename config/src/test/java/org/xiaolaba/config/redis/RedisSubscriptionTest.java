package org.xiaolaba.config.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.testing.TestSettings;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;

/** The node's pub/sub link on a real redis-server, cut again and again by the server. */
class RedisSubscriptionTest {
  @TempDir Path dataDir;

  @Test
  void everyLossIsResubscribedAfterTheFirstShortPauseNotAnEverLongerOne() {
    try (RedisHandle redis = RedisHandle.open(TestSettings.forDataDir(dataDir))) {
      List<String> received = new CopyOnWriteArrayList<>();
      AtomicInteger resubscribed = new AtomicInteger();
      try (RedisSubscription sub =
          new RedisSubscription(
              redis, "test", Map.of("news", received::add), resubscribed::incrementAndGet)) {
        assertThat(sub.start(Duration.ofSeconds(10))).isTrue();
        // Eight separate losses. Had the pause kept doubling from 200 ms across them (up to its
        // 10 s cap), the fifth resubscribe alone would take 3.2 s and the eighth 10 s.
        for (int loss = 1; loss <= 8; loss++) {
          try (Jedis admin = new Jedis(redis.uri())) {
            admin.clientKill(new ClientKillParams().type(ClientType.PUBSUB));
          }
          int expected = loss;
          await().atMost(Duration.ofMillis(2500)).until(() -> resubscribed.get() >= expected);
        }
        try (Jedis publisher = new Jedis(redis.uri())) {
          await()
              .atMost(Duration.ofSeconds(5))
              .until(() -> publisher.publish("news", "还在") > 0 && received.contains("还在"));
        }
      }
    }
  }
}
