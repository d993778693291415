package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Emergencies, the as-run day log and conflicts over real sockets: terminals hear an emergency at
 * once (or when they connect during it) and hear it stop; the day log reads as JSON and CSV.
 */
class EmergencyApiTest {
  static final String VILLAGE = "320623100201";
  static final String TOWN = "320623100";
  static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String broadcaster;
  static String clipId;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    broadcaster = server.token("broadcaster", "镇广播员", List.of("emergency"), TOWN);
    String editor = server.token("editor", "县台编辑", "320623");
    Path tone = TestServer.tone(work, "alarm.mp3", 20, "-b:a", "64k");
    clipId = server.upload(tone, "alarm", editor);
    assertThat(server.awaitClipSettled(clipId, editor).get("status").asText()).isEqualTo("ready");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void anEmergencyPlaysAtOnceReachesLateTerminalsStopsWhenCalledOffAndIsInTheDayLog()
      throws Exception {
    TestServer.WsRecorder first = server.connect(server.token("terminal", "一号喇叭", VILLAGE));
    first.awaitType("subscribed", WAIT);
    await()
        .atMost(WAIT)
        .until(
            () -> server.get("/api/v1/terminals", broadcaster).body().contains("\"online\":true"));

    HttpResponse<String> created =
        server.postJson(
            "/api/v1/emergency",
            broadcaster,
            Map.of("title", "山洪预警", "areas", List.of(TOWN), "clipId", clipId));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode emergency = TestServer.json(created.body());
    String id = emergency.get("id").asText();
    assertThat(created.headers().firstValue("Location")).contains("/api/v1/emergency/" + id);
    assertThat(emergency.get("status").asText()).isEqualTo("playing");

    // Other tests' programs may come first: plays for the rest of the day are sent on connect.
    JsonNode play = first.await(m -> id.equals(m.path("program").asText()), WAIT);
    assertThat(play.get("type").asText()).isEqualTo("play");
    assertThat(play.get("priority").asText()).isEqualTo("emergency");
    String runId = play.get("runId").asText();
    first.send(Map.of("op", "status", "state", "playing", "runId", runId));

    // A terminal that connects while it plays is told at once.
    TestServer.WsRecorder late = server.connect(server.token("terminal", "二号喇叭", VILLAGE));
    late.await(
        m -> "play".equals(m.path("type").asText()) && runId.equals(m.path("runId").asText()),
        WAIT);

    HttpResponse<String> cancelled =
        server.send(server.request("/api/v1/emergency/" + id, broadcaster).DELETE().build());
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    assertThat(TestServer.json(cancelled.body()).get("status").asText()).isEqualTo("cancelled");
    for (TestServer.WsRecorder t : List.of(first, late)) {
      JsonNode stop = t.awaitType("stop", WAIT);
      assertThat(stop.get("runId").asText()).isEqualTo(runId);
      assertThat(stop.get("program").asText()).isEqualTo(id);
      assertThat(stop.get("reason").asText()).isEqualTo("cancelled");
    }
    JsonNode shown = TestServer.json(server.get("/api/v1/emergency/" + id, broadcaster).body());
    assertThat(shown.get("status").asText()).isEqualTo("cancelled");

    String date =
        OffsetDateTime.parse(emergency.get("startedAt").asText())
            .atZoneSameInstant(ZoneId.of("Asia/Shanghai"))
            .toLocalDate()
            .toString();
    String asRun = "/api/v1/asrun?area=" + VILLAGE + "&date=" + date;
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              JsonNode day = TestServer.json(server.get(asRun, broadcaster).body());
              JsonNode entry = day.get(0);
              assertThat(entry.get("programId").asText()).isEqualTo(id);
              assertThat(entry.get("priority").asText()).isEqualTo("emergency");
              assertThat(entry.get("terminalsTargeted").asInt()).isEqualTo(1);
              assertThat(entry.get("terminalsReached").asInt()).isEqualTo(1);
              assertThat(entry.get("terminalsConfirmed")).hasSize(1);
              assertThat(entry.get("interruptedBy").asText()).startsWith("cancelled at");
            });

    HttpResponse<String> csv =
        server.send(server.request(asRun, broadcaster).header("Accept", "text/csv").GET().build());
    assertThat(csv.headers().firstValue("Content-Type")).contains("text/csv; charset=utf-8");
    List<String> lines = csv.body().lines().toList();
    assertThat(lines.get(0)).startsWith("programId,title,runId,scheduledAt,dispatchedAt,priority");
    assertThat(lines.get(1)).startsWith(id + ",山洪预警," + runId + ",").contains(",1,1,1,false");
    assertThat(server.get(asRun + "&format=csv", broadcaster).body()).isEqualTo(csv.body());
  }

  @Test
  void emergenciesAndDayLogsOutsideTheTokensAreasOrWithBadInputAreRefused() {
    Map<String, Object> elsewhere =
        Map.of("title", "预警", "areas", List.of("320623101201"), "clipId", clipId);
    assertThat(server.postJson("/api/v1/emergency", broadcaster, elsewhere).statusCode())
        .isEqualTo(403);
    String editor = server.token("editor", "编辑", TOWN);
    assertThat(
            server
                .postJson(
                    "/api/v1/emergency",
                    editor,
                    Map.of("title", "预警", "areas", List.of(TOWN), "clipId", clipId))
                .statusCode())
        .isEqualTo(403);
    assertProblem(
        server.postJson(
            "/api/v1/emergency",
            broadcaster,
            Map.of("title", "预警", "areas", List.of(TOWN), "clipId", "nope")),
        400,
        "clipId");
    assertThat(server.get("/api/v1/emergency/em-nope", broadcaster).statusCode()).isEqualTo(404);

    assertProblem(server.get("/api/v1/asrun?date=2026-11-27", broadcaster), 400, "area");
    assertProblem(
        server.get("/api/v1/asrun?area=" + TOWN + "&date=27.11.2026", broadcaster), 400, "date");
    assertThat(server.get("/api/v1/asrun?area=320623&date=2026-11-27", broadcaster).statusCode())
        .isEqualTo(403);
  }

  @Test
  void aProgramOfTheSamePriorityPlayingAtTheSameTimeInTheVillageIsAConflict() {
    String time =
        OffsetDateTime.now(ZoneId.of("Asia/Shanghai"))
            .plusHours(6)
            .toLocalTime()
            .withSecond(0)
            .withNano(0)
            .toString();
    String today = java.time.LocalDate.now(ZoneId.of("Asia/Shanghai")).toString();
    Map<String, Object> program =
        Map.of(
            "title",
            "午间新闻",
            "clipId",
            clipId,
            "areas",
            List.of(TOWN),
            "schedule",
            Map.of("daily", time),
            "startDate",
            today,
            "endDate",
            "2099-12-31");
    HttpResponse<String> first = server.postJson("/api/v1/programs", broadcaster, program);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
    JsonNode created = TestServer.json(first.body());
    assertThat(created.get("startDate").asText()).isEqualTo(today);
    assertThat(created.get("endDate").asText()).isEqualTo("2099-12-31");

    HttpResponse<String> second =
        server.postJson(
            "/api/v1/programs",
            broadcaster,
            Map.of(
                "title",
                "村新闻",
                "clipId",
                clipId,
                "areas",
                List.of(VILLAGE),
                "schedule",
                Map.of("daily", time)));
    assertThat(second.statusCode()).as(second.body()).isEqualTo(409);
    assertThat(second.headers().firstValue("Content-Type")).contains("application/problem+json");
    JsonNode problem = TestServer.json(second.body());
    assertThat(problem.get("conflicts")).hasSize(1);
    assertThat(problem.get("conflicts").get(0).asText()).isEqualTo(created.get("id").asText());
    assertThat(problem.get("detail").asText()).contains(time).contains("this one would play");

    HttpResponse<String> bulletin =
        server.postJson(
            "/api/v1/programs",
            broadcaster,
            Map.of(
                "title",
                "每日广播",
                "source",
                "bulletin",
                "areas",
                List.of(VILLAGE),
                "priority",
                "high",
                "schedule",
                Map.of("daily", time)));
    assertThat(bulletin.statusCode()).as(bulletin.body()).isEqualTo(201);
    assertThat(TestServer.json(bulletin.body()).get("source").asText()).isEqualTo("bulletin");
  }

  private static void assertProblem(HttpResponse<String> r, int status, String field) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
    assertThat(TestServer.json(r.body()).get("field").asText()).isEqualTo(field);
  }
}
