package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.Route;

/**
 * Every route of the router × every kind of caller, over real HTTP: no token is 401, a role the
 * route does not let in is 403, a token for other areas is 403 on area-scoped routes, and everyone
 * else gets the route's success status. The routes come from the server's router, so a new route is
 * run too: without a case below it is called with placeholder parameters and no body, which checks
 * its roles (allowed callers must not get 401, 403 or 5xx) but not its area scoping.
 */
class AccessMatrixTest {
  static final String TOWN = "320623100"; // 长沙镇
  static final String VILLAGE = "320623100201"; // 长沙村, in TOWN
  static final String OTHER_TOWN = "320623101"; // 大豫镇

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static final Map<Caller, String> tokens = new HashMap<>();
  static final AtomicInteger serial = new AtomicInteger();
  static final String today = LocalDate.now(ZoneId.of("Asia/Shanghai")).toString();
  static String clipId;
  static String mediaUrl;
  static String programId;
  static String itemId;
  static String emergencyId;
  static String pushId;

  /** Who calls: a role, and whether its token is for the fixtures' town or another one. */
  enum Caller {
    NONE(null, false),
    ADMIN(Role.ADMIN, false),
    EDITOR(Role.EDITOR, false),
    BROADCASTER(Role.BROADCASTER, false),
    TERMINAL(Role.TERMINAL, false),
    EDITOR_ELSEWHERE(Role.EDITOR, true),
    BROADCASTER_ELSEWHERE(Role.BROADCASTER, true);

    final Role role;
    final boolean elsewhere;

    Caller(Role role, boolean elsewhere) {
      this.role = role;
      this.elsewhere = elsewhere;
    }
  }

  /** One request: a path (with query) and a JSON body or an upload file, or neither. */
  record Call(String path, String json, Path upload) {
    static Call of(String path) {
      return new Call(path, null, null);
    }

    static Call json(String path, Object body) {
      return new Call(path, TestServer.write(body), null);
    }
  }

  /**
   * How to call a route (made anew for every call, so deletions have something to delete), whether
   * its access depends on the caller's areas, and the status an allowed caller gets.
   */
  record Case(Supplier<Call> call, boolean areaScoped, int ok) {}

