package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Area codes as a careless or hostile client sends them × every route that takes codes × every
 * role, over real HTTP: a value that is not a code of the tree is a 400, one the token does not
 * cover a 403, and what is stored is always the normalised codes, inside the token's areas. Nothing
 * is sent outside them either: a resident and a terminal of the neighbouring village hear nothing
 * of what the village's own tokens did.
 */
class AreaScopeVariantsTest {
  static final String COUNTY = "320623";
  static final String TOWN = "320623100"; // 长沙镇
  static final String VILLAGE = "320623100201"; // 长沙村: where the tokens are scoped
  static final String SIBLING = "320623100202"; // 何丫村, in the same town
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String clipId;
  static final Map<Caller, String> tokens = new HashMap<>();
  static final AtomicInteger serial = new AtomicInteger();
  static final String today = LocalDate.now(ZoneId.of("Asia/Shanghai")).toString();

  /** Who calls; every token but the admin's is scoped to {@link #VILLAGE}. */
  enum Caller {
    ADMIN,
    EDITOR,
    BROADCASTER,
    TERMINAL
  }

  /**
   * What a client sends as the {@code areas} list, and what it means: the normalised codes, or null
   * when one entry is not an area code of the tree at all.
   */
  record Variant(String name, List<Object> sent, List<String> meaning) {
    static Variant of(String name, Object code, String meaning) {
      return new Variant(name, List.of(code), meaning == null ? null : List.of(meaning));
    }

