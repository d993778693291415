package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/**
 * Nothing a connection without a token sends makes the server hold or do more than a bound: a
 * subscribe list is read once per channel, messages are rate limited, acks count only for what was
 * sent, unknown clips leave nothing behind, the subscriber map shrinks back, and a terminal's
 * status is checked before it is stored.
 */
class WebSocketBoundsTest {
  static final String VILLAGE = "320623100201";
  static final String OTHER = "320623100202";
  static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir static Path dataDir;
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir, Map.of("XIAOLABA_WEBSOCKET_MAX_SUBSCRIPTIONS", "3"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String push(String area, String title) {
    var r =
        server.postJson(
            "/api/v1/pushes", TestServer.ADMIN, Map.of("areas", List.of(area), "title", title));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return TestServer.json(r.body()).get("id").asText();
  }

  static JsonNode pushFrame(TestServer.WsRecorder ws, String pushId) throws InterruptedException {
    return ws.await(
        m -> "push".equals(m.path("type").asText()) && pushId.equals(m.at("/data/pushId").asText()),
        WAIT);
  }

  static double metric(String name) {
    for (String line : server.get("/metrics", null).body().split("\n")) {
      if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1));
    }
    throw new AssertionError("no " + name + " in /metrics");
  }

  @Test
  void aChannelNamedTwiceOrAgainIsSubscribedAndReadOnce() throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    ws.send(
        Map.of(
            "op",
            "subscribe",
            "channels",
            List.of("area:" + VILLAGE, "area:" + VILLAGE, "area:" + VILLAGE, "area:" + OTHER)));
    ws.send(Map.of("op", "subscribe", "channels", List.of("area:" + VILLAGE)));
    String id = push(VILLAGE, "一次");
    List<JsonNode> before = new ArrayList<>();
    ws.await(
        m -> {
          before.add(m);
          return "push".equals(m.path("type").asText());
        },
        WAIT);
    // Four names, two distinct channels (within the limit of 3): two answers, nothing read again.
    assertThat(before.stream().filter(m -> m.path("type").asText().equals("subscribed")))
        .extracting(m -> m.get("channel").asText())
        .containsExactlyInAnyOrder("area:" + VILLAGE, "area:" + OTHER);
    assertThat(before).noneMatch(m -> m.path("type").asText().equals("error"));
    assertThat(before.get(before.size() - 1).at("/data/pushId").asText()).isEqualTo(id);
    ws.abort();
  }

  @Test
  void aBurstPastTheAllowanceIsAnsweredRateLimitedAndClosedWith4029() throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    int sent = 0;
    try {
      for (; sent < 60 && !ws.closed.isDone(); sent++) ws.send(Map.of("op", "ping"));
    } catch (RuntimeException closedWhileSending) {
      // the server closed while we were still sending
    }
    JsonNode error = ws.awaitType("error", WAIT);
    assertThat(error.get("code").asText()).isEqualTo("rate-limited");
    assertThat(error.get("message").asText()).contains("websocket.opsPerSecond");
    assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4029);
  }

  @Test
  void anAckCountsOnlyForAPushSentOnThatConnectionAndOnlyOnce() throws Exception {
    String before = push(OTHER, "订阅前");
    TestServer.WsRecorder ws = server.subscriber("area:" + OTHER);
    String id = push(OTHER, "订阅后");
    String offset = pushFrame(ws, id).get("offset").asText();
    // The push before the subscription was never sent here: its offset is older than the first.
    String forged = offsetOf(before);
    ws.send(Map.of("op", "ack", "channel", "area:" + OTHER, "offset", forged));
    for (int i = 0; i < 3; i++) {
      ws.send(Map.of("op", "ack", "channel", "area:" + OTHER, "offset", offset));
    }
    ws.send(Map.of("op", "ack", "channel", "area:" + OTHER, "offset", "99999999999999-0"));
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(report(id).get("acknowledged").asLong()).isEqualTo(1));
    assertThat(report(before).get("acknowledged").asLong()).isZero();
    assertThat(report(id).get("subscribersOnline").asLong()).isEqualTo(1);
    ws.abort();
  }

  /** The offset of a push in the village stream, read from Redis. */
  static String offsetOf(String pushId) {
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(server.redisUrl()))) {
      String key = server.settings.redis().keyPrefix() + "stream:area:" + OTHER;
      for (var e : redis.xrange(key, "-", "+")) {
        String data = e.getFields().getOrDefault("data", "");
        String ref = e.getFields().getOrDefault("push", "");
        if (data.contains(pushId) || ref.equals(pushId)) return e.getID().toString();
      }
    }
    throw new AssertionError("push " + pushId + " not in the stream");
  }

  static JsonNode report(String id) {
    var r = server.get("/api/v1/pushes/" + id, TestServer.ADMIN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r.body());
  }

  @Test
  void anUnknownClipIsRefusedNamingItsChannelAndLeavesNothingBehind() throws Exception {
    String editor = server.token("editor", "编辑", "320623");
    double baseline = metric("xiaolaba_push_channels");
    TestServer.WsRecorder ws = server.connect(editor);
    ws.send(Map.of("op", "subscribe", "channels", List.of("clip:nosuchclip01")));
    JsonNode error = ws.awaitType("error", WAIT);
    assertThat(error.get("code").asText()).isEqualTo("bad-channel");
    assertThat(error.get("message").asText()).contains("clip:nosuchclip01");
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(metric("xiaolaba_push_channels")).isEqualTo(baseline));
    // It does not take one of the connection's 3 channels.
    ws.send(
        Map.of(
            "op",
            "subscribe",
            "channels",
            List.of("area:" + VILLAGE, "area:" + OTHER, "area:320623")));
    for (int i = 0; i < 3; i++) assertThat(ws.awaitType("subscribed", WAIT)).isNotNull();
    ws.abort();
  }

  @Test
  void theSubscriberMapShrinksBackWhenItsConnectionsClose() throws Exception {
    List<String> villages = new ArrayList<>();
    collect(TestServer.json(server.get("/api/v1/areas", null).body()), villages);
    double baseline = metric("xiaolaba_push_channels");
    Random random = new Random(14);
    List<TestServer.WsRecorder> open = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      TestServer.WsRecorder ws = server.connect(null);
      List<String> mine = new ArrayList<>();
      for (int k = 0; k < 3; k++) mine.add("area:" + villages.get(random.nextInt(villages.size())));
      ws.send(Map.of("op", "subscribe", "channels", mine));
      ws.awaitType("subscribed", WAIT);
      open.add(ws);
    }
    await().atMost(WAIT).until(() -> metric("xiaolaba_push_channels") > baseline);
    for (TestServer.WsRecorder ws : open) ws.abort();
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(metric("xiaolaba_push_channels")).isEqualTo(baseline));
  }

  private static void collect(JsonNode area, List<String> codes) {
    codes.add(area.get("code").asText());
    for (JsonNode child : area.path("children")) collect(child, codes);
  }

  @Test
  void aTerminalsStatusOutOfBoundsIsRefusedAndNotStored() throws Exception {
    String terminal = server.token("terminal", "界外喇叭", VILLAGE);
    TestServer.WsRecorder ws = server.connect(terminal);
    // Its connection's presence is written first (a status racing it could be overwritten).
    await().atMost(WAIT).until(() -> terminalNamed("界外喇叭") != null);
    ws.send(Map.of("op", "status", "state", "idle", "volume", 70));
    ws.send(Map.of("op", "status", "state", "idle", "volume", 1000));
    assertThat(ws.awaitType("error", WAIT).get("message").asText()).startsWith("volume");
    ws.send(Map.of("op", "status", "state", "x".repeat(10_000)));
    JsonNode state = ws.awaitType("error", WAIT);
    assertThat(state.get("code").asText()).isEqualTo("bad-status");
    assertThat(state.get("message").asText()).startsWith("state").hasSizeLessThan(200);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              JsonNode mine = terminalNamed("界外喇叭");
              assertThat(mine).isNotNull();
              assertThat(mine.path("volume").asInt()).isEqualTo(70);
              assertThat(mine.path("state").asText()).isEqualTo("idle");
            });
    ws.abort();
  }

  @Test
  void aTerminalCannotConfirmARunItWasNeverSent() throws Exception {
    String terminal = server.token("terminal", "冒认喇叭", VILLAGE);
    TestServer.WsRecorder ws = server.connect(terminal);
    String runId = "p_othervillage:1764216000000";
    ws.send(Map.of("op", "status", "state", "playing", "nowPlaying", runId, "runId", runId));
    ws.send(Map.of("op", "ping"));
    ws.awaitType("pong", WAIT);
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(server.redisUrl()))) {
      String key = server.settings.redis().keyPrefix() + "run:" + runId + ":confirmed";
      await()
          .pollDelay(Duration.ZERO)
          .during(Duration.ofSeconds(1))
          .atMost(Duration.ofSeconds(2))
          .until(() -> !redis.exists(key));
    }
    ws.abort();
  }

  static JsonNode terminalNamed(String name) {
    for (JsonNode t : TestServer.json(server.get("/api/v1/terminals", TestServer.ADMIN).body())) {
      if (name.equals(t.path("name").asText())) return t;
    }
    return null;
  }
}