  static Map<String, Case> cases() {
    Map<String, Case> c = new HashMap<>();
    c.put("GET /healthz", new Case(() -> Call.of("/healthz"), false, 200));
    c.put("GET /readyz", new Case(() -> Call.of("/readyz"), false, 200));
    c.put("GET /metrics", new Case(() -> Call.of("/metrics"), false, 200));
    c.put("GET /api/openapi.json", new Case(() -> Call.of("/api/openapi.json"), false, 200));
    c.put("GET /api/v1/areas", new Case(() -> Call.of("/api/v1/areas"), false, 200));
    c.put("GET /media/{file}", new Case(() -> Call.of(mediaUrl), false, 200));
    c.put(
        "GET /api/v1/bulletins/{date}/{area}",
        new Case(() -> Call.of("/api/v1/bulletins/" + today + "/" + VILLAGE), false, 200));

    c.put(
        "POST /api/v1/tokens",
        new Case(
            () ->
                Call.json(
                    "/api/v1/tokens",
                    Map.of("role", "editor", "name", "新编辑", "areas", List.of(VILLAGE))),
            false,
            201));
    c.put("GET /api/v1/tokens", new Case(() -> Call.of("/api/v1/tokens"), false, 200));
    c.put(
        "DELETE /api/v1/tokens/{id}",
        new Case(() -> Call.of("/api/v1/tokens/" + freshTokenId()), false, 204));

    c.put(
        "POST /api/v1/clips",
        new Case(
            () -> new Call("/api/v1/clips?title=tone", null, work.resolve("a.mp3")), false, 202));
    c.put("GET /api/v1/clips", new Case(() -> Call.of("/api/v1/clips?limit=5"), false, 200));
    c.put("GET /api/v1/clips/{id}", new Case(() -> Call.of("/api/v1/clips/" + clipId), false, 200));
    c.put(
        "DELETE /api/v1/clips/{id}",
        new Case(() -> Call.of("/api/v1/clips/" + freshClip()), false, 204));

    c.put(
        "POST /api/v1/programs",
        new Case(() -> Call.json("/api/v1/programs", programBody()), true, 201));
    c.put("GET /api/v1/programs", new Case(() -> Call.of("/api/v1/programs"), false, 200));
    c.put(
        "GET /api/v1/programs/{id}",
        new Case(() -> Call.of("/api/v1/programs/" + programId), true, 200));
    c.put(
        "GET /api/v1/programs/{id}/runs",
        new Case(() -> Call.of("/api/v1/programs/" + programId + "/runs"), true, 200));
    c.put(
        "PUT /api/v1/programs/{id}",
        new Case(() -> Call.json("/api/v1/programs/" + freshProgram(), programBody()), true, 200));
    c.put(
        "DELETE /api/v1/programs/{id}",
        new Case(() -> Call.of("/api/v1/programs/" + freshProgram()), true, 204));
    c.put(
        "GET /api/v1/asrun",
        new Case(() -> Call.of("/api/v1/asrun?area=" + VILLAGE + "&date=" + today), true, 200));

    c.put(
        "POST /api/v1/emergency",
        new Case(() -> Call.json("/api/v1/emergency", emergencyBody()), true, 201));
    c.put(
        "GET /api/v1/emergency/{id}",
        new Case(() -> Call.of("/api/v1/emergency/" + emergencyId), true, 200));
    c.put(
        "DELETE /api/v1/emergency/{id}",
        new Case(() -> Call.of("/api/v1/emergency/" + freshEmergency()), true, 200));

    c.put("POST /api/v1/items", new Case(() -> Call.json("/api/v1/items", itemBody()), true, 201));
    c.put("GET /api/v1/items", new Case(() -> Call.of("/api/v1/items?date=" + today), false, 200));
    c.put("GET /api/v1/items/{id}", new Case(() -> Call.of("/api/v1/items/" + itemId), true, 200));
    c.put(
        "PUT /api/v1/items/{id}",
        new Case(() -> Call.json("/api/v1/items/" + freshItem(), itemBody()), true, 200));
    c.put(
        "DELETE /api/v1/items/{id}",
        new Case(() -> Call.of("/api/v1/items/" + freshItem()), true, 204));
    c.put(
        "POST /api/v1/items/{id}/approve",
        new Case(() -> Call.of("/api/v1/items/" + freshItem() + "/approve"), true, 200));
    c.put(
        "POST /api/v1/items/{id}/withdraw",
        new Case(() -> Call.of("/api/v1/items/" + freshItem() + "/withdraw"), true, 200));

    c.put(
        "POST /api/v1/bulletins",
        new Case(
            () -> Call.json("/api/v1/bulletins", Map.of("date", today, "area", VILLAGE)),
            true,
            201));
    c.put(
        "POST /api/v1/pushes",
        new Case(
            () -> Call.json("/api/v1/pushes", Map.of("areas", List.of(VILLAGE), "title", "通知")),
            true,
            202));
    c.put(
        "GET /api/v1/pushes/{id}", new Case(() -> Call.of("/api/v1/pushes/" + pushId), true, 200));
    c.put("GET /api/v1/terminals", new Case(() -> Call.of("/api/v1/terminals"), false, 200));
    c.put("GET /api/v1/session", new Case(() -> Call.of("/api/v1/session"), false, 200));
    c.put("GET /api/v1/audit", new Case(() -> Call.of("/api/v1/audit"), false, 200));
    return c;
  }

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    tokens.put(Caller.ADMIN, TestServer.ADMIN);
    tokens.put(Caller.EDITOR, server.token("editor", "镇编辑", TOWN));
    tokens.put(Caller.BROADCASTER, server.token("broadcaster", "镇广播员", List.of("emergency"), TOWN));
    tokens.put(Caller.TERMINAL, server.token("terminal", "1号喇叭", VILLAGE));
    tokens.put(Caller.EDITOR_ELSEWHERE, server.token("editor", "别镇编辑", OTHER_TOWN));
    tokens.put(
        Caller.BROADCASTER_ELSEWHERE,
        server.token("broadcaster", "别镇广播员", List.of("emergency"), OTHER_TOWN));
    TestServer.tone(work, "a.mp3", 1, "-b:a", "64k");
    clipId = upload(work.resolve("a.mp3"));
    JsonNode clip = server.awaitClipSettled(clipId, TestServer.ADMIN);
    assertThat(clip.get("status").asText()).isEqualTo("ready");
    mediaUrl = clip.at("/renditions/loudspeaker/url").asText();
    programId = freshProgram();
    itemId = freshItem();
    emergencyId = created(server.postJson("/api/v1/emergency", TestServer.ADMIN, emergencyBody()));
    pushId =
        created(
            server.postJson(
                "/api/v1/pushes",
                TestServer.ADMIN,
                Map.of("areas", List.of(VILLAGE), "title", "通知")));
    created(
        server.postJson(
            "/api/v1/bulletins", TestServer.ADMIN, Map.of("date", today, "area", VILLAGE)));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void everyRouteAnswersEveryCallerAsItsRolesAndAreasSay() {
    Map<String, Case> cases = cases();
    List<String> wrong = new ArrayList<>();
    int calls = 0;
    for (Route route : server.routes()) {
      String key = route.method().name() + " " + route.pattern();
      Case c = cases.get(key);
      for (Caller caller : Caller.values()) {
        Call call = c == null ? placeholder(route) : c.call().get();
        int status = send(route, call, tokens.get(caller)).statusCode();
        calls++;
        String expected = expected(route, c, caller);
        if (!matches(expected, status)) {
          wrong.add(key + " as " + caller + ": expected " + expected + ", got " + status);
        }
      }
    }
    assertThat(wrong).as("over " + calls + " calls").isEmpty();
    assertThat(calls).isGreaterThanOrEqualTo(cases.size() * Caller.values().length);
  }

