package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admins list tokens without their secrets and revoke them; a revoked token is refused at once on
 * every node sharing the Redis, and its open WebSockets are closed.
 */
class TokenRevocationTest {
  @TempDir static Path dataA;
  @TempDir static Path dataB;
  static TestServer a;
  static TestServer b;

  @BeforeAll
  static void start() {
    a = TestServer.start(dataA);
    b = TestServer.start(dataB, Map.of("XIAOLABA_REDIS_URL", a.redisUrl()));
  }

  @AfterAll
  static void stop() {
    b.close();
    a.close();
  }

  private static JsonNode listed(String id) {
    HttpResponse<String> r = a.get("/api/v1/tokens", TestServer.ADMIN);
    assertThat(r.statusCode()).isEqualTo(200);
    for (JsonNode t : TestServer.json(r.body())) {
      if (t.get("id").asText().equals(id)) return t;
    }
    return null;
  }

  /** The id of the token of this name, checking that the list never shows the secret. */
  private static String idOf(String token, String name) {
    HttpResponse<String> r = a.get("/api/v1/tokens", TestServer.ADMIN);
    assertThat(r.body()).doesNotContain(token);
    for (JsonNode t : TestServer.json(r.body())) {
      if (t.get("name").asText().equals(name)) return t.get("id").asText();
    }
    throw new AssertionError("no token named " + name + " listed: " + r.body());
  }

  @Test
  void theListShowsEachTokenWithoutItsSecretAndWhenItWasLastUsed() {
    String editor = a.token("editor", "列表编辑", "320623100");
    String id = idOf(editor, "列表编辑");
    JsonNode listed = listed(id);
    assertThat(listed.get("name").asText()).isEqualTo("列表编辑");
    assertThat(listed.get("areas").get(0).asText()).isEqualTo("320623100");
    assertThat(listed.has("createdAt")).isTrue();
    assertThat(listed.has("lastUsedAt")).isFalse();
    assertThat(listed.has("token")).isFalse();

    assertThat(b.get("/api/v1/programs", editor).statusCode()).isEqualTo(200);
    assertThat(listed(id).has("lastUsedAt")).isTrue();
    assertThat(listed("admin")).as("the bootstrap admin is listed").isNotNull();
  }

  @Test
  void aRevokedTokenIsRefusedAtOnceOnEveryNodeAndItsWebSocketIsClosed() throws Exception {
    String editor = a.token("editor", "将被撤销", "320623");
    String terminal = a.token("terminal", "将被撤销的喇叭", "320623100201");
    assertThat(b.get("/api/v1/programs", editor).statusCode()).isEqualTo(200);
    TestServer.WsRecorder socket = b.connect(terminal);
    socket.send(Map.of("op", "subscribe", "channels", List.of("area:320623100201")));
    socket.awaitType("subscribed", Duration.ofSeconds(10));

    String editorId = idOf(editor, "将被撤销");
    String terminalId = idOf(terminal, "将被撤销的喇叭");

    assertThat(revoke(a, editorId).statusCode()).isEqualTo(204);
    assertThat(revoke(a, terminalId).statusCode()).isEqualTo(204);

    assertThat(b.get("/api/v1/programs", editor).statusCode()).isEqualTo(401);
    assertThat(a.get("/api/v1/programs", editor).statusCode()).isEqualTo(401);
    assertThat(socket.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
    assertThatThrownBy(() -> b.connect(terminal))
        .hasMessageContaining("closed instead of authed: 1008");
    assertThat(listed(editorId)).isNull();
    assertThat(revoke(a, editorId).statusCode()).isEqualTo(404);
  }

  @Test
  void aRevokedTerminalLeavesThePresenceTableAtOnceOnEveryNode() throws Exception {
    String terminal = a.token("terminal", "撤销后离表", "320623100202");
    String id = idOf(terminal, "撤销后离表");
    TestServer.WsRecorder socket = b.connect(terminal);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> presenceOf(a, id) != null && presenceOf(b, id) != null);
    socket.send(Map.of("op", "status", "state", "idle", "volume", 60));

    assertThat(revoke(a, id).statusCode()).isEqualTo(204);
    assertThat(socket.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> presenceOf(a, id) == null && presenceOf(b, id) == null);
    // Nothing the closed connection still had to write brings it back.
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(2))
        .until(() -> presenceOf(a, id) == null && presenceOf(b, id) == null);
    var push =
        a.postJson(
            "/api/v1/pushes", TestServer.ADMIN, Map.of("terminals", List.of(id), "title", "x"));
    assertThat(push.statusCode()).isEqualTo(400);
  }

  private static JsonNode presenceOf(TestServer s, String id) {
    for (JsonNode t : TestServer.json(s.get("/api/v1/terminals", TestServer.ADMIN).body())) {
      if (id.equals(t.path("id").asText())) return t;
    }
    return null;
  }

  @Test
  void theBootstrapAdminCannotBeRevokedOverTheApi() {
    HttpResponse<String> r = revoke(a, "admin");
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).contains("admin.token");
    assertThat(a.get("/api/v1/tokens", TestServer.ADMIN).statusCode()).isEqualTo(200);
  }

  @Test
  void onlyAdminsListOrRevokeTokens() {
    String editor = a.token("editor", "非管理员", "320623");
    assertThat(a.get("/api/v1/tokens", editor).statusCode()).isEqualTo(403);
    assertThat(revoke(a, idOf(editor, "非管理员"), editor).statusCode()).isEqualTo(403);
  }

  private static HttpResponse<String> revoke(TestServer s, String id) {
    return revoke(s, id, TestServer.ADMIN);
  }

  private static HttpResponse<String> revoke(TestServer s, String id, String token) {
    return s.send(s.request("/api/v1/tokens/" + id, token).DELETE().build());
  }
}
