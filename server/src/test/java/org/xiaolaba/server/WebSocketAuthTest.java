package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xiaolaba.server.push.WebSocketEndpoint;

/**
 * Tokens never travel in URLs: a WebSocket authenticates with its first frame ({@code auth}), one
 * that does not is a resident's, and {@code /ws?token=} is refused unless {@code
 * websocket.allowTokenInUrl}.
 */
class WebSocketAuthTest {
  static final String VILLAGE = "320623100201";
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aTerminalsAuthFrameIsAnsweredAuthedThenItIsSubscribedAndSentTheDaysPlays() throws Exception {
    Path tone = TestServer.tone(work, "alarm.mp3", 30, "-b:a", "64k");
    JsonNode clip = server.uploadSettled(tone, TestServer.ADMIN);
    assertThat(clip.get("status").asText()).isEqualTo("ready");
    HttpResponse<String> emergency =
        server.postJson(
            "/api/v1/emergency",
            TestServer.ADMIN,
            Map.of("title", "山洪预警", "areas", List.of(VILLAGE), "clipId", clip.get("id").asText()));
    assertThat(emergency.statusCode()).as(emergency.body()).isEqualTo(201);
    String emergencyId = TestServer.json(emergency.body()).get("id").asText();

    String token = server.token("terminal", "一号喇叭", VILLAGE);
    TestServer.WsRecorder terminal = server.open("/ws");
    terminal.send(Map.of("op", "auth", "token", token));

    JsonNode authed = terminal.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(authed).as("the first answer").isNotNull();
    assertThat(authed.get("type").asText()).isEqualTo("authed");
    assertThat(authed.get("role").asText()).isEqualTo("terminal");
    assertThat(authed.get("areas")).extracting(JsonNode::asText).containsExactly(VILLAGE);
    String id = authed.get("id").asText();

    Set<String> subscribed = new HashSet<>();
    boolean played = false;
    while (subscribed.size() < 2 || !played) {
      JsonNode m = terminal.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(m)
          .as("subscribed twice and the emergency's play, so far " + subscribed)
          .isNotNull();
      assertThat(m.get("type").asText()).isNotEqualTo("authed");
      if (m.get("type").asText().equals("subscribed")) subscribed.add(m.get("channel").asText());
      if (m.get("type").asText().equals("play")) {
        played |= emergencyId.equals(m.get("program").asText());
      }
    }
    assertThat(subscribed).containsExactlyInAnyOrder("area:" + VILLAGE, "terminal:" + id);
    await(() -> server.get("/api/v1/terminals", TestServer.ADMIN).body().contains("一号喇叭"));
    terminal.abort();
  }