  @Test
  void everyCaseNamesARouteTheRouterServes() {
    List<String> routed =
        server.routes().stream().map(r -> r.method().name() + " " + r.pattern()).toList();
    assertThat(routed).containsAll(cases().keySet());
  }

  @Test
  void listsShowOnlyWhatConcernsTheCaller() {
    assertThat(server.get("/api/v1/programs", tokens.get(Caller.BROADCASTER)).body())
        .contains(programId);
    assertThat(server.get("/api/v1/programs", tokens.get(Caller.EDITOR)).body())
        .contains(programId);
    assertThat(server.get("/api/v1/programs", tokens.get(Caller.BROADCASTER_ELSEWHERE)).body())
        .doesNotContain(programId);
    String items = "/api/v1/items?date=" + today;
    assertThat(server.get(items, tokens.get(Caller.EDITOR)).body()).contains(itemId);
    assertThat(server.get(items, tokens.get(Caller.EDITOR_ELSEWHERE)).body())
        .doesNotContain(itemId);
  }

  @Test
  void aCountyWideProgramConcernsAVillageBroadcasterButCannotBeDeletedByIt() {
    String village = server.token("broadcaster", "村广播员", VILLAGE);
    Map<String, Object> body = new HashMap<>(programBody());
    body.put("areas", List.of("320623"));
    String county = created(server.postJson("/api/v1/programs", TestServer.ADMIN, body));
    assertThat(server.get("/api/v1/programs/" + county, village).statusCode()).isEqualTo(200);
    HttpResponse<String> delete =
        server.send(server.request("/api/v1/programs/" + county, village).DELETE().build());
    assertThat(delete.statusCode()).isEqualTo(403);
    assertThat(TestServer.json(delete.body()).get("detail").asText()).contains("320623");
  }

  /** "2xx" or an exact status. */
  private static String expected(Route route, Case c, Caller caller) {
    String ok = c == null ? "allowed" : Integer.toString(c.ok());
    if (route.isPublic()) return ok;
    if (caller.role == null) return "401";
    if (!route.roles().contains(caller.role)) return "403";
    if (caller.elsewhere && c != null && c.areaScoped()) return "403";
    return ok;
  }

  private static boolean matches(String expected, int status) {
    if (expected.equals("allowed")) return status != 401 && status != 403 && status < 500;
    return Integer.toString(status).equals(expected);
  }

  private static Call placeholder(Route route) {
    return Call.of(route.pattern().replaceAll("\\{[^/]+}", "placeholder"));
  }

  private static HttpResponse<String> send(Route route, Call call, String token) {
    HttpRequest.Builder b = server.request(call.path(), token);
    HttpRequest.BodyPublisher body;
    try {
      body =
          call.upload() != null
              ? HttpRequest.BodyPublishers.ofFile(call.upload())
              : call.json() != null
                  ? HttpRequest.BodyPublishers.ofString(call.json())
                  : HttpRequest.BodyPublishers.noBody();
    } catch (java.io.FileNotFoundException e) {
      throw new AssertionError(e);
    }
    if (call.json() != null) b.header("Content-Type", "application/json");
    return server.send(b.method(route.method().name(), body).build());
  }

  private static String created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 202);
    JsonNode id = TestServer.json(r.body()).get("id");
    return id == null ? null : id.asText();
  }

  private static String upload(Path file) {
    return created(
        server.send(
            server
                .request("/api/v1/clips?title=" + file.getFileName(), TestServer.ADMIN)
                .POST(ofFile(file))
                .build()));
  }

  private static HttpRequest.BodyPublisher ofFile(Path file) {
    try {
      return HttpRequest.BodyPublishers.ofFile(file);
    } catch (java.io.FileNotFoundException e) {
      throw new AssertionError(e);
    }
  }

  private static String freshTokenId() {
    return created(
        server.postJson(
            "/api/v1/tokens",
            TestServer.ADMIN,
            Map.of("role", "terminal", "name", "临时", "areas", List.of(VILLAGE))));
  }

  /** A ready clip no program plays: different bytes each time, so not the same clip. */
  private static String freshClip() {
    return server.distinctReadyClip(work, "c" + serial.incrementAndGet());
  }

  /** A bulletin program in the village, an hour apart from every other one (no conflicts). */
  private static Map<String, Object> programBody() {
    return RouteBodies.program(VILLAGE, serial.incrementAndGet());
  }

  private static String freshProgram() {
    return created(server.postJson("/api/v1/programs", TestServer.ADMIN, programBody()));
  }

  private static Map<String, Object> emergencyBody() {
    return Map.of("title", "台风预警", "areas", List.of(VILLAGE), "clipId", clipId);
  }

  private static String freshEmergency() {
    return created(server.postJson("/api/v1/emergency", TestServer.ADMIN, emergencyBody()));
  }

  private static Map<String, Object> itemBody() {
    return RouteBodies.item(VILLAGE, today);
  }

  private static String freshItem() {
    return created(server.postJson("/api/v1/items", TestServer.ADMIN, itemBody()));
  }
}
