package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PUT on programs and items with the version read before: the answers carry an {@code ETag}, a
 * change sent with a stale {@code If-Match} is a 412 naming the current version, and nothing is
 * written over it.
 */
class VersionedUpdatesTest {
  static final String VILLAGE = "320623100201";

  @TempDir static Path dataDir;
  static TestServer server;
  static int hour;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> put(String path, Object body, String ifMatch) {
    HttpRequest.Builder b =
        server
            .request(path, TestServer.ADMIN)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(TestServer.write(body)));
    if (ifMatch != null) b.header("If-Match", ifMatch);
    return server.send(b.build());
  }

  private static String etag(HttpResponse<String> r) {
    return r.headers().firstValue("ETag").orElseThrow(() -> new AssertionError("no ETag"));
  }

  @Test
  void aProgramChangedWithAStaleVersionIs412AndKeepsWhatIsStored() {
    HttpResponse<String> created =
        server.postJson("/api/v1/programs", TestServer.ADMIN, program("早间"));
    assertThat(created.statusCode()).isEqualTo(201);
    String path = created.headers().firstValue("Location").orElseThrow();
    String first = etag(created);
    assertThat(etag(server.get(path, TestServer.ADMIN))).isEqualTo(first);

    HttpResponse<String> changed = put(path, program("午间"), first);
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
    String second = etag(changed);
    assertThat(second).isNotEqualTo(first);
    assertThat(TestServer.json(changed.body()).get("version").asText())
        .isEqualTo(second.replace("\"", ""));

    HttpResponse<String> stale = put(path, program("晚间"), first);
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(etag(stale)).isEqualTo(second);
    assertThat(TestServer.json(stale.body()).get("detail").asText())
        .contains("is at version " + second)
        .contains("not " + first);
    assertThat(TestServer.json(server.get(path, TestServer.ADMIN).body()).get("title").asText())
        .isEqualTo("午间");

    assertThat(put(path, program("晚间"), "*").statusCode()).isEqualTo(200);
    assertThat(put(path, program("夜间"), null).statusCode()).as("no If-Match").isEqualTo(200);
  }

  @Test
  void anItemChangedWithAStaleVersionIs412AndKeepsWhatIsStored() {
    String today = LocalDate.now(ZoneId.of("Asia/Shanghai")).toString();
    HttpResponse<String> created =
        server.postJson("/api/v1/items", TestServer.ADMIN, RouteBodies.item(VILLAGE, today));
    assertThat(created.statusCode()).isEqualTo(201);
    String path = created.headers().firstValue("Location").orElseThrow();
    assertThat(etag(created)).isEqualTo("\"1\"");

    Map<String, Object> edit = new LinkedHashMap<>(RouteBodies.item(VILLAGE, today));
    edit.put("title", "改过的通知");
    HttpResponse<String> changed = put(path, edit, "\"1\"");
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
    assertThat(etag(changed)).isEqualTo("\"2\"");

    edit.put("title", "又改了");
    HttpResponse<String> stale = put(path, edit, "\"1\"");
    assertThat(stale.statusCode()).isEqualTo(412);
    assertThat(etag(stale)).isEqualTo("\"2\"");
    assertThat(TestServer.json(server.get(path, TestServer.ADMIN).body()).get("title").asText())
        .isEqualTo("改过的通知");
  }

  @Test
  void aMalformedIfMatchIsA400NamingTheHeader() {
    HttpResponse<String> created =
        server.postJson("/api/v1/programs", TestServer.ADMIN, program("早间"));
    String path = created.headers().firstValue("Location").orElseThrow();
    for (String bad : new String[] {"W/" + etag(created), "abc", "\"a\", \"b\""}) {
      HttpResponse<String> r = put(path, program("午间"), bad);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(TestServer.json(r.body()).get("field").asText()).isEqualTo("If-Match");
    }
  }

  private static Map<String, Object> program(String title) {
    Map<String, Object> body = new LinkedHashMap<>(RouteBodies.program(VILLAGE, ++hour));
    body.put("title", title);
    return body;
  }
}
