package org.xiaolaba.server.push;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.xiaolaba.server.http.Json;

/**
 * What a client says on its WebSocket ({@code subscribe}, {@code ack}, {@code status}, {@code
 * ping}), checked and handed to the hub; on the connection's event loop. A message the server
 * cannot use is answered with an {@code error} frame by its session.
 *
 * <p>Every message takes one from the connection's {@link OpBucket}, except an {@code ack} that
 * counts (of a push sent on the connection, after the last one it acknowledged there): those are
 * bounded by what the server sent. Past the bucket the connection is closed.
 */
final class ClientMessages {
  /** The application ping as /client.js sends it, and its answer. */
  private static final String PING = "{\"op\":\"ping\"}";

  private static final String PONG = Frames.write(Map.of("type", "pong"));

  private final WebSocketSession session;
  private final PushHub hub;
  private final TerminalPresence presence;
  private final ChannelTable channels;
  private final int maxSubscriptions;
  private final OpBucket ops;

  /** Over its rate: everything it sends after is dropped while the connection closes. */
  private boolean cut;

  ClientMessages(
      WebSocketSession session,
      PushHub hub,
      TerminalPresence presence,
      ChannelTable channels,
      int maxSubscriptions,
      OpBucket ops) {
    this.session = session;
    this.hub = hub;
    this.presence = presence;
    this.channels = channels;
    this.maxSubscriptions = maxSubscriptions;
    this.ops = ops;
  }

  void onText(String text) {
    if (cut) return;
    if (PING.equals(text)) {
      // What every app sends every 25 s: answered without parsing or building JSON.
      if (allowed()) session.send(PONG);
      return;
    }
    JsonNode msg;
    try {
      msg = Json.MAPPER.readTree(text);
    } catch (Exception e) {
      if (allowed()) error("bad-json", "the message is not valid JSON");
      return;
    }
    String op = msg != null && msg.isObject() ? msg.path("op").asText("") : null;
    if ("ack".equals(op)) {
      onAck(msg); // free when it counts: acks of what was sent are bounded by the sending
    } else if (allowed()) {
      handle(op, msg);
    }
  }

  /** Takes one message from the bucket; past it, the connection is told and closed. */
  private boolean allowed() {
    if (ops.take()) return true;
    cut = true;
    session.rateLimited(
        "more messages than this connection may send (websocket.opBurst at once, then"
            + " websocket.opsPerSecond); closing");
    return false;
  }

  private void handle(String op, JsonNode msg) {
    if (op == null) {
      error("bad-message", "a message must be a JSON object with an 'op'");
      return;
    }
    switch (op) {
      case "subscribe" -> onSubscribe(msg);
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
      // Subscribed already (earlier, or in this very list): its messages are coming, nothing is
      // read again and no second `subscribed` is sent. Only a channel the server subscribed a
      // terminal to by itself is read once more, from the terminal's own offset.
      boolean automatic = channels.contains(ch) && channels.firstAskOf(ch);
      if (channels.contains(ch) && !(automatic && hasOffset(since, ch))) continue;
      if (!channels.contains(ch) && channels.size() >= maxSubscriptions) {
        error("too-many-subscriptions", "at most " + maxSubscriptions + " channels per connection");
        continue;
      }
      if (ch.startsWith(PushHub.CLIP_PREFIX)) {
        channels.add(ch);
        hub.watchClip(session, ch);
        continue;
      }
      String from = hasOffset(since, ch) ? since.path(ch).asText() : null;
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

  private static boolean hasOffset(JsonNode since, String ch) {
    return !since.path(ch).isMissingNode() && !since.path(ch).isNull();
  }

  /**
   * Counts an ack of an offset sent on this connection, after the last one it acknowledged on the
   * channel; free from the bucket. Any other ack takes from it: a malformed one is answered with an
   * error, one that does not count is ignored (an ack repeated by a client is no fault).
   */
  private void onAck(JsonNode msg) {
    String ch = msg.path("channel").asText("");
    String offset = msg.path("offset").asText("");
    StreamOffset parsed = null;
    String fault = null;
    if (!channels.contains(ch)) {
      fault = "ack for channel '" + ch + "', which this connection is not subscribed to";
    } else {
      try {
        parsed = StreamOffset.parse(offset);
      } catch (IllegalArgumentException e) {
        fault = e.getMessage();
      }
    }
    if (parsed != null && channels.acknowledge(ch, parsed)) {
      hub.acknowledge(ch, offset);
    } else if (allowed() && fault != null) {
      error("bad-ack", fault);
    }
  }

  private void onStatus(JsonNode msg) {
    if (!session.isTerminal()) {
      error("not-a-terminal", "only terminals report status");
      return;
    }
    StatusReport report;
    try {
      report = StatusReport.parse(msg);
    } catch (IllegalArgumentException e) {
      error("bad-status", e.getMessage());
      return;
    }
    presence.status(session.principal(), report);
    if (report.runId() != null && "playing".equals(report.state())) {
      session.confirmPlaying(report.runId());
    }
  }

  private void error(String code, String message) {
    session.error(code, message);
  }
}
