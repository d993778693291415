package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.EmbeddedRedisServer;
import org.xiaolaba.config.testing.TestSettings;

/**
 * Redis stops under a running server and comes back: meanwhile the server says it is not ready,
 * answers API calls with a prompt 503 problem (no hanging requests) and keeps its WebSocket clients
 * connected; afterwards everything works again without a restart, including live pushes (the
 * pub/sub subscription comes back by itself) and what was written before (AOF, fsync always).
 */
class RedisOutageTest {
  static final String VILLAGE = "320623100201";
  static final String CHANNEL = "area:" + VILLAGE;
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  EmbeddedRedisServer redis;
  TestServer server;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (redis != null) redis.close();
  }

  @Test
  void whileRedisIsDownTheServerAnswers503AndKeepsItsClientsAndAfterwardsAllWorksAgain()
      throws Exception {
    Path redisDir = dir.resolve("redis");
    redis = EmbeddedRedisServer.start(redisDir, TestSettings.sharedBinDir(), "always");
    int port = redis.port();
    server =
        TestServer.start(
            dir.resolve("node"),
            Map.of("XIAOLABA_REDIS_URL", redis.url(), "XIAOLABA_REDIS_TIMEOUT", "1s"));
    String editor = server.token("editor", "编辑", "320623");
    TestServer.WsRecorder resident = server.connect(null);
    resident.send(Map.of("op", "subscribe", "channels", List.of(CHANNEL)));
    resident.awaitType("subscribed", WAIT);

    redis.close();
    redis = null;

    await().atMost(WAIT).until(() -> server.get("/readyz", null).statusCode() == 503);
    var refused =
        server.postJson(
            "/api/v1/pushes", editor, Map.of("areas", List.of(VILLAGE), "title", "停电", "body", ""));
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(refused.body()).contains("Redis");
    // The resident is still connected and served by the node.
    resident.send("{\"op\":\"ping\"}");
    assertThat(resident.awaitType("pong", WAIT)).isNotNull();
    assertThat(resident.closed).isNotDone();

    redis = EmbeddedRedisServer.start(redisDir, TestSettings.sharedBinDir(), "always", port);

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              var ready = server.get("/readyz", null);
              assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            });
    // The editor's token, written before the outage, is still known; a push goes out live again.
    await()
        .atMost(WAIT)
        .until(
            () ->
                server
                        .postJson(
                            "/api/v1/pushes",
                            editor,
                            Map.of("areas", List.of(VILLAGE), "title", "恢复供电", "body", ""))
                        .statusCode()
                    == 202);
    JsonNode push = resident.awaitType("push", WAIT);
    assertThat(push.at("/data/title").asText()).isEqualTo("恢复供电");
    assertThat(resident.closed).isNotDone();
  }
}
