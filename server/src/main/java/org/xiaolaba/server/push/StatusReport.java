package org.xiaolaba.server.push;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A terminal's {@code status} message, checked before anything of it is stored: a known state, run
 * ids that look like run ids, a volume in percent and clock figures within a day. A field out of
 * bounds refuses the whole message ({@link IllegalArgumentException} naming the field), so nothing
 * is half stored. Fields it does not know (a {@code fault} text) are not kept.
 */
record StatusReport(
    String state,
    String nowPlaying,
    String runId,
    Integer volume,
    Long clockOffsetMs,
    Long startErrorMs) {

  static final Set<String> STATES = Set.of("idle", "playing", "fault");

  /** A run id as {@code play} frames carry it: {@code programId:epochMillis}. */
  static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}:\\d{1,15}");

  /** How far a terminal's clock figures may go, either way: a day. */
  static final long MAX_MILLIS = 86_400_000L;

  static StatusReport parse(JsonNode msg) {
    JsonNode state = msg.path("state");
    String s = state.isMissingNode() || state.isNull() ? "idle" : state.asText();
    if (!state.isMissingNode() && !state.isNull() && !state.isTextual() || !STATES.contains(s)) {
      throw new IllegalArgumentException(
          "state must be idle, playing or fault, not " + shown(state));
    }
    Long volume = number(msg, "volume", 0, 100);
    return new StatusReport(
        s,
        runId(msg, "nowPlaying"),
        runId(msg, "runId"),
        volume == null ? null : volume.intValue(),
        number(msg, "clockOffsetMs", -MAX_MILLIS, MAX_MILLIS),
        number(msg, "startErrorMs", -MAX_MILLIS, MAX_MILLIS));
  }

  private static String runId(JsonNode msg, String field) {
    JsonNode v = msg.path(field);
    if (v.isMissingNode() || v.isNull()) return null;
    if (!v.isTextual() || !RUN_ID.matcher(v.asText()).matches()) {
      throw new IllegalArgumentException(
          field + " must be a run id from a play frame (programId:epochMillis), not " + shown(v));
    }
    return v.asText();
  }

  private static Long number(JsonNode msg, String field, long min, long max) {
    JsonNode v = msg.path(field);
    if (v.isMissingNode() || v.isNull()) return null;
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
      throw new IllegalArgumentException(
          field + " must be a whole number from " + min + " to " + max + ", not " + shown(v));
    }
    return v.asLong();
  }

  /** The offending value, cut short: a client's text is never echoed at length. */
  private static String shown(JsonNode v) {
    String text = v.toString();
    return text.length() > 40 ? text.substring(0, 40) + "..." : text;
  }
}