    boolean single() {
      return sent.size() == 1;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static List<Variant> variants() {
    List<Variant> v = new ArrayList<>();
    v.add(Variant.of("county, trailing space", COUNTY + " ", COUNTY));
    v.add(Variant.of("county, leading space", " " + COUNTY, COUNTY));
    v.add(Variant.of("county, tab", "\t" + COUNTY, COUNTY));
    v.add(Variant.of("county, newline", COUNTY + "\n", COUNTY));
    v.add(Variant.of("county, NBSP", "\u00A0" + COUNTY, COUNTY));
    v.add(Variant.of("county, U+3000", COUNTY + "\u3000", COUNTY));
    v.add(Variant.of("county, full-width digits", "３２０６２３", COUNTY));
    v.add(Variant.of("county, plus sign", "+" + COUNTY, null));
    v.add(Variant.of("county, zero-padded", "0" + COUNTY, null));
    v.add(Variant.of("county, a JSON number", Integer.parseInt(COUNTY), null));
    v.add(Variant.of("the village's town", TOWN, TOWN));
    v.add(Variant.of("a sibling village", SIBLING, SIBLING));
    v.add(Variant.of("a prefix of the village", VILLAGE.substring(0, 10), null));
    v.add(Variant.of("a prefix of the county", COUNTY.substring(0, 5), null));
    v.add(Variant.of("the village, inner space", "320623 100201", null));
    v.add(Variant.of("the village", VILLAGE, VILLAGE));
    v.add(Variant.of("the village, trailing space", VILLAGE + " ", VILLAGE));
    v.add(Variant.of("the village, U+3000", "\u3000" + VILLAGE, VILLAGE));
    v.add(Variant.of("the village, full-width digits", "３２０６２３１００２０１", VILLAGE));
    v.add(new Variant("the village twice", List.of(VILLAGE, " " + VILLAGE), List.of(VILLAGE)));
    v.add(
        new Variant(
            "the village and the county",
            List.of(VILLAGE, COUNTY + " "),
            List.of(VILLAGE, COUNTY)));
    v.add(new Variant("an empty list", List.of(), null));
    v.add(new Variant("1,000 codes", Collections.nCopies(1000, VILLAGE), null));
    return v;
  }

  /** A route that takes area codes: who may call it, how, and where what it stored is read. */
  record ScopedRoute(
      String name,
      Set<Caller> allowed,
      int success,
      boolean singleCode,
      BiFunction<String, Variant, HttpResponse<String>> call,
      Function<HttpResponse<String>, List<String>> stored) {}

  static List<ScopedRoute> routes() {
    Set<Caller> broadcast = Set.of(Caller.ADMIN, Caller.BROADCASTER);
    Set<Caller> edit = Set.of(Caller.ADMIN, Caller.EDITOR);
    return List.of(
        new ScopedRoute(
            "POST /api/v1/programs",
            broadcast,
            201,
            false,
            (token, v) -> server.postJson("/api/v1/programs", token, program(v.sent())),
            r -> areas(r.body())),
        new ScopedRoute(
            "PUT /api/v1/programs/{id}",
            broadcast,
            200,
            false,
            (token, v) ->
                server.putJson("/api/v1/programs/" + freshProgram(), token, program(v.sent())),
            r -> areas(server.get(path(r, "programs"), TestServer.ADMIN).body())),
        new ScopedRoute(
            "POST /api/v1/emergency",
            broadcast,
            201,
            false,
            (token, v) ->
                server.postJson(
                    "/api/v1/emergency",
                    token,
                    Map.of("title", "警报", "areas", v.sent(), "clipId", clipId)),
            r -> areas(r.body())),
        new ScopedRoute(
            "POST /api/v1/items",
            edit,
            201,
            false,
            (token, v) -> server.postJson("/api/v1/items", token, item(v.sent())),
            r -> areas(r.body())),
        new ScopedRoute(
            "PUT /api/v1/items/{id}",
            edit,
            200,
            false,
            (token, v) -> server.putJson("/api/v1/items/" + freshItem(), token, item(v.sent())),
            r -> areas(server.get(path(r, "items"), TestServer.ADMIN).body())),
        new ScopedRoute(
            "POST /api/v1/pushes",
            edit,
            202,
            false,
            (token, v) ->
                server.postJson(
                    "/api/v1/pushes",
                    token,
                    Map.of("areas", v.sent(), "title", caller(token) + " 推送", "body", "正文")),
            r ->
                areas(
                    server
                        .get(
                            "/api/v1/pushes/" + TestServer.json(r.body()).get("id").asText(),
                            TestServer.ADMIN)
                        .body())),
        new ScopedRoute(
            "POST /api/v1/bulletins",
            edit,
            201,
            true,
            (token, v) ->
                server.postJson(
                    "/api/v1/bulletins", token, Map.of("date", today, "area", v.sent().get(0))),
            r -> List.of(TestServer.json(r.body()).get("area").asText())),
        new ScopedRoute(
            "GET /api/v1/asrun",
            Set.of(Caller.ADMIN, Caller.EDITOR, Caller.BROADCASTER),
            200,
            true,
            (token, v) ->
                v.sent().get(0) instanceof String code
                    ? server.get(
                        "/api/v1/asrun?date="
                            + today
                            + "&area="
                            + URLEncoder.encode(code, StandardCharsets.UTF_8),
                        token)
                    : null,
            r -> null),
        new ScopedRoute(
            "POST /api/v1/tokens",
            Set.of(Caller.ADMIN),
            201,
            false,
            (token, v) ->
                server.postJson(
                    "/api/v1/tokens",
                    token,
                    Map.of("role", "editor", "name", "新编辑", "areas", v.sent())),
            r -> areas(r.body())));
  }

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    tokens.put(Caller.ADMIN, TestServer.ADMIN);
    tokens.put(Caller.EDITOR, server.token("editor", "村编辑", VILLAGE));
    tokens.put(
        Caller.BROADCASTER, server.token("broadcaster", "村广播员", List.of("emergency"), VILLAGE));
    tokens.put(Caller.TERMINAL, server.token("terminal", "村喇叭", VILLAGE));
    clipId = server.distinctReadyClip(work, "alarm");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void everyVariantOnEveryScopedRouteIsRefusedOrStoredNormalisedInsideTheTokensAreas()
      throws Exception {
    TestServer.WsRecorder resident = server.subscriber("area:" + SIBLING);
    TestServer.WsRecorder horn = server.connect(server.token("terminal", "何丫村喇叭", SIBLING));
    horn.awaitType("subscribed", WAIT);

    List<String> wrong = new ArrayList<>();
    List<String> emergenciesByVillageTokens = new ArrayList<>();
    int calls = 0;
    for (ScopedRoute route : routes()) {
      for (Variant v : variants()) {
        if (route.singleCode() && !v.single()) continue;
        for (Caller caller : Caller.values()) {
          HttpResponse<String> r = route.call().apply(tokens.get(caller), v);
          if (r == null) continue;
          calls++;
          int expected = expected(route, v, caller);
          String at = route.name() + " × " + v + " × " + caller;
          if (r.statusCode() != expected) {
            wrong.add(at + ": expected " + expected + ", got " + r.statusCode() + " " + r.body());
            continue;
          }
          if (expected == route.success() && route.stored().apply(r) != null) {
            List<String> stored = route.stored().apply(r);
            if (!stored.equals(v.meaning())) {
              wrong.add(at + ": stored " + stored + ", expected " + v.meaning());
            }
            if (caller != Caller.ADMIN && route.name().contains("emergency")) {
              emergenciesByVillageTokens.add(TestServer.json(r.body()).get("id").asText());
            }
          }
          if (expected == 400) {
            assertThat(TestServer.json(r.body()).get("detail").asText())
                .as(at + " names what is wrong")
                .containsAnyOf("area", "expected");
          }
        }
      }
    }
    assertThat(wrong).as("of %d calls", calls).isEmpty();
    assertThat(calls).isGreaterThan(500);

    // Nothing the village's tokens did reached the sibling village: a marker from the admin,
    // sent last, arrives after anything that escaped.
    server.postJson(
        "/api/v1/pushes",
        TestServer.ADMIN,
        Map.of("areas", List.of(SIBLING), "title", "marker", "body", "最后一条"));
    JsonNode marker =
        resident.await(m -> m.path("data").path("title").asText().equals("marker"), WAIT);
    assertThat(marker).isNotNull();
    assertThat(resident.messages)
        .filteredOn(m -> m.path("type").asText().equals("push"))
        .allSatisfy(
            m ->
                assertThat(m.path("data").path("title").asText())
                    .as("only the admin's pushes reach the sibling village")
                    .doesNotStartWith("EDITOR"));
    String markerEmergency =
        TestServer.json(
                server
                    .postJson(
                        "/api/v1/emergency",
                        TestServer.ADMIN,
                        Map.of("title", "marker", "areas", List.of(SIBLING), "clipId", clipId))
                    .body())
            .get("id")
            .asText();
    horn.await(m -> m.path("program").asText().equals(markerEmergency), WAIT);
    assertThat(horn.messages)
        .filteredOn(m -> m.path("type").asText().equals("play"))
        .extracting(m -> m.path("program").asText())
        .doesNotContainAnyElementsOf(emergenciesByVillageTokens);
  }

  /** 403 for a role the route does not let in, 400 for a non-code, 403 outside the token. */
  static int expected(ScopedRoute route, Variant v, Caller caller) {
    if (!route.allowed().contains(caller)) return 403;
    if (v.meaning() == null) return 400;
    if (caller == Caller.ADMIN) return route.success();
    return v.meaning().stream().allMatch(c -> c.startsWith(VILLAGE)) ? route.success() : 403;
  }

  private static Map<String, Object> program(List<Object> areas) {
    Map<String, Object> body =
        new LinkedHashMap<>(RouteBodies.program(VILLAGE, serial.incrementAndGet()));
    body.put("areas", areas);
    return body;
  }

  private static Map<String, Object> item(List<Object> areas) {
    Map<String, Object> body = new LinkedHashMap<>(RouteBodies.item(VILLAGE, today));
    body.put("areas", areas);
    return body;
  }

  private static String freshProgram() {
    return created(
        server.postJson("/api/v1/programs", TestServer.ADMIN, program(List.of(VILLAGE))));
  }

  private static String freshItem() {
    return created(server.postJson("/api/v1/items", TestServer.ADMIN, item(List.of(VILLAGE))));
  }

  private static String created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return TestServer.json(r.body()).get("id").asText();
  }

  /** The stored thing's path, from the request that changed it. */
  private static String path(HttpResponse<String> r, String kind) {
    return "/api/v1/" + kind + "/" + TestServer.json(r.body()).get("id").asText();
  }

  private static List<String> areas(String body) {
    List<String> out = new ArrayList<>();
    TestServer.json(body).get("areas").forEach(a -> out.add(a.asText()));
    return out;
  }

  private static String caller(String token) {
    return tokens.entrySet().stream()
        .filter(e -> e.getValue().equals(token))
        .map(e -> e.getKey().name())
        .findFirst()
        .orElseThrow();
  }
}
