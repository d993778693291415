package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * GET /api/v1/clips over real HTTP: newest first, in pages following nextCursor, filtered by
 * status; bad paging is a 400 naming the parameter.
 */
class ClipListApiTest {
  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String broadcaster;
  static final List<String> uploaded = new ArrayList<>();
  static String failed;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    broadcaster = server.token("broadcaster", "广播员", "320623100201");
    for (int i = 0; i < 3; i++) {
      Path tone = TestServer.tone(work, "t" + i + ".mp3", 1, "-metadata", "title=t" + i);
      JsonNode clip = server.uploadSettled(tone, TestServer.ADMIN);
      assertThat(clip.get("status").asText()).isEqualTo("ready");
      uploaded.add(clip.get("id").asText());
    }
    Path junk = Files.writeString(work.resolve("junk.mp3"), "not audio at all");
    JsonNode junkClip = server.uploadSettled(junk, TestServer.ADMIN);
    assertThat(junkClip.get("status").asText()).isEqualTo("failed");
    failed = junkClip.get("id").asText();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonNode page(String query) {
    HttpResponse<String> r = server.get("/api/v1/clips" + query, broadcaster);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r.body());
  }

  static List<String> ids(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.get("clips").forEach(c -> out.add(c.get("id").asText()));
    return out;
  }

  @Test
  void aBroadcasterPagesThroughEveryClipNewestFirst() {
    List<String> seen = new ArrayList<>();
    JsonNode p = page("?limit=3");
    assertThat(p.get("clips")).hasSize(3);
    assertThat(p.get("clips").get(0).get("id").asText()).isEqualTo(failed);
    seen.addAll(ids(p));
    String cursor = p.get("nextCursor").asText();
    JsonNode last = page("?limit=3&cursor=" + cursor);
    seen.addAll(ids(last));
    assertThat(last.has("nextCursor")).isFalse();

    List<String> newestFirst = new ArrayList<>(List.of(failed));
    for (int i = uploaded.size() - 1; i >= 0; i--) newestFirst.add(uploaded.get(i));
    assertThat(seen).containsExactlyElementsOf(newestFirst);
    assertThat(ids(page(""))).containsExactlyElementsOf(newestFirst);
    JsonNode first = page("?limit=1").get("clips").get(0);
    assertThat(first.get("status").asText()).isEqualTo("failed");
    assertThat(first.get("title").asText()).isEqualTo("junk.mp3");
  }

  @Test
  void aStatusFilterAndBeforeNarrowTheList() {
    assertThat(ids(page("?status=failed"))).containsExactly(failed);
    assertThat(ids(page("?status=ready&limit=200")))
        .containsExactlyInAnyOrderElementsOf(uploaded)
        .doesNotContain(failed);
    JsonNode ready = page("?status=ready");
    assertThat(ready.get("clips").get(0).at("/renditions/loudspeaker/url").asText())
        .startsWith("/media/");
    String newest = page("?limit=1").at("/clips/0/createdAt").asText();
    assertThat(ids(page("?before=" + newest))).doesNotContain(failed).isNotEmpty();
  }

  @ParameterizedTest(name = "{0} is refused naming {1}")
  @CsvSource({
    "limit=0, limit",
    "limit=201, limit",
    "limit=ten, limit",
    "status=done, status",
    "cursor=abc, cursor",
    "before=yesterday, before"
  })
  void badPagingIsRefusedNamingTheParameter(String query, String field) {
    HttpResponse<String> r = server.get("/api/v1/clips?" + query, broadcaster);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(TestServer.json(r.body()).get("field").asText()).isEqualTo(field);
  }

  @Test
  void residentsAndTerminalsCannotList() {
    assertThat(server.get("/api/v1/clips", null).statusCode()).isEqualTo(401);
    String terminal = server.token("terminal", "喇叭", "320623100201");
    assertThat(server.get("/api/v1/clips", terminal).statusCode()).isEqualTo(403);
  }
}
