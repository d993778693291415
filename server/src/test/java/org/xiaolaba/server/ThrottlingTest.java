package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per client address limits over real sockets: guessing tokens is cut off after 10 failures (a
 * client on another loopback address is not), and uploads and pushes beyond their rates get 429
 * with Retry-After, admins excepted.
 */
class ThrottlingTest {
  @TempDir static Path dataDir;
  @TempDir static Path work;
  static final String PROXY = "127.0.0.50";
  static TestServer server;
  static String editor;

  @BeforeAll
  static void start() {
    server =
        TestServer.start(
            dataDir,
            Map.of(
                "XIAOLABA_HTTP_THROTTLE_PUSHES_PER_MINUTE", "2",
                "XIAOLABA_HTTP_THROTTLE_UPLOADS_PER_MINUTE", "1",
                "XIAOLABA_HTTP_TRUSTED_PROXIES", PROXY));
    editor = server.token("editor", "编辑", "320623");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /**
   * One request from a chosen loopback address, with extra header lines; answers the status line
   * and headers.
   */
  private static String rawGet(String from, String token, String... headers) throws Exception {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /api/v1/programs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  + "Authorization: Bearer "
                  + token
                  + "\r\n"
                  + String.join("", java.util.Arrays.stream(headers).map(h -> h + "\r\n").toList())
                  + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return all.substring(0, all.indexOf("\r\n\r\n"));
    }
  }

  @Test
  void tenWrongTokensFromOneAddressThenEvenTheRightOneWaits() throws Exception {
    String guesser = "127.0.0.23";
    for (int i = 0; i < 10; i++) {
      assertThat(rawGet(guesser, "guess-" + i)).startsWith("HTTP/1.1 401");
    }
    String refused = rawGet(guesser, "guess-10");
    assertThat(refused).startsWith("HTTP/1.1 429");
    int retryAfter = Integer.parseInt(refused.replaceAll("(?s).*(?i)retry-after: (\\d+).*", "$1"));
    assertThat(retryAfter).isBetween(1, 60);
    assertThat(rawGet(guesser, editor)).startsWith("HTTP/1.1 429");
    assertThat(rawGet("127.0.0.24", editor)).startsWith("HTTP/1.1 200");
  }

  @Test
  void aForgedForwardedForFromAnUntrustedPeerDoesNotEarnFreshTries() throws Exception {
    String guesser = "127.0.0.31";
    for (int i = 0; i < 10; i++) {
      assertThat(rawGet(guesser, "guess-" + i, "X-Forwarded-For: 198.51.100." + i))
          .startsWith("HTTP/1.1 401");
    }
    assertThat(
            rawGet(guesser, editor, "X-Forwarded-For: 198.51.100.99", "X-Real-IP: 198.51.100.98"))
        .startsWith("HTTP/1.1 429");
  }

  @Test
  void behindATrustedProxyEachClientIsCountedByItsOwnAddress() throws Exception {
    String client = "X-Forwarded-For: 198.51.100.7";
    for (int i = 0; i < 10; i++) {
      assertThat(rawGet(PROXY, "guess-" + i, client)).startsWith("HTTP/1.1 401");
    }
    assertThat(rawGet(PROXY, editor, client)).startsWith("HTTP/1.1 429");
    assertThat(rawGet(PROXY, editor, "X-Forwarded-For: 198.51.100.8"))
        .as("another client behind the same proxy")
        .startsWith("HTTP/1.1 200");
    assertThat(rawGet(PROXY, editor)).as("the proxy itself").startsWith("HTTP/1.1 200");
  }

  @Test
  void pushesBeyondTheRateGet429ButAdminsDoNot() {
    Map<String, Object> push = Map.of("areas", List.of("320623100201"), "title", "通知");
    assertThat(server.postJson("/api/v1/pushes", editor, push).statusCode()).isEqualTo(202);
    assertThat(server.postJson("/api/v1/pushes", editor, push).statusCode()).isEqualTo(202);
    HttpResponse<String> third = server.postJson("/api/v1/pushes", editor, push);
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.headers().firstValue("Retry-After")).isPresent();
    assertThat(third.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(third.body()).contains("http.throttle.pushesPerMinute");
    assertThat(server.postJson("/api/v1/pushes", TestServer.ADMIN, push).statusCode())
        .isEqualTo(202);
  }

  @Test
  void anUploadBeyondTheRateGets429BeforeItsBodyIsTaken() throws Exception {
    Path tone = TestServer.tone(work, "t.mp3", 1, "-b:a", "64k");
    HttpResponse<String> first = upload(tone);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
    HttpResponse<String> second = upload(tone);
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(Integer.parseInt(second.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(1, 60);
  }

  private static HttpResponse<String> upload(Path file) throws Exception {
    return server.send(
        server
            .request("/api/v1/clips?title=t", editor)
            .POST(HttpRequest.BodyPublishers.ofFile(file))
            .build());
  }
}
