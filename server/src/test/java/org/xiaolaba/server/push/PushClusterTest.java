package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;
import org.xiaolaba.server.TestServer;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;

/**
 * Two server nodes on one real Redis: pushes sent through either reach the residents of both, once
 * each and in the channel's order; a terminal's presence is seen from the node it is not on, and
 * goes offline when the node holding it stops refreshing it.
 */
class PushClusterTest {
  static final String COUNTY = "320623";
  static final String TOWN = "320623100";
  static final String VILLAGE = "320623100201";
  static final String CHANNEL = "area:" + VILLAGE;
  static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dirA;
  @TempDir Path dirB;
  TestServer a;
  TestServer b;

  @BeforeEach
  void start() {
    a = TestServer.start(dirA);
    b = TestServer.start(dirB, Map.of("XIAOLABA_REDIS_URL", a.redisUrl()));
  }

  @AfterEach
  void stop() {
    if (b != null) b.close();
    if (a != null) a.close();
  }

  @Test
  void pushesThroughEitherNodeReachResidentsOnBothOnceEachInTheChannelsOrder() throws Exception {
    TestServer.WsRecorder onA = subscribed(a);
    TestServer.WsRecorder onB = subscribed(b);
    List<String> areas = List.of(VILLAGE, TOWN, COUNTY);
    int n = 30;
    for (int i = 0; i < n; i++) {
      TestServer via = i % 2 == 0 ? a : b;
      var sent =
          via.postJson(
              "/api/v1/pushes",
              TestServer.ADMIN,
              Map.of("areas", List.of(areas.get(i % 3)), "title", "第" + i + "条", "body", ""));
      assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
    }

    List<JsonNode> gotA = pushes(onA, n);
    List<JsonNode> gotB = pushes(onB, n);

    List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) expected.add("第" + i + "条");
    assertThat(gotA)
        .extracting(m -> m.at("/data/title").asText())
        .containsExactlyElementsOf(expected);
    assertThat(gotB)
        .extracting(m -> m.at("/data/title").asText())
        .containsExactlyElementsOf(expected);
    // One offset each, the same on both nodes, growing: one ordered stream.
    List<String> offsetsA = gotA.stream().map(m -> m.get("offset").asText()).toList();
    assertThat(gotB).extracting(m -> m.get("offset").asText()).isEqualTo(offsetsA);
    for (int i = 1; i < n; i++) {
      assertThat(StreamOffset.parse(offsetsA.get(i)))
          .isGreaterThan(StreamOffset.parse(offsetsA.get(i - 1)));
    }
    // And nothing more: a probe pushed last is the next message on both, no duplicate before it.
    a.postJson(
        "/api/v1/pushes",
        TestServer.ADMIN,
        Map.of("areas", List.of(VILLAGE), "title", "探针", "body", ""));
    assertThat(onA.awaitType("push", WAIT).at("/data/title").asText()).isEqualTo("探针");
    assertThat(onB.awaitType("push", WAIT).at("/data/title").asText()).isEqualTo("探针");
    // Each node timed its fan-outs: 31 live messages, each to its one subscriber.
    for (TestServer node : List.of(a, b)) {
      await()
          .atMost(WAIT)
          .until(
              () ->
                  node.get("/metrics", null)
                          .body()
                          .lines()
                          .filter(l -> l.startsWith("xiaolaba_push_fanout_seconds_count"))
                          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                          .sum()
                      >= 31);
    }
  }

  @Test
  void aTerminalOnOneNodeIsShownOnlineByTheOtherAndOfflineWhenItLeaves() throws Exception {
    String token = a.token("terminal", "一号喇叭", VILLAGE);
    TestServer.WsRecorder terminal = b.connect(token);

    await().atMost(WAIT).until(() -> online(a, "一号喇叭"));
    terminal.send(Map.of("op", "status", "state", "playing", "volume", 70));
    await().atMost(WAIT).until(() -> terminal(a, "一号喇叭").path("volume").asInt() == 70);

    terminal.socket().sendClose(1000, "bye").join();
    await().atMost(WAIT).until(() -> !online(a, "一号喇叭"));
  }

  @Test
  void aPushToATerminalReachesItOnItsPersonalChannelWhichResidentsCannotSubscribeTo()
      throws Exception {
    String token = a.token("terminal", "二号喇叭", VILLAGE);
    TestServer.WsRecorder terminal = b.connect(token);
    await().atMost(WAIT).until(() -> online(a, "二号喇叭"));
    String id = terminal(a, "二号喇叭").get("id").asText();
    String personal = "terminal:" + id;

    var sent =
        a.postJson(
            "/api/v1/pushes",
            TestServer.ADMIN,
            Map.of("terminals", List.of(id), "title", "音量调到七十", "body", ""));
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
    JsonNode got =
        terminal.await(
            m ->
                "push".equals(m.path("type").asText())
                    && personal.equals(m.path("channel").asText()),
            WAIT);
    assertThat(got.at("/data/title").asText()).isEqualTo("音量调到七十");
    String pushId = TestServer.json(sent.body()).get("id").asText();
    JsonNode report = TestServer.json(a.get("/api/v1/pushes/" + pushId, TestServer.ADMIN).body());
    assertThat(report.get("terminals")).extracting(JsonNode::asText).containsExactly(id);

    TestServer.WsRecorder resident = a.connect(null);
    resident.send(Map.of("op", "subscribe", "channels", List.of(personal)));
    assertThat(resident.awaitType("error", WAIT).get("message").asText())
        .isEqualTo("residents cannot subscribe to terminal channels");

    var unknown =
        a.postJson(
            "/api/v1/pushes",
            TestServer.ADMIN,
            Map.of("terminals", List.of("no-such-terminal"), "title", "x", "body", ""));
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("terminals[0]").contains("no-such-terminal");
  }

  @Test
  void aTerminalHeldByANodeThatDiesGoesOfflineAfterThePresenceTtl() throws Exception {
    ExecutorService workers = Executors.newFixedThreadPool(2);
    Duration ttl = Duration.ofSeconds(1);
    try (RedisHandle redis =
        RedisHandle.open(
            TestSettings.forDataDir(
                dirB.resolve("node-c"),
                Map.of(
                    "XIAOLABA_REDIS_URL",
                    a.redisUrl(),
                    "XIAOLABA_REDIS_KEY_PREFIX",
                    a.settings.redis().keyPrefix())))) {
      TerminalPresence node = new TerminalPresence(redis, workers, Clock.systemUTC(), ttl);
      TerminalPresence other = new TerminalPresence(redis, workers, Clock.systemUTC(), ttl);
      Principal p = new Principal("t-dies", Role.TERMINAL, "三号喇叭", List.of(VILLAGE), Instant.now());
      node.connected(p, "conn-1");
      await().atMost(WAIT).until(() -> isOnline(other, "t-dies"));
      // While its node lives it stays online, well past the TTL: the node refreshes it.
      await()
          .during(ttl.multipliedBy(3))
          .atMost(ttl.multipliedBy(6))
          .until(() -> isOnline(other, "t-dies"));

      node.close(); // the node dies: no more refreshes, no disconnect recorded

      await().atMost(ttl.multipliedBy(5)).until(() -> !isOnline(other, "t-dies"));
      other.close();
    } finally {
      workers.shutdownNow();
    }
  }

  private static boolean isOnline(TerminalPresence presence, String id) {
    return presence.all().stream().anyMatch(t -> t.id().equals(id) && t.online());
  }

  private static JsonNode terminal(TestServer via, String name) {
    for (JsonNode t : TestServer.json(via.get("/api/v1/terminals", TestServer.ADMIN).body())) {
      if (name.equals(t.path("name").asText())) return t;
    }
    return TestServer.json("{}");
  }

  private static boolean online(TestServer via, String name) {
    return terminal(via, name).path("online").asBoolean(false);
  }

  private static TestServer.WsRecorder subscribed(TestServer via) throws Exception {
    TestServer.WsRecorder ws = via.connect(null);
    ws.send(Map.of("op", "subscribe", "channels", List.of(CHANNEL)));
    ws.awaitType("subscribed", WAIT);
    return ws;
  }

  private static List<JsonNode> pushes(TestServer.WsRecorder ws, int n) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(ws.awaitType("push", WAIT));
    return out;
  }
}
