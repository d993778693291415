package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A village's daily bulletin, prepared on demand: text from its items, one program from their
 * clips.
 */
class BulletinsApiTest {
  static final String VILLAGE = "320623100201";
  // Today in the county, so that a bulletin program firing now finds this bulletin.
  static final String DATE =
      java.time.LocalDate.now(java.time.ZoneId.of("Asia/Shanghai")).toString();
  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String editor;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
    editor = server.token("editor", "县台编辑", "320623");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String readyClip(String name, int seconds) throws Exception {
    Path tone = TestServer.tone(work, name, seconds);
    JsonNode clip = server.uploadSettled(tone, name, editor);
    assertThat(clip.get("status").asText()).isEqualTo("ready");
    return clip.get("id").asText();
  }

  private static void approvedItem(String kind, String title, String area, String clipId) {
    Map<String, Object> item =
        new java.util.HashMap<>(
            Map.of(
                "kind",
                kind,
                "title",
                title,
                "body",
                title + "正文",
                "areas",
                List.of(area),
                "date",
                DATE));
    if (clipId != null) item.put("clipId", clipId);
    String id =
        TestServer.json(server.postJson("/api/v1/items", editor, item).body()).get("id").asText();
    assertThat(
            server
                .send(
                    server
                        .request("/api/v1/items/" + id + "/approve", editor)
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build())
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void aPreparedBulletinHasTheItemsTextAndOneProgramMadeOfTheirClips() throws Exception {
    approvedItem("news", "县里新闻", "320623", readyClip("news.wav", 2));
    approvedItem("policy", "村里政策", VILLAGE, readyClip("policy.wav", 3));
    approvedItem("notice", "镇上通知", "320623100", null);

    HttpResponse<String> prepared =
        server.postJson("/api/v1/bulletins", editor, Map.of("date", DATE, "area", VILLAGE));
    assertThat(prepared.statusCode()).as(prepared.body()).isEqualTo(201);
    JsonNode b = TestServer.json(prepared.body());
    assertThat(b.get("items").findValuesAsText("title")).containsExactly("村里政策", "镇上通知", "县里新闻");

    AtomicReference<JsonNode> ready = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              ready.set(
                  TestServer.json(
                      server.get("/api/v1/bulletins/" + DATE + "/" + VILLAGE, null).body()));
              return !"preparing".equals(ready.get().get("status").asText());
            });
    JsonNode done = ready.get();
    assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("ready");
    assertThat(done.get("text").asText()).contains("【政策】村里政策").contains("【通知】镇上通知");
    // Two clips of 2 s and 3 s with a 1 s gap between them.
    assertThat(done.at("/audio/durationMs").asLong()).isBetween(5500L, 6700L);
    assertThat(
            server
                .sendBytes(server.request(done.at("/audio/url").asText(), null).GET().build())
                .statusCode())
        .isEqualTo(200);
    assertThat(done.at("/audio/loudspeakerUrl").asText()).endsWith(".mp3");

    // A program with "source": "bulletin" plays that bulletin's loudspeaker audio on the village's
    // terminal.
    String terminalToken = server.token("terminal", "长沙村喇叭", VILLAGE);
    String broadcaster = server.token("broadcaster", "长沙村广播员", VILLAGE);
    TestServer.WsRecorder terminal = server.connect(terminalToken);
    terminal.awaitType("subscribed", Duration.ofSeconds(5));
    java.time.OffsetDateTime startAt =
        java.time.OffsetDateTime.now(java.time.ZoneId.of("Asia/Shanghai"))
            .plusSeconds(5)
            .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    HttpResponse<String> program =
        server.postJson(
            "/api/v1/programs",
            broadcaster,
            Map.of(
                "title",
                "每日简报",
                "source",
                "bulletin",
                "areas",
                List.of(VILLAGE),
                "schedule",
                Map.of("once", startAt.toString())));
    assertThat(program.statusCode()).as(program.body()).isEqualTo(201);
    JsonNode play = terminal.awaitType("play", Duration.ofSeconds(15));
    assertThat(play.at("/audio/url").asText()).isEqualTo(done.at("/audio/loudspeakerUrl").asText());
    assertThat(play.at("/audio/durationMs").asLong())
        .isEqualTo(done.at("/audio/durationMs").asLong());
  }

  @Test
  void anUnpreparedBulletinIsNotFoundAndBadInputNamesTheField() {
    assertThat(server.get("/api/v1/bulletins/2020-01-01/" + VILLAGE, null).statusCode())
        .isEqualTo(404);
    HttpResponse<String> bad =
        server.postJson("/api/v1/bulletins", editor, Map.of("date", "today", "area", VILLAGE));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(TestServer.json(bad.body()).get("field").asText()).isEqualTo("date");
    HttpResponse<String> unknown =
        server.postJson("/api/v1/bulletins", editor, Map.of("date", DATE, "area", "999999"));
    assertThat(TestServer.json(unknown.body()).get("field").asText()).isEqualTo("area");
  }
}
