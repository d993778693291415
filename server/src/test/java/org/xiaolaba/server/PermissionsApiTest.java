package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token permissions over real HTTP: an emergency, and a program of priority emergency, need the
 * {@code emergency} permission, which a broadcaster token has only when created with it; unknown
 * permissions, and permissions that do not go with the role, are refused when the token is made.
 */
class PermissionsApiTest {
  static final String VILLAGE = "320623100201";

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String clipId;
  static String plain;
  static String permitted;
  static int hour;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    plain = server.token("broadcaster", "村广播员", VILLAGE);
    permitted = server.token("broadcaster", "应急广播员", List.of("emergency"), VILLAGE);
    clipId = server.distinctReadyClip(work, "fire");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void anEmergencyNeedsTheEmergencyPermission() {
    Map<String, Object> body = Map.of("title", "火警", "areas", List.of(VILLAGE), "clipId", clipId);
    HttpResponse<String> refused = server.postJson("/api/v1/emergency", plain, body);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(TestServer.json(refused.body()).get("detail").asText())
        .contains("'emergency' permission");

    HttpResponse<String> started = server.postJson("/api/v1/emergency", permitted, body);
    assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
    String id = TestServer.json(started.body()).get("id").asText();
    HttpResponse<String> notCalledOff =
        server.send(server.request("/api/v1/emergency/" + id, plain).DELETE().build());
    assertThat(notCalledOff.statusCode()).isEqualTo(403);
    assertThat(
            server
                .send(server.request("/api/v1/emergency/" + id, permitted).DELETE().build())
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void aProgramOfPriorityEmergencyNeedsThePermissionHoweverThePriorityIsWritten() {
    for (String priority : List.of("emergency", " Emergency ", "EMERGENCY")) {
      HttpResponse<String> r = server.postJson("/api/v1/programs", plain, program(priority));
      assertThat(r.statusCode()).as(priority + ": " + r.body()).isEqualTo(403);
    }
    assertThat(server.postJson("/api/v1/programs", plain, program("high")).statusCode())
        .isEqualTo(201);
    HttpResponse<String> r = server.postJson("/api/v1/programs", permitted, program("emergency"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    String id = TestServer.json(r.body()).get("id").asText();

    // Without the permission a broadcaster can neither change nor delete it.
    assertThat(server.putJson("/api/v1/programs/" + id, plain, program("normal")).statusCode())
        .isEqualTo(403);
    assertThat(
            server
                .send(server.request("/api/v1/programs/" + id, plain).DELETE().build())
                .statusCode())
        .isEqualTo(403);
    assertThat(
            server
                .send(server.request("/api/v1/programs/" + id, permitted).DELETE().build())
                .statusCode())
        .isEqualTo(204);
  }

  @Test
  void tokensListTheirPermissionsAndTheSessionShowsThemAnAdminHasAll() {
    JsonNode listed = TestServer.json(server.get("/api/v1/tokens", TestServer.ADMIN).body());
    List<String> names = new java.util.ArrayList<>();
    listed.forEach(
        t -> {
          if (t.get("name").asText().equals("应急广播员")) {
            names.add(t.get("permissions").toString());
          }
        });
    assertThat(names).containsExactly("[\"emergency\"]");
    assertThat(TestServer.json(server.get("/api/v1/session", plain).body()).get("permissions"))
        .isEmpty();
    assertThat(
            TestServer.json(server.get("/api/v1/session", permitted).body())
                .get("permissions")
                .toString())
        .isEqualTo("[\"emergency\"]");
    assertThat(
            TestServer.json(server.get("/api/v1/session", TestServer.ADMIN).body())
                .get("permissions")
                .toString())
        .isEqualTo("[\"emergency\"]");
  }

  @Test
  void aPermissionThatIsUnknownOrDoesNotGoWithTheRoleIsRefused() {
    HttpResponse<String> unknown = token("broadcaster", List.of("emergency", "everything"));
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("permissions").contains("emergency");
    HttpResponse<String> editor = token("editor", List.of("emergency"));
    assertThat(editor.statusCode()).isEqualTo(400);
    assertThat(TestServer.json(editor.body()).get("detail").asText())
        .contains("for broadcaster tokens, not editor tokens");
    assertThat(token("terminal", List.of("emergency")).statusCode()).isEqualTo(400);
    HttpResponse<String> twice = token("broadcaster", List.of("emergency", "emergency"));
    assertThat(twice.statusCode()).isEqualTo(201);
    assertThat(TestServer.json(twice.body()).get("permissions").toString())
        .isEqualTo("[\"emergency\"]");
  }

  private static HttpResponse<String> token(String role, List<String> permissions) {
    return server.postJson(
        "/api/v1/tokens",
        TestServer.ADMIN,
        Map.of("role", role, "name", "某人", "areas", List.of(VILLAGE), "permissions", permissions));
  }

  private static Map<String, Object> program(String priority) {
    Map<String, Object> body = new LinkedHashMap<>(RouteBodies.program(VILLAGE, ++hour));
    body.put("priority", priority);
    return body;
  }
}
