package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Items over HTTP: draft, approve, withdraw, with area scoping and problem+json errors. */
class ItemsApiTest {
  static final String TOWN = "320623100";
  static final String VILLAGE = "320623100201";
  @TempDir static Path dataDir;
  static TestServer server;
  static String editor;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
    editor = server.token("editor", "长沙镇编辑", TOWN);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Map<String, Object> item(String kind, String title, String area) {
    return Map.of(
        "kind", kind, "title", title, "body", "正文", "areas", List.of(area), "date", "2026-11-27");
  }

  private static HttpResponse<String> post(String path) {
    return server.send(
        server.request(path, editor).POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  @Test
  void anItemIsDraftedApprovedListedForItsVillageAndWithdrawn() {
    HttpResponse<String> created =
        server.postJson("/api/v1/items", editor, item("notice", "防汛通知", TOWN));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = TestServer.json(created.body()).get("id").asText();
    assertThat(TestServer.json(created.body()).get("state").asText()).isEqualTo("draft");

    HttpResponse<String> approved = post("/api/v1/items/" + id + "/approve");
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
    assertThat(TestServer.json(approved.body()).get("state").asText()).isEqualTo("approved");

    JsonNode list =
        TestServer.json(
            server
                .get("/api/v1/items?date=2026-11-27&area=" + VILLAGE + "&state=approved", editor)
                .body());
    assertThat(list.findValuesAsText("id")).contains(id);

    assertThat(post("/api/v1/items/" + id + "/withdraw").statusCode()).isEqualTo(200);
    HttpResponse<String> again = post("/api/v1/items/" + id + "/approve");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(TestServer.json(again.body()).get("detail").asText()).contains("withdrawn");
  }

  @Test
  void aDraftCanBeEditedAndDeleted() {
    String id =
        TestServer.json(server.postJson("/api/v1/items", editor, item("news", "旧", VILLAGE)).body())
            .get("id")
            .asText();
    HttpResponse<String> edited =
        server.send(
            server
                .request("/api/v1/items/" + id, editor)
                .header("Content-Type", "application/json")
                .PUT(
                    HttpRequest.BodyPublishers.ofString(
                        TestServer.write(item("news", "新", VILLAGE))))
                .build());
    assertThat(edited.statusCode()).as(edited.body()).isEqualTo(200);
    assertThat(TestServer.json(edited.body()).get("title").asText()).isEqualTo("新");
    assertThat(
            server
                .send(server.request("/api/v1/items/" + id, editor).DELETE().build())
                .statusCode())
        .isEqualTo(204);
    assertThat(server.get("/api/v1/items/" + id, editor).statusCode()).isEqualTo(404);
  }

  @Test
  void anEditorCannotWriteForAnotherTown() {
    HttpResponse<String> r =
        server.postJson("/api/v1/items", editor, item("news", "越权", "320623101"));
    assertThat(r.statusCode()).isEqualTo(403);
  }

  @Test
  void badInputNamesTheField() {
    HttpResponse<String> r =
        server.postJson(
            "/api/v1/items",
            editor,
            Map.of("kind", "news", "title", "t", "areas", List.of(VILLAGE), "date", "tomorrow"));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(TestServer.json(r.body()).get("field").asText()).isEqualTo("date");
    HttpResponse<String> list = server.get("/api/v1/items", editor);
    assertThat(TestServer.json(list.body()).get("field").asText()).isEqualTo("date");
    assertThat(post("/api/v1/items/nope/approve").statusCode()).isEqualTo(404);
  }
}
