package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.xiaolaba.server.http.Json;

/** A terminal's status is taken whole or refused, naming the field; nothing unbounded is kept. */
class StatusReportTest {
  static StatusReport parse(String json) throws Exception {
    return StatusReport.parse(Json.MAPPER.readTree(json));
  }

  @Test
  void theReferenceTerminalsStatusIsTaken() throws Exception {
    StatusReport r =
        parse(
            "{\"op\":\"status\",\"state\":\"playing\",\"nowPlaying\":\"p_8a1c:1764216000000\","
                + "\"runId\":\"p_8a1c:1764216000000\",\"volume\":80,\"clockOffsetMs\":-3,"
                + "\"startErrorMs\":12,\"fault\":\"whatever it says\"}");
    assertThat(r)
        .isEqualTo(
            new StatusReport(
                "playing", "p_8a1c:1764216000000", "p_8a1c:1764216000000", 80, -3L, 12L));
    assertThat(parse("{\"op\":\"status\",\"nowPlaying\":null}").state()).isEqualTo("idle");
  }

  @Test
  void unknownStatesAndOversizedOrOddFieldsAreRefusedNamingTheField() {
    String[][] cases = {
      {"{\"state\":\"dancing\"}", "state"},
      {"{\"state\":7}", "state"},
      {"{\"state\":\"" + "x".repeat(100_000) + "\"}", "state"},
      {"{\"state\":\"idle\",\"nowPlaying\":\"" + "p".repeat(5000) + ":1\"}", "nowPlaying"},
      {"{\"state\":\"idle\",\"nowPlaying\":{\"a\":1}}", "nowPlaying"},
      {"{\"state\":\"playing\",\"runId\":\"../../etc\"}", "runId"},
      {"{\"state\":\"idle\",\"volume\":101}", "volume"},
      {"{\"state\":\"idle\",\"volume\":-1}", "volume"},
      {"{\"state\":\"idle\",\"volume\":\"loud\"}", "volume"},
      {"{\"state\":\"idle\",\"volume\":50.5}", "volume"},
      {"{\"state\":\"idle\",\"clockOffsetMs\":1e300}", "clockOffsetMs"},
      {"{\"state\":\"idle\",\"clockOffsetMs\":99999999999999999999999}", "clockOffsetMs"},
      {"{\"state\":\"idle\",\"startErrorMs\":86400001}", "startErrorMs"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> parse(c[0]))
          .as(c[0].length() > 80 ? c[0].substring(0, 80) : c[0])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(c[1])
          .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
    }
  }
}
