package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WebSocket edge: bad messages get an error, repeated ones or oversized frames close. */
class WebSocketLimitsTest {
  @TempDir static Path dataDir;
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
  void aMessageThatIsNotJsonIsAnsweredWithAnError() throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    ws.send("hello?");
    JsonNode error = ws.awaitType("error", Duration.ofSeconds(5));
    assertThat(error.get("code").asText()).isEqualTo("bad-json");
  }

  @Test
  void anUnknownOpIsNamedInTheError() throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    ws.send(Map.of("op", "dance"));
    assertThat(ws.awaitType("error", Duration.ofSeconds(5)).get("message").asText())
        .contains("dance");
  }

  @Test
  void residentsMaySubscribeOnlyToKnownAreaChannels() throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    ws.send(Map.of("op", "subscribe", "channels", List.of("terminal:abc")));
    assertThat(ws.awaitType("error", Duration.ofSeconds(5)).get("code").asText())
        .isEqualTo("bad-channel");
    ws.send(Map.of("op", "subscribe", "channels", List.of("area:999999")));
    assertThat(ws.awaitType("error", Duration.ofSeconds(5)).get("message").asText())
        .contains("999999");
  }

  @Test
  void aMalformedOffsetIsRefused() throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    ws.send(
        Map.of(
            "op",
            "subscribe",
            "channels",
            List.of("area:320623"),
            "since",
            Map.of("area:320623", "yesterday")));
    assertThat(ws.awaitType("error", Duration.ofSeconds(5)).get("code").asText())
        .isEqualTo("bad-offset");
  }

  @Test
  void binaryFramesAreRefused() throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    ws.socket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
    assertThat(ws.awaitType("error", Duration.ofSeconds(5)).get("code").asText())
        .isEqualTo("binary");
  }

  @Test
  void repeatedBadMessagesCloseTheConnection() throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    for (int i = 0; i < 5; i++) ws.send("nope");
    assertThat(ws.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1008);
  }

  @Test
  void aFrameDeclaredOverTheLimitClosesWith1009BeforeItsPayloadIsRead() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      String handshake = RawWebSocket.handshake(s);
      assertThat(handshake).startsWith("HTTP/1.1 101");
      // A masked text frame that declares a 1 GiB payload (64-bit length), sent without the
      // payload.
      out.write(new byte[] {(byte) 0x81, (byte) 0xFF, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4});
      out.flush();
      int opcode = in.read();
      int len = in.read();
      int code = (in.read() << 8) | in.read();
      assertThat(opcode).isEqualTo(0x88);
      assertThat(len).isGreaterThanOrEqualTo(2);
      assertThat(code).isEqualTo(1009);
    }
  }

  @Test
  void textThatIsNotUtf8ClosesWith1007() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(5000);
      assertThat(RawWebSocket.handshake(s)).startsWith("HTTP/1.1 101");
      // A masked text frame whose payload is 0xC3 0x28: an invalid two-byte sequence.
      byte[] mask = {1, 2, 3, 4};
      byte[] bad = {(byte) 0xC3, 0x28};
      OutputStream out = s.getOutputStream();
      out.write(new byte[] {(byte) 0x81, (byte) (0x80 | bad.length)});
      out.write(mask);
      for (int i = 0; i < bad.length; i++) out.write(bad[i] ^ mask[i % 4]);
      out.flush();
      RawWebSocket.Frame close =
          RawWebSocket.readFrame(new java.io.DataInputStream(s.getInputStream()));
      assertThat(close.opcode()).isEqualTo(0x8);
      assertThat(close.closeCode()).isEqualTo(1007);
    }
  }

  @Test
  void anUnknownTokenCannotOpenAWebSocket() {
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> server.connect("forged-token")))
        .hasMessageContaining("closed instead of authed: 1008");
  }

  @Test
  void aPlainHttpRequestToTheWebSocketPathIsABadRequest() {
    assertThat(server.get("/ws", null).statusCode()).isEqualTo(400);
  }
}