  @Test
  void framesSentRightBehindTheAuthFrameAreTakenAsTheTokensAfterIt() throws Exception {
    // An admin may follow any terminal's channel, a resident none: the subscribe sent without
    // waiting for authed must be taken after the token was checked.
    TestServer.WsRecorder admin = server.open("/ws");
    admin.send(Map.of("op", "auth", "token", TestServer.ADMIN));
    admin.send(Map.of("op", "subscribe", "channels", List.of("terminal:someone")));
    admin.send(Map.of("op", "ping"));
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      JsonNode m = admin.messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(m).as("three answers, so far " + seen).isNotNull();
      seen.add(m.get("type").asText() + " " + m.path("channel").asText(m.path("role").asText()));
    }
    // A subscribe is answered once the channel's history is read, so the pong may come first.
    assertThat(seen.get(0)).isEqualTo("authed admin");
    assertThat(seen.subList(1, 3))
        .containsExactlyInAnyOrder("subscribed terminal:someone", "pong ");
  }

  @Test
  void anAuthFrameAfterTheFirstIsAnErrorAndTheConnectionStays() throws Exception {
    TestServer.WsRecorder admin = server.connect(TestServer.ADMIN);
    admin.send(Map.of("op", "auth", "token", TestServer.ADMIN));
    JsonNode error = admin.awaitType("error", WAIT);
    assertThat(error.get("code").asText()).isEqualTo("bad-request");
    assertThat(error.get("message").asText()).contains("authenticated already");

    TestServer.WsRecorder resident = server.subscriber("area:" + VILLAGE);
    resident.send(Map.of("op", "auth", "token", TestServer.ADMIN));
    JsonNode late = resident.awaitType("error", WAIT);
    assertThat(late.get("code").asText()).isEqualTo("bad-request");
    assertThat(late.get("message").asText()).contains("first frame");
    // Still a resident: a terminal channel stays out of reach.
    resident.send(Map.of("op", "subscribe", "channels", List.of("terminal:someone")));
    assertThat(resident.awaitType("error", WAIT).get("message").asText())
        .contains("residents cannot subscribe");
    resident.send(Map.of("op", "ping"));
    resident.awaitType("pong", WAIT);
    assertThat(resident.closed).isNotDone();
  }

  @Test
  void withoutAnAuthFrameTheConnectionIsAResidentAndGetsItsPushes() throws Exception {
    TestServer.WsRecorder resident = server.subscriber("area:" + VILLAGE);
    HttpResponse<String> r =
        server.postJson(
            "/api/v1/pushes",
            TestServer.ADMIN,
            Map.of("areas", List.of(VILLAGE), "title", "停电通知", "body", "明天停电"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode push = resident.awaitType("push", WAIT);
    assertThat(push.at("/data/title").asText()).isEqualTo("停电通知");
  }

  @Test
  void aTokenInTheUrlIsRefusedByDefaultNamingTheAuthFrame() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(5000);
      String head = RawWebSocket.handshake(s, "/ws?token=" + TestServer.ADMIN);
      assertThat(head).startsWith("HTTP/1.1 400").containsIgnoringCase("application/problem+json");
      String body = body(s.getInputStream(), head);
      assertThat(TestServer.json(body).get("detail").asText())
          .contains("{\"op\": \"auth\"")
          .contains("first frame")
          .contains("websocket.allowTokenInUrl")
          .doesNotContain(TestServer.ADMIN);
    }
    assertThat(catchThrowable(() -> server.open("/ws?token=" + TestServer.ADMIN))).isNotNull();
  }

  @Test
  void anUnknownTokenClosesWith1008AndCountsTowardsTheAddresssFailedTokenChecks(
      @TempDir Path otherData) throws Exception {
    try (TestServer strict =
        TestServer.start(
            otherData, Map.of("XIAOLABA_HTTP_THROTTLE_AUTH_FAILURES_PER_MINUTE", "2"))) {
      assertThat(strict.get("/api/v1/programs", TestServer.ADMIN).statusCode()).isEqualTo(200);
      for (String bad : List.of("forged-token", "another-forged-token")) {
        TestServer.WsRecorder ws = strict.open("/ws");
        ws.send(Map.of("op", "auth", "token", bad));
        assertThat(ws.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1008);
        assertThat(ws.closeReason).contains("not known");
        assertThat(ws.messages).noneMatch(m -> m.path("type").asText().equals("authed"));
      }
      // Two failures from this address: even a good Bearer token is held off now, as after bad
      // Bearer tokens, and so is a good auth frame.
      HttpResponse<String> held = strict.get("/api/v1/programs", TestServer.ADMIN);
      assertThat(held.statusCode()).isEqualTo(429);
      assertThat(held.body()).contains("http.throttle.authFailuresPerMinute");
      TestServer.WsRecorder good = strict.open("/ws");
      good.send(Map.of("op", "auth", "token", TestServer.ADMIN));
      assertThat(good.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1008);
      JsonNode error = good.awaitType("error", WAIT);
      assertThat(error.get("code").asText()).isEqualTo("too-many-auth-failures");
      assertThat(error.get("message").asText()).contains("http.throttle.authFailuresPerMinute");
    }
  }

  @Test
  void withTheSwitchATokenInTheUrlStillConnectsAndIsWarnedAboutOncePerToken(@TempDir Path otherData)
      throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(WebSocketEndpoint.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try (TestServer lenient =
        TestServer.start(otherData, Map.of("XIAOLABA_WEBSOCKET_ALLOW_TOKEN_IN_URL", "true"))) {
      String token = lenient.token("terminal", "老喇叭", VILLAGE);
      String id = tokenId(lenient, "老喇叭");
      for (int i = 0; i < 2; i++) {
        TestServer.WsRecorder old = lenient.open("/ws?token=" + token);
        Set<String> subscribed = new HashSet<>();
        while (subscribed.size() < 2) {
          subscribed.add(old.awaitType("subscribed", WAIT).get("channel").asText());
        }
        assertThat(subscribed).containsExactlyInAnyOrder("area:" + VILLAGE, "terminal:" + id);
        old.abort();
      }
      assertThat(catchThrowable(() -> lenient.open("/ws?token=forged"))).isNotNull();
      // The frame works there too.
      assertThat(lenient.connect(token).closed).isNotDone();

      List<ILoggingEvent> warnings =
          logged.list.stream()
              .filter(e -> e.getLevel() == Level.WARN)
              .filter(e -> e.getFormattedMessage().contains("?token="))
              .toList();
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0).getFormattedMessage())
          .contains(id)
          .contains("websocket.allowTokenInUrl")
          .doesNotContain(token);
    } finally {
      logger.detachAppender(logged);
    }
  }

  private static String tokenId(TestServer s, String name) {
    for (JsonNode t : TestServer.json(s.get("/api/v1/tokens", TestServer.ADMIN).body())) {
      if (name.equals(t.path("name").asText())) return t.get("id").asText();
    }
    throw new AssertionError("no token named " + name);
  }

  private static String body(InputStream in, String head) throws java.io.IOException {
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static void await(java.util.concurrent.Callable<Boolean> condition) {
    org.awaitility.Awaitility.await().atMost(WAIT).until(condition);
  }
}
