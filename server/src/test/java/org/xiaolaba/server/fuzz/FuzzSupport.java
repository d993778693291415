package org.xiaolaba.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.xiaolaba.server.TestServer;

/**
 * What the fuzz tests share: raw HTTP written byte for byte on a socket (so malformed paths and
 * bodies reach the server as sent), generators of hostile JSON, and the checks every answer must
 * pass.
 */
final class FuzzSupport {
  static final String COUNTY = "320623"; // 如东县
  static final String TOWN = "320623100"; // 长沙镇
  static final String VILLAGE = "320623100201"; // 长沙村, in TOWN
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private FuzzSupport() {}

  /** One answer as read off the socket. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    String contentType() {
      return headers.getOrDefault("content-type", "");
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Sends one request on a fresh connection exactly as given, as a keep-alive client would, and
   * reads its one answer (by its Content-Length); fails if the server hangs past 15 s or drops the
   * connection unanswered.
   */
  static Response send(
      int port, String method, String target, String token, byte[] body, String contentType) {
    String what = method + " " + target;
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(15_000);
      ByteArrayOutputStream req = new ByteArrayOutputStream();
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      head.append("Host: 127.0.0.1\r\n");
      if (token != null) head.append("Authorization: Bearer ").append(token).append("\r\n");
      if (contentType != null) head.append("Content-Type: ").append(contentType).append("\r\n");
      if (body != null) head.append("Content-Length: ").append(body.length).append("\r\n");
      head.append("\r\n");
      req.write(head.toString().getBytes(StandardCharsets.UTF_8));
      if (body != null) req.write(body);
      s.getOutputStream().write(req.toByteArray());
      s.getOutputStream().flush();
      Response r = read(what, new java.io.BufferedInputStream(s.getInputStream()));
      assertThat(r).as(what + ": the connection closed without an HTTP answer").isNotNull();
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(what, e);
    }
  }

  /**
   * Reads the next answer off a connection (by its Content-Length), skipping interim 1xx answers;
   * null when the server closed the connection before saying anything more. Fails if it stops
   * mid-answer or hangs past the socket's timeout.
   */
  static Response read(String what, InputStream in) throws IOException {
    try {
      while (true) {
        String responseHead = org.xiaolaba.server.RawWebSocket.readHead(in);
        if (responseHead.isEmpty()) return null;
        assertThat(responseHead)
            .as(what + ": the connection closed mid-answer")
            .endsWith("\r\n\r\n");
        Response r = parseHead(what, responseHead);
        if (r.status() < 200) continue;
        int length = Integer.parseInt(r.headers().getOrDefault("content-length", "0"));
        byte[] content = in.readNBytes(length);
        assertThat(content).as(what + ": the body was cut short").hasSize(length);
        return new Response(r.status(), r.headers(), content);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(what + ": no complete answer within 15 s", e);
    }
  }

  private static Response parseHead(String what, String head) {
    String[] lines = head.trim().split("\r\n");
    assertThat(lines[0]).as(what).startsWith("HTTP/1.1 ");
    int status = Integer.parseInt(lines[0].substring(9, 12));
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    return new Response(status, headers, new byte[0]);
  }

  /**
   * What every answer to hostile input must be: no 5xx but 503, an error as problem+json whose
   * {@code status} is the answer's; and the server still answers {@code /healthz} afterwards.
   */
  static void assertHandled(int port, String what, Response r) {
    String shown = what + " -> " + r.status() + " " + abbreviate(r.text());
    assertThat(r.status()).as(shown).isNotEqualTo(500);
    if (r.status() >= 500) assertThat(r.status()).as(shown).isEqualTo(503);
    if (r.status() >= 400) {
      assertThat(r.contentType()).as(shown).startsWith("application/problem+json");
      JsonNode problem = TestServer.json(r.text());
      assertThat(problem.path("status").asInt()).as(shown).isEqualTo(r.status());
      assertThat(problem.path("detail").asText()).as(shown).isNotBlank();
    }
    Response health = send(port, "GET", "/healthz", null, null, null);
    assertThat(health.status()).as("/healthz after " + shown).isEqualTo(200);
  }

  static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "…";
  }

  static String abbreviate(byte[] b) {
    return abbreviate(new String(b, StandardCharsets.UTF_8));
  }

  // ---- generators ----

  /** Text a route may choke on: unicode of every plane, controls, lone surrogates, long runs. */
  static Arbitrary<String> hostileStrings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(40),
        Arbitraries.strings().withCharRange('\u0000', '\u001f').ofMaxLength(8),
        Arbitraries.of(
            "",
            " ",
            "null",
            "undefined",
            "\u0000",
            "\ud800",
            "\udfff",
            "😀📢🔊",
            "村村响\u202e反向",
            "' OR 1=1 --",
            "../../etc/passwd",
            "%00",
            "${jndi:ldap://x}",
            "\r\nX-Injected: 1",
            "area:" + VILLAGE,
            "terminal:x",
            "clip:x"),
        Arbitraries.strings().withChars('a', '9', '中').ofMinLength(2000).ofMaxLength(20_000));
  }

  /** Values a field might plausibly hold, right or subtly wrong. */
  static Arbitrary<String> plausibleStrings() {
    return Arbitraries.of(
        COUNTY,
        TOWN,
        VILLAGE,
        "320623999999",
        "999999",
        "32062310020",
        "3206231002011",
        "320623100201 ",
        "editor",
        "admin",
        "broadcaster",
        "terminal",
        "root",
        "notice",
        "news",
        "policy",
        "bulletin",
        "normal",
        "high",
        "emergency",
        "2026-11-27",
        "2026-02-30",
        "0000-01-01",
        "+999999999-12-31",
        "-999999999-01-01",
        "9999-12-31",
        "2026-11-27T08:00:00+08:00",
        "2026-11-27T08:00:00Z",
        "2026-11-27T08:00:00",
        "+1000000000-01-01T00:00:00Z",
        "08:00",
        "24:00",
        "23:60",
        "7:5",
        "MON",
        "SUN",
        "FUNDAY",
        "Asia/Shanghai",
        "UTC",
        "Mars/Olympus",
        "GMT+99",
        "+18:00",
        "0 0 8 * * ?",
        "0 0 8 ? * MON-FRI",
        "* * * * * ?",
        "1764212345678-0",
        "18446744073709551615-18446744073709551615",
        "-1-0");
  }

  /** Numbers at and past every limit, written as JSON would carry them. */
  static Arbitrary<JsonNode> hostileNumbers() {
    return Arbitraries.oneOf(
        Arbitraries.integers().map(NODES::numberNode),
        Arbitraries.longs().map(NODES::numberNode),
        Arbitraries.doubles().map(NODES::numberNode),
        Arbitraries.of(
                "0",
                "-0",
                "1e400",
                "-1e400",
                "1e-400",
                "9223372036854775808",
                "-9223372036854775809",
                "2147483648",
                "123456789012345678901234567890.5",
                "9".repeat(999),
                "9".repeat(1500))
            .map(s -> (JsonNode) NODES.numberNode(new BigDecimal(s))),
        Arbitraries.bigIntegers()
            .between(BigInteger.TEN.pow(30).negate(), BigInteger.TEN.pow(30))
            .map(NODES::numberNode));
  }

  static Arbitrary<JsonNode> scalars() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(NODES.nullNode())),
        Tuple.of(1, Arbitraries.of(true, false).map(NODES::booleanNode)),
        Tuple.of(2, hostileNumbers()),
        Tuple.of(3, hostileStrings().map(NODES::textNode)),
        Tuple.of(4, plausibleStrings().map(NODES::textNode)));
  }

  /** Any JSON value, nested at most {@code depth} deep. */
  static Arbitrary<JsonNode> values(int depth) {
    if (depth == 0) return scalars();
    Arbitrary<JsonNode> inner = values(depth - 1);
    Arbitrary<JsonNode> arrays =
        inner
            .list()
            .ofMaxSize(4)
            .map(
                l -> {
                  ArrayNode a = NODES.arrayNode();
                  l.forEach(a::add);
                  return (JsonNode) a;
                });
    Arbitrary<JsonNode> objects =
        Combinators.combine(keys(), inner)
            .as(Map::entry)
            .list()
            .ofMaxSize(4)
            .map(
                l -> {
                  ObjectNode o = NODES.objectNode();
                  l.forEach(e -> o.set(e.getKey(), e.getValue()));
                  return (JsonNode) o;
                });
    return Arbitraries.frequencyOf(
        Tuple.of(4, scalars()), Tuple.of(1, arrays), Tuple.of(1, objects));
  }

  /** Field names: the API's own (in the wrong place), and junk. */
  static Arbitrary<String> keys() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            "title",
            "body",
            "kind",
            "areas",
            "area",
            "date",
            "clipId",
            "source",
            "schedule",
            "once",
            "daily",
            "weekly",
            "days",
            "time",
            "cron",
            "priority",
            "timezone",
            "startDate",
            "endDate",
            "role",
            "name",
            "terminals",
            "id",
            "status",
            "op",
            "channels",
            "since",
            "epochs",
            "__proto__",
            "@class",
            "$ref"),
        hostileStrings());
  }

  /** {@code depth} arrays (or objects) inside each other: {@code [[[…]]]}. */
  static String nested(int depth, boolean objects) {
    String open = objects ? "{\"a\":" : "[";
    String close = objects ? "}" : "]";
    return open.repeat(depth) + "1" + close.repeat(depth);
  }

  static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) return;
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> lines(String s) {
    return s.lines().toList();
  }

  /** The value of a sample in a Prometheus scrape. */
  static double sample(String scrape, String name) {
    for (String line : lines(scrape)) {
      if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1));
    }
    throw new AssertionError("no " + name + " in /metrics");
  }
}
