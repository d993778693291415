package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain HTTP clients that stall are cut off (http.idleTimeout 1 s, http.requestTimeout 2 s here),
 * over real sockets: a silent connection, a keep-alive one left idle, headers trickled in, an
 * upload that stops part way (408, its partial file removed, no clip). Slow but steady clients, and
 * WebSockets (which have their own heartbeat), are left alone, and the server keeps serving.
 */
class HttpTimeoutsTest {
  private static final long IDLE_MS = 1000;
  private static final long REQUEST_MS = 2000;

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static Path incoming;

  @BeforeAll
  static void start() {
    server =
        TestServer.start(
            dataDir,
            Map.of(
                "XIAOLABA_HTTP_IDLE_TIMEOUT", IDLE_MS + "ms",
                "XIAOLABA_HTTP_REQUEST_TIMEOUT", REQUEST_MS + "ms"));
    incoming = dataDir.resolve("media/incoming");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void theServerKeepsServing() throws IOException {
    assertThat(server.rawGetStatus("/healthz")).isEqualTo(200);
  }

  @Test
  void aConnectionThatSendsNothingIsClosed() throws IOException {
    try (Socket s = open()) {
      long ms = millisUntilClosed(s, System.nanoTime());
      assertThat(ms).isBetween(IDLE_MS - 100, IDLE_MS + 3000);
    }
  }

  @Test
  void aKeepAliveConnectionIdlePastTheTimeoutIsClosed() throws IOException {
    try (Socket s = open()) {
      for (int i = 0; i < 2; i++) {
        s.getOutputStream().write(ascii("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertThat(readAnswer(s.getInputStream()).status()).isEqualTo(200);
      }
      long ms = millisUntilClosed(s, System.nanoTime());
      assertThat(ms).isBetween(IDLE_MS - 100, IDLE_MS + 3000);
    }
  }

  @Test
  void headersTrickledInAreCutOffAtTheRequestTimeout() throws Exception {
    try (Socket s = open()) {
      CompletableFuture<Integer> closed = readInBackground(s);
      OutputStream out = s.getOutputStream();
      long first = System.nanoTime();
      out.write(ascii("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "));
      // A byte every 300 ms: never idle for a second, but never done either.
      for (int i = 0; i < 40 && !closed.isDone(); i++) {
        try {
          out.write('a');
          out.flush();
        } catch (SocketException e) {
          break;
        }
        pause(300);
      }
      assertThat(closed.get(10, TimeUnit.SECONDS)).as("no answer, just closed").isEqualTo(-1);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - first);
      assertThat(ms).isBetween(REQUEST_MS - 100, REQUEST_MS + 3000);
    }
  }

  @Test
  void aStalledUploadIsAnswered408AndLeavesNoFileAndNoClip() throws Exception {
    byte[] wav = Files.readAllBytes(TestServer.tone(work, "stalled.wav", 5));
    try (Socket s = open()) {
      OutputStream out = s.getOutputStream();
      out.write(uploadHead("stalled", wav.length));
      out.write(Arrays.copyOf(wav, wav.length / 3));
      out.flush();
      long lastByte = System.nanoTime();
      await()
          .atMost(Duration.ofMillis(IDLE_MS))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !filesIn(incoming).isEmpty());

      Answer answer = readAnswer(s.getInputStream());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastByte);
      assertThat(answer.status()).as(answer.body()).isEqualTo(408);
      assertThat(answer.body()).contains("http.idleTimeout");
      assertThat(ms).isBetween(IDLE_MS - 100, IDLE_MS + 3000);
      assertThat(s.getInputStream().read()).as("closed after the 408").isEqualTo(-1);
    }
    await().atMost(Duration.ofSeconds(2)).until(() -> filesIn(incoming).isEmpty());
    assertThat(titles()).doesNotContain("stalled");
  }

