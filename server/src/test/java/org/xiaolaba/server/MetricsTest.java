package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /metrics holds every family operators watch: HTTP by route and status, WebSockets, pushes and
 * fan-out, the ffmpeg queue and clip processing, Quartz fires and misfires, Redis round trips, JVM.
 */
class MetricsTest {
  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    Path tone = TestServer.tone(work, "m.mp3", 1, "-b:a", "64k");
    String clip =
        TestServer.json(
                server
                    .send(
                        server
                            .request("/api/v1/clips?title=m", TestServer.ADMIN)
                            .POST(HttpRequest.BodyPublishers.ofFile(tone))
                            .build())
                    .body())
            .get("id")
            .asText();
    server.awaitClipSettled(clip, TestServer.ADMIN);
    server.postJson(
        "/api/v1/pushes",
        TestServer.ADMIN,
        Map.of("areas", List.of("320623100201"), "title", "通知"));
    // Inside the lead time: armed to fire at once.
    String soon = OffsetDateTime.now(ZoneOffset.ofHours(8)).plusSeconds(30).withNano(0).toString();
    assertThat(
            server
                .postJson(
                    "/api/v1/programs",
                    TestServer.ADMIN,
                    Map.of(
                        "title",
                        "指标",
                        "source",
                        "bulletin",
                        "areas",
                        List.of("320623100201"),
                        "schedule",
                        Map.of("once", soon)))
                .statusCode())
        .isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String scrape() {
    var r = server.get("/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    return r.body();
  }

  /** The value of the first sample whose line starts with {@code prefix}, or -1. */
  private static double sample(String text, String prefix) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(prefix) + "[^\\n]*? ([0-9.eE+-]+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  @Test
  void everyFamilyIsThereAndCountsWhatHappened() {
    server.get("/healthz", null);
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> sample(scrape(), "xiaolaba_quartz_fires_total") >= 1);
    String m = scrape();
    assertThat(m)
        .contains(
            "xiaolaba_http_requests_seconds_count{method=\"GET\",route=\"/healthz\",status=\"200\"}")
        .contains("route=\"/api/v1/pushes\",status=\"202\"");
    assertThat(sample(m, "xiaolaba_websocket_connections")).isZero();
    assertThat(sample(m, "xiaolaba_push_outbox_queued")).isZero();
    assertThat(sample(m, "xiaolaba_push_publish_seconds_count")).isEqualTo(1);
    assertThat(sample(m, "xiaolaba_push_fanout_seconds_count")).isGreaterThanOrEqualTo(0);
    assertThat(sample(m, "xiaolaba_ffmpeg_queue")).isZero();
    assertThat(sample(m, "xiaolaba_ffmpeg_active")).isZero();
    assertThat(sample(m, "xiaolaba_clips_processing_seconds_count{outcome=\"ready\"}"))
        .isEqualTo(1);
    assertThat(sample(m, "xiaolaba_quartz_misfires_total{outcome=\"missed\"}")).isZero();
    assertThat(sample(m, "xiaolaba_quartz_misfires_total{outcome=\"late\"}")).isZero();
    assertThat(sample(m, "xiaolaba_redis_ping_seconds_count{outcome=\"ok\"}")).isGreaterThan(0);
    assertThat(sample(m, "xiaolaba_blocking_queue")).isGreaterThanOrEqualTo(0);
    assertThat(sample(m, "xiaolaba_audit_dropped_total{reason=\"busy\"}")).isZero();
    assertThat(sample(m, "xiaolaba_audit_dropped_total{reason=\"failed\"}")).isZero();
    assertThat(sample(m, "jvm_memory_used_bytes")).isGreaterThan(0);
    assertThat(m).contains("jvm_gc_").contains("jvm_threads_live_threads");
    assertThat(sample(m, "system_cpu_count")).isGreaterThan(0);
  }
}
