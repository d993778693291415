package org.xiaolaba.server.push;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.regex.Pattern;
import org.xiaolaba.server.http.Json;

/**
 * What a client says on its WebSocket ({@code subscribe}, {@code ack}, {@code status}, {@code
 * ping}), checked and handed to the hub; on the connection's event loop. A message the server
 * cannot use is answered with an {@code error} frame by its session.
 */
final class ClientMessages {
  /** The application ping as /client.js sends it, and its answer. */
  private static final String PING = "{\"op\":\"ping\"}";

  private static final String PONG = Frames.write(Map.of("type", "pong"));

  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}:\\d{1,15}");

  private final WebSocketSession session;
  private final PushHub hub;
  private final TerminalPresence presence;
  private final ChannelTable channels;
  private final int maxSubscriptions;

  ClientMessages(
      WebSocketSession session,
      PushHub hub,
      TerminalPresence presence,
      ChannelTable channels,
      int maxSubscriptions) {
    this.session = session;
    this.hub = hub;
    this.presence = presence;
    this.channels = channels;
    this.maxSubscriptions = maxSubscriptions;
  }

  void onText(String text) {
    if (PING.equals(text)) {
      // What every app sends every 25 s: answered without parsing or building JSON.
      session.send(PONG);
      return;
    }
    JsonNode msg;
    try {
      msg = Json.MAPPER.readTree(text);
    } catch (Exception e) {
      error("bad-json", "the message is not valid JSON");
      return;
    }
    if (msg == null || !msg.isObject()) {
      error("bad-message", "a message must be a JSON object with an 'op'");
      return;
    }
    String op = msg.path("op").asText("");
    switch (op) {
      case "subscribe" -> onSubscribe(msg);
      case "ack" -> onAck(msg);
      case "status" -> onStatus(msg);
      case "ping" -> session.send(PONG);
      case "auth" -> onLateAuth();
      default ->
          error(
              "unknown-op",
              "unknown op '" + op + "'; expected auth, subscribe, ack, status or ping");
    }
  }

  /**
   * An auth frame that is not the connection's first message: refused, as frames before it were
   * already taken as the connection's (a resident's, or its token's).
   */
  private void onLateAuth() {
    error(
        "bad-request",
        session.principal() != null
            ? "this connection is authenticated already; auth is only taken as the first frame"
            : "auth is only taken as the connection's first frame; reconnect and send it first");
  }

  private void onSubscribe(JsonNode msg) {
    JsonNode list = msg.get("channels");
    if (list == null || !list.isArray() || list.isEmpty()) {
      error(
          "bad-subscribe",
          "subscribe needs 'channels': a non-empty list such as [\"area:320623\"]");
      return;
    }
    JsonNode since = msg.path("since");
    for (JsonNode c : list) {
      String ch = c.asText(null);
      String refusal = hub.refusal(ch, session);
      if (refusal != null) {
        error("bad-channel", refusal);
        continue;
      }
      if (!channels.contains(ch) && channels.size() >= maxSubscriptions) {
        error("too-many-subscriptions", "at most " + maxSubscriptions + " channels per connection");
        continue;
      }
      if (ch.startsWith(PushHub.CLIP_PREFIX)) {
        channels.add(ch);
        hub.watchClip(session, ch);
        continue;
      }
      String from =
          since.path(ch).isMissingNode() || since.path(ch).isNull()
              ? null
              : since.path(ch).asText();
      if (from != null) {
        try {
          StreamOffset.parse(from);
        } catch (IllegalArgumentException e) {
          error("bad-offset", "since for " + ch + ": " + e.getMessage());
          continue;
        }
      }
      JsonNode epoch = msg.path("epochs").path(ch);
      channels.add(ch);
      hub.subscribe(session, ch, from, epoch.isTextual() ? epoch.asText() : null);
    }
  }

  private void onAck(JsonNode msg) {
    String ch = msg.path("channel").asText("");
    String offset = msg.path("offset").asText("");
    if (!channels.contains(ch)) {
      error("bad-ack", "ack for channel '" + ch + "', which this connection is not subscribed to");
      return;
    }
    try {
      StreamOffset.parse(offset);
    } catch (IllegalArgumentException e) {
      error("bad-ack", e.getMessage());
      return;
    }
    hub.acknowledge(ch, offset);
  }

  private void onStatus(JsonNode msg) {
    if (!session.isTerminal()) {
      error("not-a-terminal", "only terminals report status");
      return;
    }
    presence.status(session.principal(), msg);
    String runId = msg.path("runId").asText(null);
    if (runId == null || !"playing".equals(msg.path("state").asText())) return;
    if (!RUN_ID.matcher(runId).matches()) {
      error("bad-status", "runId must be a run id from a play frame (programId:epochMillis)");
      return;
    }
    hub.confirmPlaying(session, runId);
  }

  private void error(String code, String message) {
    session.error(code, message);
  }
}
