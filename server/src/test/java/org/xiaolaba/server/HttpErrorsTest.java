package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input is answered at the edge with problem+json naming what is wrong; the server stays up.
 */
class HttpErrorsTest {
  @TempDir static Path dataDir;
  static TestServer server;
  static String editor;

  @BeforeAll
  static void start() {
    // A small upload limit, so the 413 path is cheap to reach.
    server = TestServer.start(dataDir, Map.of("XIAOLABA_MEDIA_MAX_UPLOAD_SIZE", "64KiB"));
    editor = server.token("editor", "编辑", "320623");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static JsonNode problem(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode p = TestServer.json(r.body());
    assertThat(p.get("status").asInt()).isEqualTo(status);
    assertThat(p.get("title").asText()).isNotBlank();
    assertThat(p.get("type").asText()).isNotBlank();
    return p;
  }

  @Test
  void anUploadWithNoBodyIsABadRequest() {
    HttpResponse<String> r =
        server.send(
            server
                .request("/api/v1/clips?title=x", editor)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(problem(r, 400).get("field").asText()).isEqualTo("body");
  }

  @Test
  void anUploadThatIsPlainlyNotAudioIsRefusedNamingWhatItIs() throws Exception {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D'};
    HttpResponse<String> raw = upload("audio/mpeg", HttpRequest.BodyPublishers.ofByteArray(png));
    assertThat(problem(raw, 415).get("detail").asText()).contains("a PNG image", "not audio");

    // An error page saved as .mp3, in a form.
    String form =
        "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"news.mp3\"\r\n"
            + "Content-Type: audio/mpeg\r\n\r\n<!DOCTYPE html><html>502 Bad Gateway</html>\r\n"
            + "--b0--\r\n";
    HttpResponse<String> multipart =
        upload("multipart/form-data; boundary=b0", HttpRequest.BodyPublishers.ofString(form));
    assertThat(problem(multipart, 415).get("detail").asText()).contains("an HTML page");
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              try (var files = Files.list(dataDir.resolve("media").resolve("incoming"))) {
                assertThat(files.toList()).isEmpty();
              }
            });
  }

  private static HttpResponse<String> upload(String type, HttpRequest.BodyPublisher body) {
    return server.send(
        server
            .request("/api/v1/clips?title=x", editor)
            .header("Content-Type", type)
            .POST(body)
            .build());
  }

  @Test
  void anUnknownClipIsNotFound() {
    assertThat(problem(server.get("/api/v1/clips/nope", editor), 404).get("detail").asText())
        .contains("nope");
  }

  @Test
  void malformedJsonIsABadRequestThatSaysWhere() {
    JsonNode p =
        problem(server.postJson("/api/v1/pushes", editor, "{\"areas\": [\"320623\", "), 400);
    assertThat(p.get("detail").asText()).contains("not valid JSON").contains("line");
  }

  @Test
  void aWrongTypeNamesTheField() {
    JsonNode p =
        problem(
            server.postJson("/api/v1/pushes", editor, "{\"areas\": \"320623\", \"title\": \"t\"}"),
            400);
    assertThat(p.get("field").asText()).isEqualTo("areas");
  }

  @Test
  void anUnknownAreaNamesTheArea() {
    JsonNode p =
        problem(
            server.postJson(
                "/api/v1/pushes", editor, Map.of("areas", List.of("999999"), "title", "t")),
            400);
    assertThat(p.get("field").asText()).isEqualTo("areas[0]");
    assertThat(p.get("detail").asText()).contains("999999");
  }

  @Test
  void anUploadDeclaredOverTheLimitIsRefusedBeforeItIsRead() throws Exception {
    String head =
        "POST /api/v1/clips?title=big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + editor
            + "\r\nContent-Length: 204800\r\n\r\n";
    assertThat(rawStatus(head, new byte[1024], 4)).isEqualTo("HTTP/1.1 413");
    assertNoPartialFiles();
  }

