package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's pages and files come from the jar with their content types and cache headers;
 * nothing else is served under {@code /console/}; the console learns its token's role.
 */
class ConsoleServingTest {
  @TempDir static Path dataDir;
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void theConsoleAndTheResidentsPageAreChineseHtmlThatOnlyRunsItsOwnScripts() {
    for (String page : new String[] {"/", "/listen"}) {
      HttpResponse<String> r = server.get(page, null);
      assertThat(r.statusCode()).as(page).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
      assertThat(r.body()).contains("<html lang=\"zh-CN\">");
      assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow())
          .contains("script-src 'self'");
      assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
    }
  }

  @Test
  void scriptsAndStylesHaveTheirTypes() {
    HttpResponse<String> js = server.get("/console/app.js", null);
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    assertThat(js.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(js.body()).contains("import ");
    HttpResponse<String> css = server.get("/console/style.css", null);
    assertThat(css.statusCode()).isEqualTo(200);
    assertThat(css.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
  }

  @Test
  void aFileTheBrowserHoldsIsRevalidatedWithoutItsBody() {
    HttpResponse<String> first = server.get("/console/style.css", null);
    String etag = first.headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> again =
        server.send(
            server.request("/console/style.css", null).header("If-None-Match", etag).GET().build());
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
    assertThat(again.headers().firstValue("ETag")).hasValue(etag);
  }

  @Test
  void unknownFilesAreNotFound() {
    HttpResponse<String> r = server.get("/console/nothing-here.js", null);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(server.get("/console/app.exe", null).statusCode()).isEqualTo(404);
    assertThat(server.get("/console/", null).statusCode()).isEqualTo(404);
  }

  @Test
  void nothingOutsideTheConsoleFolderIsServed() throws Exception {
    for (String path :
        new String[] {
          "/console/../../x",
          "/console/../openapi.json",
          "/console/..%2Fopenapi.json",
          "/console/..%2F..%2Fclient%2Fxiaolaba-client.js",
          "/console/%2e%2e%2flogback.xml",
          "/console/..",
          "/console/.%2E",
          "/console/..%5Clogback.xml",
          "/console/index.html%00.css",
          "/console/sub/app.js"
        }) {
      int status = server.rawGetStatus(path);
      assertThat(status).as(path).isIn(400, 404);
    }
  }

  @Test
  void aTokenLearnsItsRoleAndAreas() {
    String broadcaster = server.token("broadcaster", "长沙村广播员", "320623100201");
    HttpResponse<String> r = server.get("/api/v1/session", broadcaster);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode me = TestServer.json(r.body());
    assertThat(me.get("role").asText()).isEqualTo("broadcaster");
    assertThat(me.get("name").asText()).isEqualTo("长沙村广播员");
    assertThat(me.get("areas").get(0).asText()).isEqualTo("320623100201");
    assertThat(me.has("token")).isFalse();
    assertThat(server.get("/api/v1/session", TestServer.ADMIN).statusCode()).isEqualTo(200);
    assertThat(server.get("/api/v1/session", null).statusCode()).isEqualTo(401);
    assertThat(server.get("/api/v1/session", "not-a-token").statusCode()).isEqualTo(401);
  }
}
