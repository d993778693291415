package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.EmbeddedRedisServer;

/**
 * Redis dies under a running node: a state-changing request that needs no Redis to be answered is
 * answered as ever, and its audit entry, which cannot be written, is counted as dropped in
 * /metrics.
 */
class AuditRedisOutageTest {
  @TempDir Path dir;
  EmbeddedRedisServer redis;
  TestServer server;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (redis != null) redis.close();
  }

  @Test
  void anAuditWriteThatRedisRefusesIsCountedAndTheAnswerStands() throws Exception {
    redis = ExternalRedis.start(dir);
    server = ExternalRedis.node(dir, redis, Map.of());
    assertThat(dropped(server.get("/metrics", null).body())).isZero();

    ExternalRedis.crash(redis);
    redis = null;
    long start = System.nanoTime();
    HttpResponse<String> r = server.postJson("/api/v1/no-such-route", null, "{}");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> dropped(server.get("/metrics", null).body()) >= 1);
  }

  private static double dropped(String metrics) {
    Matcher m =
        Pattern.compile("(?m)^xiaolaba_audit_dropped_total\\{reason=\"failed\"[^\\n]*? (\\S+)$")
            .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }
}
