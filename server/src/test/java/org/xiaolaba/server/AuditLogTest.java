package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.server.http.Route;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The audit log over real HTTP on a real server and Redis: every state-changing route of the router
 * called once leaves exactly one entry naming the caller, the route, the target and the status;
 * refused calls are recorded (a 401 without an actor), reads and the WebSocket upgrade are not; no
 * entry in Redis holds a token's secret or a query string; {@code GET /api/v1/audit} filters by
 * actor, target and day, and answers CSV with formula cells defused.
 */
class AuditLogTest {
  static final String TOWN = "320623100"; // 长沙镇
  static final String VILLAGE = "320623100201"; // 长沙村
  static final Set<String> CHANGING = Set.of("POST", "PUT", "PATCH", "DELETE");
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static final String today = LocalDate.now(ZoneId.of("Asia/Shanghai")).toString();
  static final AtomicInteger serial = new AtomicInteger();
  static Caller admin;
  static Caller editor;
  static Caller broadcaster;
  static String clipId;

  /** A token and its id. */
  record Caller(String id, String token) {}

  /** One call: who sends it, the path, and a JSON body or a file to upload (or neither). */
  record Call(Caller caller, String path, Object json, Path upload) {}

  /** A call made, what it was answered, and the entry it must leave. */
  record Made(Route route, Call call, int status, String target) {}

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir, Map.of("XIAOLABA_HTTP_THROTTLE_PUSHES_PER_MINUTE", "3"));
    admin = new Caller("admin", TestServer.ADMIN);
    editor = caller(Map.of("role", "editor", "name", "镇编辑", "areas", List.of(TOWN)));
    broadcaster =
        caller(
            Map.of(
                "role",
                "broadcaster",
                "name",
                "镇广播员",
                "areas",
                List.of(TOWN),
                "permissions",
                List.of("emergency")));
    TestServer.tone(work, "u.mp3", 1, "-b:a", "64k");
    clipId = server.distinctReadyClip(work, "a");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void everyStateChangingRouteCalledOnceLeavesExactlyOneEntryNamingCallerRouteTargetAndStatus() {
    // Fixtures first (they are audited too, with other targets), then one call per route.
    Map<String, Supplier<Call>> cases = cases();
    List<Made> made = new ArrayList<>();
    for (Route route : server.routes()) {
      if (!CHANGING.contains(route.method().name())) continue;
      Supplier<Call> c = cases.get(route.method().name() + " " + route.pattern());
      Call call =
          c == null
              ? new Call(admin, route.pattern().replaceAll("\\{[^/]+}", "placeholder"), null, null)
              : c.get();
      HttpResponse<String> r = send(route.method().name(), call);
      if (c != null)
        assertThat(r.statusCode()).as(route.pattern() + ": " + r.body()).isLessThan(300);
      String target =
          route.pattern().contains("{id}") ? idIn(route.pattern(), call.path()) : createdId(r);
      made.add(new Made(route, call, r.statusCode(), target));
    }
    assertThat(made).hasSizeGreaterThanOrEqualTo(cases.size());

    for (Made m : made) {
      String what = m.route().method() + " " + m.route().pattern();
      await()
          .atMost(WAIT)
          .alias(what)
          .until(
              () -> !entriesOf(m.route().method().name(), m.call().path(), m.target()).isEmpty());
    }
    marker(); // a duplicate would have been written by now
    for (Made m : made) {
      String what = m.route().method() + " " + m.route().pattern();
      List<JsonNode> found = entriesOf(m.route().method().name(), m.call().path(), m.target());
      assertThat(found).as(what).hasSize(1);
      JsonNode e = found.get(0);
      assertThat(e.path("route").asText()).as(what).isEqualTo(m.route().pattern());
      assertThat(e.path("path").asText()).as(what).isEqualTo(pathOf(m.call().path()));
      assertThat(e.path("status").asInt()).as(what).isEqualTo(m.status());
      assertThat(e.path("actorId").asText()).as(what).isEqualTo(m.call().caller().id());
      assertThat(e.path("actorRole").asText()).as(what).isNotEmpty();
      assertThat(e.path("address").asText()).as(what).isEqualTo("127.0.0.1");
      assertThat(e.path("at").asText()).as(what).startsWith(today).endsWith("+08:00");
      if (m.target() != null) assertThat(e.path("target").asText()).isEqualTo(m.target());
    }
  }

  @Test
  void refusedCallsAreRecordedWithTheirStatusAndDetailAndA401HasNoActor() {
    String program = created(server.postJson("/api/v1/programs", TestServer.ADMIN, program()));
    String n = "r" + serial.incrementAndGet();
    HttpResponse<String> noToken = server.postJson("/api/v1/programs?mark=" + n, null, program());
    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThat(delete("/api/v1/programs/unknown-" + n, "no-such-token-" + n).statusCode())
        .isEqualTo(401);
    assertThat(delete("/api/v1/programs/" + program, editor.token()).statusCode()).isEqualTo(403);
    assertThat(delete("/api/v1/programs/missing-" + n, TestServer.ADMIN).statusCode())
        .isEqualTo(404);
    assertThat(server.postJson("/api/v1/items", editor.token(), "{}").statusCode()).isEqualTo(400);
    assertThat(delete("/api/v1/tokens/admin", TestServer.ADMIN).statusCode()).isEqualTo(409);
    HttpResponse<String> patch =
        server.send(
            server
                .request("/api/v1/programs/" + program, editor.token())
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{}"))
                .build());
    assertThat(patch.statusCode()).isEqualTo(405);
    int throttled = 0;
    for (int i = 0; i < 6 && throttled != 429; i++) {
      throttled =
          server
              .postJson(
                  "/api/v1/pushes", editor.token(), Map.of("areas", List.of(VILLAGE), "title", n))
              .statusCode();
    }
    assertThat(throttled).isEqualTo(429);

    JsonNode anonymous = awaitOne("POST", "/api/v1/programs", null, 401);
    assertThat(anonymous.has("actorId")).isFalse();
    assertThat(anonymous.path("detail").asText()).contains("Authorization: Bearer");
    JsonNode unknown = awaitOne("DELETE", "/api/v1/programs/unknown-" + n, "unknown-" + n, 401);
    assertThat(unknown.has("actorId")).isFalse();
    assertThat(unknown.path("route").asText()).isEqualTo("/api/v1/programs/{id}");
    JsonNode forbidden = awaitOne("DELETE", "/api/v1/programs/" + program, program, 403);
    assertThat(forbidden.path("actorId").asText()).isEqualTo(editor.id());
    assertThat(forbidden.path("actorName").asText()).isEqualTo("镇编辑");
    assertThat(forbidden.path("actorRole").asText()).isEqualTo("editor");
    JsonNode missing = awaitOne("DELETE", "/api/v1/programs/missing-" + n, "missing-" + n, 404);
    assertThat(missing.path("detail").asText()).contains("missing-" + n);
    assertThat(awaitOne("POST", "/api/v1/items", null, 400).path("detail").asText()).isNotEmpty();
    assertThat(awaitOne("DELETE", "/api/v1/tokens/admin", "admin", 409).path("actorId").asText())
        .isEqualTo("admin");
    assertThat(awaitOne("PATCH", "/api/v1/programs/" + program, null, 405).path("route").asText())
        .isEqualTo("unmatched");
    assertThat(awaitOne("POST", "/api/v1/pushes", null, 429).path("actorId").asText())
        .isEqualTo(editor.id());
  }

  @Test
  void whatRequestsWithoutATokenAddIsBoundedPerAddressAndTheRestIsCounted() throws Exception {
    String flooder = "127.0.0.77";
    for (int i = 0; i < 30; i++) {
      try (java.net.Socket sock = new java.net.Socket()) {
        sock.bind(new java.net.InetSocketAddress(flooder, 0));
        sock.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
        sock.setSoTimeout(10_000);
        sock.getOutputStream()
            .write(
                ("DELETE /api/v1/programs/flood-"
                        + i
                        + " HTTP/1.1\r\nHost: x\r\n"
                        + "Connection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String answer =
            new String(
                sock.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(answer).startsWith("HTTP/1.1 401");
      }
    }
    // Counted on the event loop before each answer: final once the 30 answers are in. The bucket
    // refills a token every 3 s, so a slow run may keep one or two more than the burst of 20.
    String line =
        server
            .get("/metrics", null)
            .body()
            .lines()
            .filter(l -> l.startsWith("xiaolaba_audit_dropped_total{reason=\"anonymous-rate\""))
            .findFirst()
            .orElseThrow();
    long dropped = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    assertThat(dropped).isBetween(8L, 10L);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                log("limit=1000").stream()
                        .filter(e -> flooder.equals(e.path("address").asText()))
                        .count()
                    == 30 - dropped);
  }

  @Test
  void readsAndTheWebSocketUpgradeAreNotRecorded() throws Exception {
    String n = "g" + serial.incrementAndGet();
    server.get("/api/v1/programs/read-" + n, TestServer.ADMIN);
    server.send(
        server
            .request("/api/v1/clips/read-" + n, TestServer.ADMIN)
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .build());
    server.get("/api/v1/audit?target=read-" + n, TestServer.ADMIN);
    TestServer.WsRecorder ws = server.connect(editor.token());
    ws.abort();
    marker();
    List<JsonNode> all = log("limit=1000");
    assertThat(all).noneMatch(e -> e.path("path").asText().contains("read-" + n));
    assertThat(all).noneMatch(e -> e.path("path").asText().equals("/ws"));
    assertThat(all).allMatch(e -> CHANGING.contains(e.path("method").asText()));
  }

  @Test
  void noEntryInRedisHoldsATokenSecretABearerHeaderOrAQuery() {
    HttpResponse<String> r =
        server.postJson(
            "/api/v1/tokens",
            TestServer.ADMIN,
            Map.of("role", "terminal", "name", "1号喇叭", "areas", List.of(VILLAGE)));
    JsonNode issued = TestServer.json(r.body());
    String secret = issued.get("token").asText();
    String id = issued.get("id").asText();
    server.postJson("/api/v1/pushes?token=" + secret, secret, Map.of("title", "x"));
    awaitOne("POST", "/api/v1/tokens", id, 201);
    awaitOne("POST", "/api/v1/pushes", null, 403);

    String prefix = server.settings.redis().keyPrefix();
    try (JedisPooled redis = new JedisPooled(URI.create(server.redisUrl()))) {
      Set<String> keys = redis.keys(prefix + "audit*");
      assertThat(keys).containsExactly(prefix + "audit");
      List<StreamEntry> stored = redis.xrange(prefix + "audit", "-", "+");
      assertThat(stored).isNotEmpty();
      for (StreamEntry e : stored) {
        String text = e.getFields().toString();
        assertThat(text).doesNotContain(secret).doesNotContain(TestServer.ADMIN);
        assertThat(e.getFields().get("path")).doesNotContain("?");
      }
    }
  }

  @Test
  void theLogFiltersByActorTargetAndDayNewestFirstAndRefusesBadValuesNamingThem() {
    String program = created(server.postJson("/api/v1/programs", broadcaster.token(), program()));
    assertThat(
            server
                .putJson("/api/v1/programs/" + program, broadcaster.token(), program())
                .statusCode())
        .isEqualTo(200);
    awaitOne("PUT", "/api/v1/programs/" + program, program, 200);

    List<JsonNode> byTarget = log("target=" + program);
    assertThat(byTarget).extracting(e -> e.path("method").asText()).containsExactly("PUT", "POST");
    assertThat(byTarget).allMatch(e -> e.path("target").asText().equals(program));
    List<JsonNode> byActor = log("actor=" + broadcaster.id() + "&day=" + today);
    assertThat(byActor)
        .isNotEmpty()
        .allMatch(e -> e.path("actorId").asText().equals(broadcaster.id()));
    List<JsonNode> two = log("limit=2");
    assertThat(two).hasSize(2);
    assertThat(id(two.get(0))).isGreaterThan(id(two.get(1)));
    String yesterday = LocalDate.parse(today).minusDays(1).toString();
    assertThat(log("day=" + yesterday + "&target=" + program)).isEmpty();

    for (String[] bad :
        new String[][] {
          {"day=2026-13-01", "day"},
          {"limit=0", "limit"},
          {"limit=1001", "limit"},
          {"limit=many", "limit"},
          {"actor=", "actor"},
          {"target=%20", "target"},
          {"format=xml", "format"}
        }) {
      HttpResponse<String> r = server.get("/api/v1/audit?" + bad[0], TestServer.ADMIN);
      assertThat(r.statusCode()).as(bad[0]).isEqualTo(400);
      assertThat(TestServer.json(r.body()).path("field").asText()).as(bad[0]).isEqualTo(bad[1]);
    }
    assertThat(server.get("/api/v1/audit", editor.token()).statusCode()).isEqualTo(403);
  }

  @Test
  void theLogComesAsCsvWithFormulaCellsDefused() {
    Caller formula =
        caller(Map.of("role", "editor", "name", "=HYPERLINK(\"x\")", "areas", List.of(TOWN)));
    String item = created(server.postJson("/api/v1/items", formula.token(), item()));
    awaitOne("POST", "/api/v1/items", item, 201);
    // A random id may itself start with '-' (one in 64): then it is defused like any other cell.

    for (HttpResponse<String> r :
        List.of(
            server.get("/api/v1/audit?format=csv&actor=" + formula.id(), TestServer.ADMIN),
            server.send(
                server
                    .request("/api/v1/audit?actor=" + formula.id(), TestServer.ADMIN)
                    .header("Accept", "text/csv")
                    .build()))) {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("text/csv; charset=utf-8");
      assertThat(r.headers().firstValue("Content-Disposition").orElse(""))
          .contains("audit-" + today + ".csv");
      List<String> lines = r.body().lines().toList();
      assertThat(lines.get(0))
          .isEqualTo(
              "id,at,actorId,actorName,actorRole,address,method,route,path,target,status,detail");
      assertThat(lines).hasSize(2);
      assertThat(lines.get(1))
          .contains(
              ",\"'=HYPERLINK(\"\"x\"\")\",editor,127.0.0.1,POST,/api/v1/items,/api/v1/items,")
          .contains("," + (item.matches("^[=+\\-@].*") ? "'" + item : item) + ",201,");
    }
  }

  // --- helpers ---

  private static Map<String, Supplier<Call>> cases() {
    Map<String, Supplier<Call>> c = new HashMap<>();
    c.put(
        "POST /api/v1/tokens",
        () ->
            new Call(
                admin,
                "/api/v1/tokens",
                Map.of("role", "editor", "name", "新编辑", "areas", List.of(VILLAGE)),
                null));
    String token = caller(Map.of("role", "terminal", "name", "临时", "areas", List.of(VILLAGE))).id();
    c.put(
        "DELETE /api/v1/tokens/{id}", () -> new Call(admin, "/api/v1/tokens/" + token, null, null));
    c.put(
        "POST /api/v1/clips",
        () -> new Call(editor, "/api/v1/clips?title=tone", null, work.resolve("u.mp3")));
    String clip = server.distinctReadyClip(work, "d");
    c.put("DELETE /api/v1/clips/{id}", () -> new Call(editor, "/api/v1/clips/" + clip, null, null));
    c.put(
        "POST /api/v1/programs", () -> new Call(broadcaster, "/api/v1/programs", program(), null));
    String[] programs = {freshProgram(), freshProgram()};
    c.put(
        "PUT /api/v1/programs/{id}",
        () -> new Call(broadcaster, "/api/v1/programs/" + programs[0], program(), null));
    c.put(
        "DELETE /api/v1/programs/{id}",
        () -> new Call(broadcaster, "/api/v1/programs/" + programs[1], null, null));
    c.put(
        "POST /api/v1/emergency",
        () -> new Call(broadcaster, "/api/v1/emergency", emergency(), null));
    String emergency = created(server.postJson("/api/v1/emergency", TestServer.ADMIN, emergency()));
    c.put(
        "DELETE /api/v1/emergency/{id}",
        () -> new Call(broadcaster, "/api/v1/emergency/" + emergency, null, null));
    c.put("POST /api/v1/items", () -> new Call(editor, "/api/v1/items", item(), null));
    String[] items = {freshItem(), freshItem(), freshItem(), freshItem()};
    c.put(
        "PUT /api/v1/items/{id}",
        () -> new Call(editor, "/api/v1/items/" + items[0], item(), null));
    c.put(
        "DELETE /api/v1/items/{id}",
        () -> new Call(editor, "/api/v1/items/" + items[1], null, null));
    c.put(
        "POST /api/v1/items/{id}/approve",
        () -> new Call(editor, "/api/v1/items/" + items[2] + "/approve", null, null));
    c.put(
        "POST /api/v1/items/{id}/withdraw",
        () -> new Call(editor, "/api/v1/items/" + items[3] + "/withdraw", null, null));
    c.put(
        "POST /api/v1/bulletins",
        () -> new Call(editor, "/api/v1/bulletins", Map.of("date", today, "area", VILLAGE), null));
    c.put(
        "POST /api/v1/pushes",
        () ->
            // As the admin, who is not held to the push limit that another test runs into.
            new Call(
                admin, "/api/v1/pushes", Map.of("areas", List.of(VILLAGE), "title", "通知"), null));
    return c;
  }

  private static HttpResponse<String> send(String method, Call call) {
    HttpRequest.Builder b = server.request(call.path(), call.caller().token());
    HttpRequest.BodyPublisher body;
    try {
      body =
          call.upload() != null
              ? HttpRequest.BodyPublishers.ofFile(call.upload())
              : call.json() != null
                  ? HttpRequest.BodyPublishers.ofString(TestServer.write(call.json()))
                  : HttpRequest.BodyPublishers.noBody();
    } catch (java.io.FileNotFoundException e) {
      throw new AssertionError(e);
    }
    if (call.json() != null) b.header("Content-Type", "application/json");
    return server.send(b.method(method, body).build());
  }

  private static HttpResponse<String> delete(String path, String token) {
    return server.send(server.request(path, token).DELETE().build());
  }

  /** Today's entries (as the admin reads them), newest first; {@code query} adds filters. */
  private static List<JsonNode> log(String query) {
    HttpResponse<String> r = server.get("/api/v1/audit?" + query, TestServer.ADMIN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    TestServer.json(r.body()).forEach(out::add);
    return out;
  }

  /** Today's entries of a method on a path (its query left out) with this target (or none). */
  private static List<JsonNode> entriesOf(String method, String path, String target) {
    String p = pathOf(path);
    return log("limit=1000").stream()
        .filter(e -> e.path("method").asText().equals(method))
        .filter(e -> e.path("path").asText().equals(p))
        .filter(e -> target == null ? !e.has("target") : target.equals(e.path("target").asText()))
        .toList();
  }

  /** Waits for the one entry of a method on a path with this target and status; returns it. */
  private static JsonNode awaitOne(String method, String path, String target, int status) {
    List<List<JsonNode>> found = new ArrayList<>(List.of(List.of()));
    await()
        .atMost(WAIT)
        .alias(method + " " + path + " " + status)
        .until(
            () -> {
              found.set(
                  0,
                  entriesOf(method, path, target).stream()
                      .filter(e -> e.path("status").asInt() == status)
                      .toList());
              return !found.get(0).isEmpty();
            });
    return found.get(0).get(0);
  }

  /**
   * A marker request (a POST no route serves), waited for in the log: entries of requests answered
   * before it are written by then, as their writes were handed to the workers first.
   */
  private static void marker() {
    String path = "/api/v1/audit-marker-" + serial.incrementAndGet();
    assertThat(server.postJson(path, null, "{}").statusCode()).isEqualTo(404);
    awaitOne("POST", path, null, 404);
  }

  private static String pathOf(String path) {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }

  /** The segment of {@code path} where {@code pattern} has {id}. */
  private static String idIn(String pattern, String path) {
    List<String> names = List.of(pattern.split("/"));
    return pathOf(path).split("/")[names.indexOf("{id}")];
  }

  private static long[] idParts(JsonNode e) {
    String[] p = e.path("id").asText().split("-");
    return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])};
  }

  private static double id(JsonNode e) {
    long[] p = idParts(e);
    return p[0] * 1e6 + p[1];
  }

  private static String createdId(HttpResponse<String> r) {
    if (r.statusCode() < 200 || r.statusCode() > 299 || r.body().isEmpty()) return null;
    JsonNode body = TestServer.json(r.body());
    return body.has("id") ? body.get("id").asText() : null;
  }

  private static Caller caller(Map<String, Object> body) {
    HttpResponse<String> r = server.postJson("/api/v1/tokens", TestServer.ADMIN, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode issued = TestServer.json(r.body());
    return new Caller(issued.get("id").asText(), issued.get("token").asText());
  }

  private static String created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 202);
    return TestServer.json(r.body()).get("id").asText();
  }

  private static Map<String, Object> program() {
    return RouteBodies.program(VILLAGE, serial.incrementAndGet());
  }

  private static String freshProgram() {
    return created(server.postJson("/api/v1/programs", TestServer.ADMIN, program()));
  }

  private static Map<String, Object> item() {
    return RouteBodies.item(VILLAGE, today);
  }

  private static String freshItem() {
    return created(server.postJson("/api/v1/items", TestServer.ADMIN, item()));
  }

  private static Map<String, Object> emergency() {
    return Map.of("title", "台风预警", "areas", List.of(VILLAGE), "clipId", clipId);
  }
}
