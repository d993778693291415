package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PUT /api/v1/programs/{id} over real HTTP: the program changes in place (same id), refused like a
 * new one (400 naming the field, 409 listing the others, never itself), and a refused change leaves
 * it as it was.
 */
class ProgramUpdateApiTest {
  static final String VILLAGE = ProgramsApiTest.VILLAGE;
  static final String OTHER_VILLAGE = "320623100202";

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String broadcaster;
  static String clipId;
  static final AtomicInteger serial = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    broadcaster = server.token("broadcaster", "广播员", VILLAGE);
    clipId =
        server
            .uploadSettled(TestServer.tone(work, "n.mp3", 2), TestServer.ADMIN)
            .get("id")
            .asText();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Map<String, Object> program(String title, String daily) {
    Map<String, Object> p = new HashMap<>();
    p.put("title", title);
    p.put("clipId", clipId);
    p.put("areas", List.of(VILLAGE));
    p.put("schedule", Map.of("daily", daily));
    return p;
  }

  static String create(String title, String daily) {
    HttpResponse<String> r =
        server.postJson("/api/v1/programs", broadcaster, program(title, daily));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return TestServer.json(r.body()).get("id").asText();
  }

  static HttpResponse<String> put(String id, String token, Object body) {
    return server.send(
        server
            .request("/api/v1/programs/" + id, token)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(TestServer.write(body)))
            .build());
  }

  static JsonNode stored(String id) {
    return TestServer.json(server.get("/api/v1/programs/" + id, broadcaster).body());
  }

  @Test
  void aProgramIsChangedInPlaceKeepingItsId() {
    String id = create("早间新闻", "06:00");
    String createdAt = stored(id).get("createdAt").asText();

    HttpResponse<String> r = put(id, broadcaster, program("午间新闻", "06:30"));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode changed = TestServer.json(r.body());
    assertThat(changed.get("id").asText()).isEqualTo(id);
    assertThat(changed.get("title").asText()).isEqualTo("午间新闻");
    assertThat(changed.at("/schedule/daily").asText()).isEqualTo("06:30");
    assertThat(changed.get("createdAt").asText()).isEqualTo(createdAt);
    assertThat(changed.get("updatedAt").isTextual()).isTrue();
    assertThat(changed.at("/nextRuns/0").asText()).contains("T06:30");
    assertThat(stored(id).at("/schedule/daily").asText()).isEqualTo("06:30");
    JsonNode list = TestServer.json(server.get("/api/v1/programs", broadcaster).body());
    assertThat(list.findValuesAsText("id")).containsOnlyOnce(id);
  }

  @ParameterizedTest(name = "{0} = {1} is refused naming {2}")
  @MethodSource("org.xiaolaba.server.ProgramsApiTest#refusals")
  void aBadChangeIsRefusedNamingTheFieldAndChangesNothing(String key, Object value, String field) {
    String id = create("refused " + field, String.format("05:%02d", serial.incrementAndGet()));
    JsonNode before = stored(id);
    Map<String, Object> body = program("改", "12:00");
    body.put(key, value);

    HttpResponse<String> r = put(id, broadcaster, body);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(TestServer.json(r.body()).get("field").asText()).isEqualTo(field);
    assertThat(stored(id)).isEqualTo(before);
    server.send(server.request("/api/v1/programs/" + id, broadcaster).DELETE().build());
  }

  @Test
  void aClashWithAnotherProgramIs409ListingItButNeverItself() {
    String eight = create("八点", "08:00");
    String nine = create("九点", "09:00");

    HttpResponse<String> same = put(eight, broadcaster, program("八点整", "08:00"));
    assertThat(same.statusCode()).as(same.body()).isEqualTo(200);

    HttpResponse<String> clash = put(eight, broadcaster, program("八点", "09:00"));
    assertThat(clash.statusCode()).as(clash.body()).isEqualTo(409);
    JsonNode problem = TestServer.json(clash.body());
    assertThat(problem.get("conflicts")).extracting(JsonNode::asText).containsExactly(nine);
    assertThat(problem.get("detail").asText()).contains(nine);
    assertThat(stored(eight).at("/schedule/daily").asText()).isEqualTo("08:00");
  }

  @Test
  void anUnknownProgramIs404AndAnotherVillagesBroadcasterIs403() {
    assertThat(put("no-such-program", broadcaster, program("x", "10:00")).statusCode())
        .isEqualTo(404);
    String id = create("十点", "10:00");
    String elsewhere = server.token("broadcaster", "邻村广播员", OTHER_VILLAGE);

    assertThat(put(id, elsewhere, program("十点", "10:30")).statusCode()).isEqualTo(403);
    // Its own broadcaster cannot move it to a village its token does not cover.
    Map<String, Object> moved = program("十点", "10:30");
    moved.put("areas", List.of(OTHER_VILLAGE));
    HttpResponse<String> r = put(id, broadcaster, moved);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(TestServer.json(r.body()).get("detail").asText()).contains(OTHER_VILLAGE);
    assertThat(stored(id).at("/areas/0").asText()).isEqualTo(VILLAGE);
  }
}
