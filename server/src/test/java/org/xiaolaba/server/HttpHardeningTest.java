package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What anonymous clients cannot grow or abuse over plain HTTP: an unknown method is a 501 before
 * routing and adds no metric series, and every answer forbids content sniffing and carries a
 * content security policy.
 */
class HttpHardeningTest {
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

  private static HttpResponse<String> call(String method, String path) {
    return server.send(
        server.request(path, null).method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  private static long httpSeries() {
    return server
        .get("/metrics", null)
        .body()
        .lines()
        .filter(l -> l.startsWith("xiaolaba_http_requests_seconds_count{"))
        .filter(l -> !l.contains("route=\"/metrics\"")) // the scrape itself, counted after it
        .count();
  }

  @Test
  void twoHundredRandomMethodNamesAre501AndLeaveTheNumberOfSeriesUnchanged() {
    HttpResponse<String> first = call("BREW", "/api/v1/programs");
    assertThat(first.statusCode()).isEqualTo(501);
    assertThat(TestServer.json(first.body()).get("detail").asText())
        .contains("method BREW is not implemented");
    long before = httpSeries();
    Random random = new Random(14);
    for (int i = 0; i < 200; i++) {
      StringBuilder name = new StringBuilder();
      for (int c = 0; c < 3 + random.nextInt(12); c++)
        name.append((char) ('A' + random.nextInt(26)));
      String path = random.nextBoolean() ? "/api/v1/programs" : "/x" + random.nextInt();
      assertThat(call(name.toString(), path).statusCode()).as(name.toString()).isEqualTo(501);
    }
    assertThat(httpSeries()).isEqualTo(before);
  }

  @Test
  void everyAnswerForbidsSniffingAndCarriesAPolicy() {
    for (HttpResponse<String> r :
        java.util.List.of(
            server.get("/api/v1/areas", null),
            server.get("/api/v1/programs", null),
            server.get("/no/such/thing", null),
            server.get("/healthz", null),
            call("BREW", "/"))) {
      assertThat(r.headers().firstValue("X-Content-Type-Options"))
          .as(r.uri() + " " + r.statusCode())
          .contains("nosniff");
      assertThat(r.headers().firstValue("Content-Security-Policy"))
          .as(r.uri().toString())
          .contains("default-src 'none'; frame-ancestors 'none'");
    }
    HttpResponse<String> page = server.get("/", null);
    assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("connect-src 'self';")
        .doesNotContain("ws:");
  }
}