  @Test
  void aStreamedUploadOverTheLimitIsCutOffAndLeavesNothingBehind() throws Exception {
    String head =
        "POST /api/v1/clips?title=chunked HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + editor
            + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    byte[] chunk = new byte[16 * 1024];
    byte[] framed = new byte[chunk.length + 8];
    byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(size, 0, framed, 0, size.length);
    System.arraycopy(
        "\r\n".getBytes(StandardCharsets.US_ASCII), 0, framed, size.length + chunk.length, 2);
    byte[] exact = java.util.Arrays.copyOf(framed, size.length + chunk.length + 2);
    assertThat(rawStatus(head, exact, 8)).isEqualTo("HTTP/1.1 413");
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(5))
        .untilAsserted(this::assertNoPartialFiles);
  }

  private void assertNoPartialFiles() throws Exception {
    try (var files = Files.walk(dataDir.resolve("media"))) {
      assertThat(files.filter(f -> f.getFileName().toString().endsWith(".part")).toList())
          .isEmpty();
    }
  }

  @Test
  void aJsonBodyOverTheLimitIsRefusedWithoutReadingIt() throws Exception {
    String head =
        "POST /api/v1/pushes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + editor
            + "\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n";
    assertThat(rawStatus(head, "{\"title\": \"".getBytes(StandardCharsets.UTF_8), 1))
        .isEqualTo("HTTP/1.1 413");
  }

  @Test
  void anUnknownRouteIsNotFoundAsProblemJson() {
    problem(server.get("/api/v1/nothing-here", editor), 404);
  }

  @Test
  void aWrongMethodIsNotAllowedAndListsTheAllowedOnes() {
    HttpResponse<String> r = server.send(server.request("/api/v1/areas", null).DELETE().build());
    assertThat(problem(r, 405).get("detail").asText()).contains("GET");
  }

  @Test
  void missingAndUnknownTokensAreUnauthorizedAndTheWrongRoleIsForbidden() {
    problem(server.get("/api/v1/clips/x", null), 401);
    problem(server.get("/api/v1/clips/x", "not-a-token"), 401);
    String terminal = server.token("terminal", "喇叭", "320623100201");
    problem(
        server.postJson(
            "/api/v1/pushes", terminal, Map.of("areas", List.of("320623"), "title", "t")),
        403);
  }

  @Test
  void anEditorCannotPushOutsideItsAreas() {
    String townEditor = server.token("editor", "镇编辑", "320623100");
    JsonNode p =
        problem(
            server.postJson(
                "/api/v1/pushes", townEditor, Map.of("areas", List.of("320623101"), "title", "t")),
            403);
    assertThat(p.get("detail").asText()).contains("320623101");
  }

  @Test
  void theServerKeepsServingAfterBadInput() {
    anUnknownRouteIsNotFoundAsProblemJson();
    malformedJsonIsABadRequestThatSaysWhere();
    assertThat(server.get("/healthz", null).statusCode()).isEqualTo(200);
    HttpResponse<String> ready = server.get("/readyz", null);
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    assertThat(server.get("/metrics", null).body()).contains("xiaolaba_http_requests");
  }

  @Test
  void theAreaTreeIsServedFromTheCountyDown() {
    JsonNode root = TestServer.json(server.get("/api/v1/areas", null).body());
    assertThat(root.get("code").asText()).isEqualTo("320623");
    assertThat(root.get("name").asText()).isEqualTo("如东县");
    assertThat(root.at("/children/0/children/0/code").asText()).hasSize(12);
  }

  @Test
  void theOpenApiDocumentAndConsoleAreServed() {
    assertThat(
            TestServer.json(server.get("/api/openapi.json", null).body()).get("openapi").asText())
        .startsWith("3.");
    HttpResponse<String> console = server.get("/", null);
    assertThat(console.body()).contains("<html lang=\"zh-CN\">");
  }

  /**
   * Sends a request head and some body bytes over a raw socket; returns the status line's start.
   */
  @Test
  void everyJsonRouteRefusesADeclaredBodyOverTheLimitBeforeReadingIt() throws Exception {
    List<org.xiaolaba.server.http.Route> json =
        server.routes().stream()
            .filter(r -> r.body() == org.xiaolaba.server.http.Route.Body.JSON)
            .toList();
    assertThat(json).hasSizeGreaterThan(5);
    for (org.xiaolaba.server.http.Route r : json) {
      String path = r.pattern().replaceAll("\\{[^/]+}", "x");
      String head =
          r.method().name()
              + " "
              + path
              + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
              + TestServer.ADMIN
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + (2 * 1024 * 1024)
              + "\r\n\r\n";
      assertThat(rawStatus(head, "{".getBytes(StandardCharsets.US_ASCII), 1))
          .as(r.method() + " " + r.pattern())
          .isEqualTo("HTTP/1.1 413");
    }
  }

  private static String rawStatus(String head, byte[] body, int repeat) throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.UTF_8));
      try {
        for (int i = 0; i < repeat; i++) out.write(body);
        out.flush();
      } catch (java.io.IOException closedByServer) {
        // The server may close before we finish sending; its answer is already on the way.
      }
      InputStream in = s.getInputStream();
      return new String(in.readNBytes(12), StandardCharsets.US_ASCII);
    }
  }
}
