package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.EmbeddedRedisServer;
import org.xiaolaba.server.ExternalRedis;
import org.xiaolaba.server.TestServer;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;

/**
 * A push answered 202 just before Redis is killed (SIGKILL) reaches a resident who stays connected,
 * though the node never had it live: it comes with the catch-up the node does once its pub/sub
 * subscription is back, even when the first reads of that catch-up fail (the node's pooled
 * connections still lead to the Redis that died, and each fails once).
 *
 * <p>Each round cuts the node's subscription ({@code CLIENT KILL TYPE pubsub}; it comes back after
 * a pause of 200 ms or more) just before the push, so the push is in the history but not delivered
 * live, as when Redis dies between the two; then Redis is killed and started again on the same port
 * and AOF.
 */
class PushRedisCrashTest {
  static final String VILLAGE = "320623100201";
  static final String CHANNEL = "area:" + VILLAGE;
  static final Duration WAIT = Duration.ofSeconds(20);
  static final int ROUNDS = 5;

  @TempDir Path dir;
  EmbeddedRedisServer redis;
  TestServer server;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (redis != null) redis.close();
  }

  @Test
  void aPushAnsweredJustBeforeRedisIsKilledReachesTheConnectedResident() throws Exception {
    redis = ExternalRedis.start(dir);
    int port = redis.port();
    server = ExternalRedis.node(dir, redis, Map.of());
    String editor = server.token("editor", "编辑", "320623");
    TestServer.WsRecorder resident = server.subscriber(CHANNEL);

    for (int round = 1; round <= ROUNDS; round++) {
      String title = "停电" + round;
      try (Jedis admin = new Jedis(URI.create(redis.url()))) {
        assertThat(admin.clientKill(ClientKillParams.clientKillParams().type(ClientType.PUBSUB)))
            .isPositive();
      }
      var sent =
          server.postJson(
              "/api/v1/pushes",
              editor,
              Map.of("areas", List.of(VILLAGE), "title", title, "body", ""));
      assertThat(sent.statusCode()).as("round %d: %s", round, sent.body()).isEqualTo(202);
      ExternalRedis.crash(redis);
      redis = ExternalRedis.restart(dir, port);

      String pushId = TestServer.json(sent.body()).get("id").asText();
      JsonNode push =
          resident.await(
              m ->
                  "push".equals(m.path("type").asText())
                      && pushId.equals(m.at("/data/pushId").asText()),
              WAIT);
      assertThat(push.path("channel").asText()).as("round %d", round).isEqualTo(CHANNEL);
      assertThat(push.at("/data/title").asText()).isEqualTo(title);
      assertThat(resident.closed).as("round %d", round).isNotDone();
    }
  }

  @Test
  void aSubscribeWhoseHistoryCannotBeReadIsToldToComeBackNotThatItsHistoryIsGone()
      throws Exception {
    redis = ExternalRedis.start(dir);
    int port = redis.port();
    server = ExternalRedis.node(dir, redis, Map.of());
    String editor = server.token("editor", "编辑", "320623");
    TestServer.WsRecorder first = server.subscriber(CHANNEL);
    var sent =
        server.postJson(
            "/api/v1/pushes", editor, Map.of("areas", List.of(VILLAGE), "title", "通知", "body", ""));
    assertThat(sent.statusCode()).isEqualTo(202);
    String offset = first.awaitType("push", WAIT).path("offset").asText();
    ExternalRedis.crash(redis);

    // Redis is down: the history after the offset may well be whole, so no `recovered: false`
    // (which would send the client to refetch everything over REST) but 1013, to come back.
    TestServer.WsRecorder back = server.connect(null);
    back.send(
        Map.of("op", "subscribe", "channels", List.of(CHANNEL), "since", Map.of(CHANNEL, offset)));
    assertThat(back.closed.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(1013);
    assertThat(back.messages).noneMatch(m -> "subscribed".equals(m.path("type").asText()));
    assertThat(back.messages).anyMatch(m -> "busy".equals(m.path("code").asText()));

    redis = ExternalRedis.restart(dir, port);
    org.awaitility.Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              TestServer.WsRecorder again = server.connect(null);
              again.send(
                  Map.of(
                      "op",
                      "subscribe",
                      "channels",
                      List.of(CHANNEL),
                      "since",
                      Map.of(CHANNEL, offset)));
              JsonNode subscribed =
                  again.await(
                      m ->
                          "subscribed".equals(m.path("type").asText())
                              || "busy".equals(m.path("code").asText()),
                      WAIT);
              assertThat(subscribed.path("recovered").asBoolean()).isTrue();
              assertThat(subscribed.path("offset").asText()).isEqualTo(offset);
            });
  }
}
