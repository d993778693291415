package org.xiaolaba.terminal;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the terminal reports in {@code {"op": "status"}}: its state ({@code idle}, {@code playing},
 * {@code fault}), the run it plays (or failed to), its volume, how far its clock is from the
 * server's (positive: ahead) and how late, by its clock, the last play's first sound came after its
 * start time.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TerminalStatus(
    String state,
    String nowPlaying,
    int volume,
    Long clockOffsetMs,
    Long startErrorMs,
    String fault) {

  static TerminalStatus idle(int volume) {
    return new TerminalStatus("idle", null, volume, null, null, null);
  }

  TerminalStatus playing(String runId, long startErrorMs) {
    return new TerminalStatus("playing", runId, volume, clockOffsetMs, startErrorMs, null);
  }

  TerminalStatus stopped() {
    return new TerminalStatus("idle", null, volume, clockOffsetMs, startErrorMs, null);
  }

  TerminalStatus failed(String runId, String why) {
    return new TerminalStatus("fault", runId, volume, clockOffsetMs, startErrorMs, why);
  }

  TerminalStatus withClockOffset(Long offsetMs) {
    return new TerminalStatus(state, nowPlaying, volume, offsetMs, startErrorMs, fault);
  }

  /** The status message sent to the server. */
  Map<String, Object> toMessage() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", "status");
    m.put("state", state);
    m.put("nowPlaying", nowPlaying);
    // With "playing", the run id confirms the run in the server's as-run log.
    if (state.equals("playing")) m.put("runId", nowPlaying);
    m.put("volume", volume);
    m.put("clockOffsetMs", clockOffsetMs);
    m.put("startErrorMs", startErrorMs);
    if (fault != null) m.put("fault", fault);
    return m;
  }
}
