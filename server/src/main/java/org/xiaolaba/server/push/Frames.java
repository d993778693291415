package org.xiaolaba.server.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xiaolaba.scheduler.PlayCommand;
import org.xiaolaba.scheduler.StopCommand;
import org.xiaolaba.server.http.Json;

/** The server's WebSocket messages, built in one place so every node writes the same bytes. */
final class Frames {
  private Frames() {}

  /**
   * A whole WebSocket text frame on the wire (header and payload; server frames are not masked),
   * encoded once so that every subscriber of a broadcast is written the same bytes without a frame
   * object or an encoder pass of its own.
   */
  static ByteBuf wireText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    int n = payload.length;
    int header = n < 126 ? 2 : n < 65536 ? 4 : 10;
    // Direct memory: the socket writes it as it is, with no copy per subscriber.
    ByteBuf out = Unpooled.directBuffer(header + n, header + n);
    out.writeByte(0x81); // FIN, text
    if (n < 126) {
      out.writeByte(n);
    } else if (n < 65536) {
      out.writeByte(126);
      out.writeShort(n);
    } else {
      out.writeByte(127);
      out.writeLong(n);
    }
    return out.writeBytes(payload);
  }

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

  /** The answer to an accepted {@code auth} frame: who the connection is now. */
  static String authed(org.xiaolaba.server.auth.Principal p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "authed");
    m.put("id", p.id());
    m.put("role", p.role().json());
    m.put("areas", p.areas());
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
