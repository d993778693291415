package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What tests of a running node's programs look at: programs made over the API, their as-run log,
 * the {@code play} frames a terminal gets, and the node's metrics.
 */
final class ProgramProbe {
  private ProgramProbe() {}

  /** Makes a program playing {@code clipId} in {@code area} on {@code schedule}; returns its id. */
  static String createProgram(
      TestServer server, String clipId, String area, Map<String, String> schedule) {
    var created =
        server.postJson(
            "/api/v1/programs",
            TestServer.ADMIN,
            Map.of("title", "广播", "clipId", clipId, "areas", List.of(area), "schedule", schedule));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return TestServer.json(created.body()).get("id").asText();
  }

  /** The program's as-run log, as the API gives it. */
  static List<JsonNode> runs(TestServer server, String programId) {
    List<JsonNode> out = new ArrayList<>();
    TestServer.json(server.get("/api/v1/programs/" + programId + "/runs", TestServer.ADMIN).body())
        .forEach(out::add);
    return out;
  }

  /** The scheduled instants of as-run log entries. */
  static List<Instant> scheduled(List<JsonNode> runs) {
    return runs.stream().map(ProgramProbe::scheduledAt).toList();
  }

  static Instant scheduledAt(JsonNode run) {
    return OffsetDateTime.parse(run.get("scheduledAt").asText()).toInstant();
  }

  /** The value of a sample of the node's metrics (its first line starting with {@code name}). */
  static double sample(TestServer server, String name) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "[^\\n]*? ([0-9.eE+-]+)$")
            .matcher(server.get("/metrics", null).body());
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  static boolean isPlayOf(JsonNode m, String programId) {
    return "play".equals(m.path("type").asText()) && programId.equals(m.path("program").asText());
  }

  static Instant startAt(JsonNode play) {
    return OffsetDateTime.parse(play.get("startAt").asText()).toInstant();
  }
}
