package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.server.RawWebSocket;
import org.xiaolaba.server.TestServer;

/**
 * Heartbeats with a one-second ping interval and a two-second idle timeout: a client that only
 * answers pings stays connected while pushes keep flowing to it; one that answers nothing is
 * closed.
 */
class PushHeartbeatTest {
  static final String CHANNEL = "area:320623100201";

  @TempDir Path dir;
  TestServer server;
  final ScheduledExecutorService pusher = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    pusher.shutdownNow();
    if (server != null) server.close();
  }

  private void start() {
    server =
        TestServer.start(
            dir,
            Map.of(
                "XIAOLABA_WEBSOCKET_PING_INTERVAL", "1s",
                "XIAOLABA_WEBSOCKET_IDLE_TIMEOUT", "2s",
                "XIAOLABA_WEBSOCKET_PRESENCE_TTL", "3s"));
  }

  @Test
  void aClientThatOnlyAnswersPingsStaysConnectedWhilePushesFlow() throws Exception {
    start();
    // The JDK client answers pings with pongs by itself and sends nothing else.
    TestServer.WsRecorder quiet = server.connect(null);
    quiet.send(Map.of("op", "subscribe", "channels", List.of(CHANNEL)));
    quiet.awaitType("subscribed", Duration.ofSeconds(5));
    AtomicInteger sent = new AtomicInteger();
    pusher.scheduleAtFixedRate(
        () ->
            server.postJson(
                "/api/v1/pushes",
                TestServer.ADMIN,
                Map.of(
                    "areas",
                    List.of("320623100201"),
                    "title",
                    "消息" + sent.incrementAndGet(),
                    "body",
                    "")),
        0,
        250,
        TimeUnit.MILLISECONDS);

    // Three idle timeouts long, pushes arriving all the while: still open.
    await()
        .during(Duration.ofSeconds(6))
        .atMost(Duration.ofSeconds(9))
        .until(() -> !quiet.closed.isDone());
    assertThat(quiet.messages.stream().filter(m -> "push".equals(m.path("type").asText())))
        .hasSizeGreaterThan(10);
  }

  @Test
  void theApplicationPingIsAnsweredWithPongHoweverItIsSpaced() throws Exception {
    start();
    TestServer.WsRecorder app = server.connect(null);
    app.send("{\"op\":\"ping\"}");
    assertThat(app.awaitType("pong", Duration.ofSeconds(5))).isNotNull();
    app.send("{ \"op\" : \"ping\" }");
    assertThat(app.awaitType("pong", Duration.ofSeconds(5))).isNotNull();
  }

  @Test
  void aClientThatAnswersNothingIsClosedAfterTheIdleTimeout() throws Exception {
    start();
    try (Socket mute = new Socket()) {
      mute.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      mute.setSoTimeout(10_000);
      assertThat(RawWebSocket.handshake(mute)).startsWith("HTTP/1.1 101");
      // It reads what comes (pings) but never answers; the server gives up on it.
      var in = new java.io.DataInputStream(mute.getInputStream());
      RawWebSocket.Frame f;
      do {
        f = RawWebSocket.readFrame(in);
      } while (f.opcode() == 0x9);
      assertThat(f.opcode()).isEqualTo(0x8);
      assertThat(f.closeCode()).isEqualTo(1001);
    }
  }
}
