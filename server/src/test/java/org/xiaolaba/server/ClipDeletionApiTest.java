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

/**
 * {@code DELETE /api/v1/clips/{id}} over real sockets: refused while a program with a run to come
 * plays the clip, naming it; otherwise the clip and its media URLs are gone.
 */
class ClipDeletionApiTest {
  static final String VILLAGE = "320623100201";

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String editor;
  static String broadcaster;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
    editor = server.token("editor", "县台编辑", "320623");
    broadcaster = server.token("broadcaster", "长沙村广播员", VILLAGE);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> delete(String path, String token) {
    return server.send(server.request(path, token).DELETE().build());
  }

  private static JsonNode readyClip(String name, int channels) throws Exception {
    Path tone = TestServer.tone(work, name, 1, "-ac", Integer.toString(channels));
    JsonNode clip = server.uploadSettled(tone, "notice", editor);
    assertThat(clip.get("status").asText()).as(clip.toString()).isEqualTo("ready");
    return clip;
  }

  @Test
  void aClipThatAProgramStillPlaysIsRefusedNamingTheProgramAndDeletedOnceItIsGone()
      throws Exception {
    JsonNode clip = readyClip("used.wav", 1);
    String clipPath = "/api/v1/clips/" + clip.get("id").asText();
    HttpResponse<String> created =
        server.postJson(
            "/api/v1/programs",
            broadcaster,
            Map.of(
                "title",
                "早间广播",
                "clipId",
                clip.get("id").asText(),
                "areas",
                List.of(VILLAGE),
                "schedule",
                Map.of("daily", "07:00")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String programId = TestServer.json(created.body()).get("id").asText();

    HttpResponse<String> refused = delete(clipPath, editor);

    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = TestServer.json(refused.body());
    assertThat(problem.get("status").asInt()).isEqualTo(409);
    assertThat(problem.get("detail").asText()).contains("早间广播", programId);
    assertThat(problem.get("conflicts")).extracting(JsonNode::asText).containsExactly(programId);
    assertThat(server.get(clipPath, editor).statusCode()).isEqualTo(200);

    assertThat(delete("/api/v1/programs/" + programId, broadcaster).statusCode()).isEqualTo(204);
    HttpResponse<String> deleted = delete(clipPath, editor);

    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
    assertThat(server.get(clipPath, editor).statusCode()).isEqualTo(404);
    for (JsonNode rendition : clip.get("renditions")) {
      assertThat(server.get(rendition.get("url").asText(), null).statusCode())
          .as(rendition.get("url").asText())
          .isEqualTo(404);
    }
    assertThat(delete(clipPath, editor).statusCode()).isEqualTo(404);
  }

  @Test
  void onlyEditorsAndAdminsMayDeleteClipsAndAnUnknownClipIsNotFound() throws Exception {
    JsonNode clip = readyClip("kept.wav", 2);
    String clipPath = "/api/v1/clips/" + clip.get("id").asText();

    assertThat(delete(clipPath, broadcaster).statusCode()).isEqualTo(403);
    assertThat(delete(clipPath, null).statusCode()).isEqualTo(401);
    assertThat(server.get(clipPath, editor).statusCode()).isEqualTo(200);

    HttpResponse<String> unknown = delete("/api/v1/clips/nosuchclip00", TestServer.ADMIN);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(TestServer.json(unknown.body()).get("detail").asText()).contains("nosuchclip00");
    assertThat(delete(clipPath, TestServer.ADMIN).statusCode()).isEqualTo(204);
  }

  @Test
  void aClipReadOutInABulletinToComeCannotBeDeletedUntilItsItemIsWithdrawn() throws Exception {
    JsonNode clip = readyClip("bulletin-tone.wav", 1);
    String tomorrow =
        java.time.LocalDate.now(java.time.ZoneId.of("Asia/Shanghai")).plusDays(1).toString();
    HttpResponse<String> item =
        server.postJson(
            "/api/v1/items",
            editor,
            Map.of(
                "kind",
                "notice",
                "title",
                "明日通知",
                "areas",
                List.of(VILLAGE),
                "date",
                tomorrow,
                "clipId",
                clip.get("id").asText()));
    assertThat(item.statusCode()).as(item.body()).isEqualTo(201);
    String itemId = TestServer.json(item.body()).get("id").asText();

    HttpResponse<String> refused = delete("/api/v1/clips/" + clip.get("id").asText(), editor);
    assertThat(refused.statusCode()).isEqualTo(409);
    JsonNode problem = TestServer.json(refused.body());
    assertThat(problem.get("conflicts").get(0).asText()).isEqualTo(itemId);
    assertThat(problem.get("detail").asText()).contains("明日通知");

    server.send(
        server
            .request("/api/v1/items/" + itemId + "/withdraw", editor)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build());
    assertThat(delete("/api/v1/clips/" + clip.get("id").asText(), editor).statusCode())
        .isEqualTo(204);
  }
}