  @Test
  void aSlowButSteadyUploadAndDownloadSucceed() throws Exception {
    byte[] wav = Files.readAllBytes(TestServer.tone(work, "steady.wav", 10));
    Answer answer;
    try (Socket s = open()) {
      OutputStream out = s.getOutputStream();
      out.write(uploadHead("steady", wav.length));
      // Eight pieces 300 ms apart: 2.4 s in all, more than the idle timeout.
      int piece = wav.length / 8 + 1;
      for (int at = 0; at < wav.length; at += piece) {
        pause(300);
        out.write(wav, at, Math.min(piece, wav.length - at));
        out.flush();
      }
      answer = readAnswer(s.getInputStream());
    }
    assertThat(answer.status()).as(answer.body()).isEqualTo(202);
    JsonNode clip =
        server.awaitClipSettled(
            TestServer.json(answer.body()).get("id").asText(), TestServer.ADMIN);
    assertThat(clip.get("status").asText()).as(clip.toString()).isEqualTo("ready");
    assertThat(filesIn(incoming)).isEmpty();

    // The audio, read 8 KiB at a time every 200 ms: slower than the idle timeout, and whole.
    String url = clip.at("/renditions/app/url").asText();
    long size = clip.at("/renditions/app/bytes").asLong();
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
      s.setSoTimeout(15_000);
      s.getOutputStream().write(ascii("GET " + url + " HTTP/1.1\r\nHost: x\r\n\r\n"));
      InputStream in = s.getInputStream();
      String head = RawWebSocket.readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200");
      long read = 0;
      long started = System.nanoTime();
      byte[] buf = new byte[8192];
      while (read < size) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, size - read));
        assertThat(n).as("cut off after %d of %d bytes", read, size).isPositive();
        read += n;
        pause(200);
      }
      assertThat(read).isEqualTo(size);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThan(IDLE_MS);
    }
  }

  @Test
  void aWebSocketIsLeftToItsOwnHeartbeat() throws IOException {
    try (Socket s = open()) {
      assertThat(RawWebSocket.handshake(s)).startsWith("HTTP/1.1 101");
      DataInputStream in = new DataInputStream(s.getInputStream());
      // Three idle timeouts of silence: nothing comes (the first ping is 25 s away), no close.
      s.setSoTimeout((int) (3 * IDLE_MS));
      try {
        RawWebSocket.Frame f = RawWebSocket.readFrame(in);
        throw new AssertionError("expected silence, got opcode " + f.opcode() + ": " + f.text());
      } catch (SocketTimeoutException expected) {
        // still open
      }
      s.setSoTimeout(5000);
      RawWebSocket.sendText(s.getOutputStream(), "hello?");
      RawWebSocket.Frame answer = RawWebSocket.readFrame(in);
      assertThat(answer.opcode()).isEqualTo(1);
      assertThat(TestServer.json(answer.text()).path("type").asText()).isEqualTo("error");
    }
  }

  @Test
  void anUploadStillStreamingAtShutdownLeavesNoFile(@TempDir Path otherData) throws Exception {
    TestServer other = TestServer.start(otherData);
    Path otherIncoming = otherData.resolve("media/incoming");
    byte[] wav = Files.readAllBytes(TestServer.tone(work, "cut.wav", 5));
    try (Socket s = new Socket("127.0.0.1", other.port())) {
      OutputStream out = s.getOutputStream();
      out.write(uploadHead("cut", wav.length));
      out.write(Arrays.copyOf(wav, wav.length / 3));
      out.flush();
      await().atMost(Duration.ofSeconds(5)).until(() -> !filesIn(otherIncoming).isEmpty());
      other.close();
      assertThat(filesIn(otherIncoming)).as("removed at shutdown, not at the next start").isEmpty();
    }
  }

  // ---- helpers ----

  private record Answer(int status, String body) {}

  private static Socket open() throws IOException {
    Socket s = new Socket("127.0.0.1", server.port());
    s.setSoTimeout(15_000);
    return s;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** The head of a raw WAV upload, as the admin, of a body of {@code length} bytes. */
  private static byte[] uploadHead(String title, int length) {
    return ascii(
        "POST /api/v1/clips?title="
            + title
            + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TestServer.ADMIN
            + "\r\nContent-Type: audio/wav\r\nContent-Length: "
            + length
            + "\r\n\r\n");
  }

  /** Paces a slow client without sleeping on the thread by hand. */
  private static void pause(long millis) {
    CompletableFuture.runAsync(
            () -> {}, CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS))
        .join();
  }

  /** Reads one answer by its Content-Length. */
  private static Answer readAnswer(InputStream in) throws IOException {
    String head = RawWebSocket.readHead(in);
    assertThat(head).as("an answer, not a closed connection").startsWith("HTTP/1.1 ");
    int status = Integer.parseInt(head.substring(9, 12));
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return new Answer(status, new String(body, StandardCharsets.UTF_8));
  }

  /** Blocks until the server closes the connection (it must send nothing); the time it took. */
  private static long millisUntilClosed(Socket s, long since) throws IOException {
    int b;
    try {
      b = s.getInputStream().read();
    } catch (SocketException reset) {
      b = -1;
    }
    assertThat(b).as("closed without a byte").isEqualTo(-1);
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
  }

  /** What the server sends on s, up to its close: -1 if it closed without a byte. */
  private static CompletableFuture<Integer> readInBackground(Socket s) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.getInputStream().transferTo(got);
            return got.size() == 0 ? -1 : got.size();
          } catch (IOException e) {
            return -1;
          }
        });
  }

  private static List<Path> filesIn(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  private static List<String> titles() {
    JsonNode page = TestServer.json(server.get("/api/v1/clips", TestServer.ADMIN).body());
    return page.findValuesAsText("title");
  }
}
