package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.server.RawWebSocket;
import org.xiaolaba.server.TestServer;

/**
 * Limits that protect the server and the other clients, over real sockets: a client that stops
 * reading is cut off with 4008 while another gets every message, and one address cannot hold more
 * than its share of connections.
 */
class PushBackpressureTest {
  static final String VILLAGE = "320623100201";
  static final String CHANNEL = "area:" + VILLAGE;
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  TestServer server;

  @AfterEach
  void stop() {
    if (server != null) server.close();
  }

  /**
   * Starts the server with a 64 KiB outbound bound; returns a resident subscribed to the village.
   */
  private TestServer.WsRecorder serverWithA64KiBBoundAndASubscriber() throws Exception {
    server = TestServer.start(dir, Map.of("XIAOLABA_WEBSOCKET_MAX_OUTBOUND_BUFFER", "64KiB"));
    return server.subscriber(CHANNEL);
  }

  @Test
  void aClientThatStopsReadingIsCutOffWith4008WhileAnotherGetsEveryMessage() throws Exception {
    TestServer.WsRecorder fast = serverWithA64KiBBoundAndASubscriber();

    try (Socket slow = new Socket()) {
      slow.setReceiveBufferSize(4096);
      slow.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      slow.setSoTimeout(20_000);
      OutputStream out = slow.getOutputStream();
      InputStream in = slow.getInputStream();
      assertThat(RawWebSocket.handshake(slow)).startsWith("HTTP/1.1 101");
      RawWebSocket.sendText(out, "{\"op\":\"subscribe\",\"channels\":[\"" + CHANNEL + "\"]}");
      // Wait for its "subscribed" (the only frame it reads before falling silent).
      assertThat(RawWebSocket.readFrame(new DataInputStream(in)).text()).contains("\"subscribed\"");

      // About 12 MB to both: far more than the slow client's socket buffers and its 64 KiB bound.
      String body = "广".repeat(99_000);
      int n = 40;
      for (int i = 0; i < n; i++) {
        var sent =
            server.postJson(
                "/api/v1/pushes",
                TestServer.ADMIN,
                Map.of("areas", List.of(VILLAGE), "title", "大消息" + i, "body", body));
        assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
      }
      for (int i = 0; i < n; i++) {
        assertThat(fast.awaitType("push", WAIT).at("/data/title").asText()).isEqualTo("大消息" + i);
      }

      // The slow client now reads what it was sent before the cut: it ends with close 4008.
      DataInputStream frames = new DataInputStream(in);
      RawWebSocket.Frame last = null;
      try {
        while (true) {
          RawWebSocket.Frame f = RawWebSocket.readFrame(frames);
          last = f;
          if (f.opcode() == 0x8) break;
        }
      } catch (EOFException e) {
        // The server closed the TCP connection after its close frame.
      }
      assertThat(last).isNotNull();
      assertThat(last.opcode()).isEqualTo(0x8);
      assertThat(last.closeCode()).isEqualTo(4008);
    }
    await().atMost(WAIT).until(() -> openConnections() == 1);
    // The fast client is still connected and served.
    server.postJson(
        "/api/v1/pushes",
        TestServer.ADMIN,
        Map.of("areas", List.of(VILLAGE), "title", "之后", "body", ""));
    assertThat(fast.awaitType("push", WAIT).at("/data/title").asText()).isEqualTo("之后");
  }

  @Test
  void aClientThatReadsABurstWhoseMessagesTogetherPassTheBoundIsNotCutOff() throws Exception {
    TestServer.WsRecorder fast = serverWithA64KiBBoundAndASubscriber();

    // Each about 45 KB, under the 64 KiB bound; sent eight at a time, so that the event loop often
    // owes the client several at once and writes them in one pass, together over the bound before
    // they are flushed. Only what the client has not taken counts against it.
    String body = "广".repeat(15_000);
    int n = 48;
    ExecutorService senders = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String title = "连发" + i;
        answers.add(
            senders.submit(
                () ->
                    server
                        .postJson(
                            "/api/v1/pushes",
                            TestServer.ADMIN,
                            Map.of("areas", List.of(VILLAGE), "title", title, "body", body))
                        .statusCode()));
      }
      for (Future<Integer> a : answers) assertThat(a.get(60, TimeUnit.SECONDS)).isEqualTo(202);
    } finally {
      senders.shutdown();
    }
    Set<String> titles = new HashSet<>();
    for (int i = 0; i < n; i++) titles.add(fast.awaitType("push", WAIT).at("/data/title").asText());
    assertThat(titles).hasSize(n);
    assertThat(fast.closed).isNotDone();
  }

  @Test
  void aClientThatNeverReadsAgainIsDroppedAndItsQueueFreedWithinTheIdleTimeout() throws Exception {
    server =
        TestServer.start(
            dir,
            Map.of(
                "XIAOLABA_WEBSOCKET_MAX_OUTBOUND_BUFFER", "64KiB",
                "XIAOLABA_WEBSOCKET_PING_INTERVAL", "1s",
                "XIAOLABA_WEBSOCKET_IDLE_TIMEOUT", "2s",
                "XIAOLABA_WEBSOCKET_PRESENCE_TTL", "3s"));
    try (Socket stuck = new Socket()) {
      stuck.setReceiveBufferSize(4096);
      stuck.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      stuck.setSoTimeout(20_000);
      assertThat(RawWebSocket.handshake(stuck)).startsWith("HTTP/1.1 101");
      RawWebSocket.sendText(
          stuck.getOutputStream(), "{\"op\":\"subscribe\",\"channels\":[\"" + CHANNEL + "\"]}");
      assertThat(RawWebSocket.readFrame(new DataInputStream(stuck.getInputStream())).text())
          .contains("\"subscribed\"");
      String body = "广".repeat(99_000);
      for (int i = 0; i < 20; i++) {
        server.postJson(
            "/api/v1/pushes",
            TestServer.ADMIN,
            Map.of("areas", List.of(VILLAGE), "title", "大消息" + i, "body", body));
      }
      // It reads nothing more; its close frame cannot get through, yet it is let go.
      await().atMost(WAIT).until(() -> openConnections() == 0);
    }
  }

  private double openConnections() {
    for (String line : server.get("/metrics", null).body().split("\n")) {
      if (line.startsWith("xiaolaba_websocket_connections ")) {
        return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
      }
    }
    throw new AssertionError("no xiaolaba_websocket_connections in /metrics");
  }

  @Test
  void anAddressOverItsConnectionLimitIsRefusedWith429UntilOneCloses() throws Exception {
    server = TestServer.start(dir, Map.of("XIAOLABA_WEBSOCKET_MAX_CONNECTIONS_PER_IP", "2"));
    TestServer.WsRecorder one = server.connect(null);
    server.connect(null);

    try (Socket third = new Socket("127.0.0.1", server.port())) {
      third.setSoTimeout(10_000);
      third.getOutputStream().write(RawWebSocket.HANDSHAKE);
      String refused = new String(third.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(refused).startsWith("HTTP/1.1 429").contains("application/problem+json");
      assertThat(refused).contains("at most 2 (websocket.maxConnectionsPerIp)");
    }
    Throwable viaClient = catchThrowable(() -> server.connect(null));
    assertThat(viaClient).hasCauseInstanceOf(WebSocketHandshakeException.class);

    one.socket().sendClose(1000, "bye").join();
    one.closed.get(); // the server answered the close
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(
            () -> {
              server.connect(null).abort();
              return true;
            });
  }
}
