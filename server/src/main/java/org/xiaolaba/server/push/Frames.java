package org.xiaolaba.server.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xiaolaba.scheduler.PlayCommand;
import org.xiaolaba.scheduler.StopCommand;
import org.xiaolaba.server.http.Json;

/** The server's WebSocket messages, built in one place so every node writes the same bytes. */
final class Frames {
  private Frames() {}

  /** A push as subscribers see it; {@code dataJson} is the stored payload, already JSON. */
  static String push(String channel, String offset, String dataJson) {
    return "{\"type\":\"push\",\"channel\":"
        + quote(channel)
        + ",\"offset\":"
        + quote(offset)
        + ",\"data\":"
        + dataJson
        + "}";
  }

  static String subscribed(String channel, boolean recovered, String offset, String epoch) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "subscribed");
    m.put("channel", channel);
    m.put("recovered", recovered);
    m.put("offset", offset);
    if (epoch != null) m.put("epoch", epoch);
    return write(m);
  }

  static String error(String code, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "error");
    m.put("code", code);
    m.put("message", message);
    return write(m);
  }

  /** What a terminal plays, and when; sent ahead of {@code startAt}. */
  static String play(PlayCommand c) {
    Map<String, Object> audio = new LinkedHashMap<>();
    audio.put("url", c.audioUrl());
    audio.put("durationMs", c.durationMs());
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("type", "play");
    frame.put("program", c.programId());
    frame.put("runId", c.runId());
    frame.put("title", c.title());
    frame.put("startAt", c.startAt().toString());
    frame.put("priority", c.priority());
    frame.put("audio", audio);
    return write(frame);
  }

  /** Not to play a run from {@code at} on: preempted by a higher priority, or cancelled. */
  static String stop(StopCommand c) {
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("type", "stop");
    frame.put("program", c.programId());
    frame.put("runId", c.runId());
    frame.put("reason", c.reason());
    frame.put("at", c.at().toString());
    return write(frame);
  }

  static String write(Object value) {
    try {
      return Json.MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String quote(String s) {
    return write(s);
  }
}
