package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad programs are answered 400 problem+json naming the field, and nothing is stored. */
class ProgramsApiTest {
  static final String VILLAGE = "320623100201";

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String broadcaster;
  static String clipId;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    broadcaster = server.token("broadcaster", "广播员", VILLAGE);
    String editor = server.token("editor", "编辑", VILLAGE);
    clipId = server.uploadSettled(TestServer.tone(work, "n.mp3", 2), editor).get("id").asText();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Map<String, Object> program(String key, Object value) {
    Map<String, Object> p = new HashMap<>();
    p.put("title", "早间新闻");
    p.put("clipId", clipId);
    p.put("areas", List.of(VILLAGE));
    p.put("schedule", Map.of("daily", "07:00"));
    if (value == null) p.remove(key);
    else p.put(key, value);
    return p;
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of("schedule", Map.of("cron", "0 0 25 * * ?"), "schedule.cron"),
        Arguments.of("schedule", Map.of("daily", "25:00"), "schedule.daily"),
        Arguments.of("schedule", Map.of("once", "next monday"), "schedule.once"),
        Arguments.of("schedule", Map.of("once", "2020-01-01T08:00:00+08:00"), "schedule.once"),
        Arguments.of("timezone", "Mars/Olympus", "timezone"),
        Arguments.of("areas", List.of(VILLAGE, "999999999999"), "areas[1]"),
        Arguments.of("clipId", "no-such-clip", "clipId"),
        Arguments.of("source", "radio", "source"),
        Arguments.of("startDate", "tomorrow", "startDate"),
        Arguments.of("endDate", "2020-01-01", "endDate"),
        Arguments.of("priority", "urgent", "priority"));
  }

  @ParameterizedTest(name = "{0} = {1} is refused naming {2}")
  @MethodSource("refusals")
  void aBadProgramIsRefusedNamingTheFieldAndNothingIsStored(
      String key, Object value, String field) {
    HttpResponse<String> r = server.postJson("/api/v1/programs", broadcaster, program(key, value));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
    JsonNode problem = TestServer.json(r.body());
    assertThat(problem.get("field").asText()).isEqualTo(field);
    assertThat(problem.get("detail").asText()).isNotBlank();
    assertThat(TestServer.json(server.get("/api/v1/programs", broadcaster).body())).isEmpty();
  }
}
