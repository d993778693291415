package org.xiaolaba.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One resident's app: a java.net.http WebSocket subscribed to its village channel, sending its last
 * offset in {@code since} when it reconnects. It remembers the push ids it received (until the
 * driver checks them off) so that the driver can tell whether any push was lost.
 */
final class Resident implements WebSocket.Listener {
  private static final ObjectMapper JSON = new ObjectMapper();

  final int index;
  final String village;
  private final String channel;
  private final HttpClient client;
  private final URI uri;
  private final Counters counters;

  /** Push ids received and not yet checked off by the driver. */
  final Set<String> received = ConcurrentHashMap.newKeySet();

  /** Nanotime of the first {@code subscribed}; pushes sent before it are not expected. 0 until. */
  volatile long expectingSince;

  private volatile WebSocket socket;

  /** Sockets this resident closed itself: their close is expected, not counted. */
  private final Set<WebSocket> closedByUs = ConcurrentHashMap.newKeySet();

  private volatile boolean open;
  private volatile String lastOffset;
  private long lastMs = -1;
  private long lastSeq = -1;
  private final StringBuilder partial = new StringBuilder();

  Resident(int index, String village, HttpClient client, URI uri, Counters counters) {
    this.index = index;
    this.village = village;
    this.channel = "area:" + village;
    this.client = client;
    this.uri = uri;
    this.counters = counters;
  }

  boolean isOpen() {
    return open;
  }

  /** Opens the socket (asynchronously); subscribes with {@code since} once it is open. */
  void connect() {
    client
        .newWebSocketBuilder()
        .connectTimeout(java.time.Duration.ofSeconds(20))
        .buildAsync(uri, this)
        .whenComplete(
            (ws, e) -> {
              if (e != null) {
                counters.connectFailures.incrementAndGet();
                counters.note("connect failed: " + e);
                SoakBench.after(2, TimeUnit.SECONDS, this::connect);
              }
            });
  }

  /** Closes the socket with a normal close frame, as an app going to the background would. */
  void close() {
    WebSocket ws = socket;
    open = false;
    if (ws != null) {
      closedByUs.add(ws);
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye")
          .whenComplete(
              (w, e) -> {
                if (e != null) ws.abort();
              });
    }
  }

  void ping() {
    WebSocket ws = socket;
    if (open && ws != null) {
      ws.sendText("{\"op\":\"ping\"}", true);
    }
  }

  @Override
  public void onOpen(WebSocket ws) {
    socket = ws;
    open = true;
    String offset = lastOffset;
    String since = offset == null ? "" : ",\"since\":{\"" + channel + "\":\"" + offset + "\"}";
    ws.sendText("{\"op\":\"subscribe\",\"channels\":[\"" + channel + "\"]" + since + "}", true);
    ws.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    synchronized (partial) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        handle(text);
      }
    }
    ws.request(1);
    return null;
  }

  private void handle(String text) {
    JsonNode m;
    try {
      m = JSON.readTree(text);
    } catch (Exception e) {
      counters.note("unparsable frame: " + text);
      return;
    }
    String type = m.path("type").asText();
    switch (type) {
      case "push" -> {
        String offset = m.path("offset").asText();
        int dash = offset.indexOf('-');
        long ms = Long.parseLong(offset, 0, dash, 10);
        long seq = Long.parseLong(offset, dash + 1, offset.length(), 10);
        if (ms < lastMs || (ms == lastMs && seq <= lastSeq)) {
          counters.duplicates.incrementAndGet();
          return;
        }
        lastMs = ms;
        lastSeq = seq;
        lastOffset = offset;
        counters.pushesReceived.incrementAndGet();
        received.add(m.path("data").path("pushId").asText());
      }
      case "subscribed" -> {
        boolean recovered = m.path("recovered").asBoolean();
        counters.subscribes.incrementAndGet();
        if (lastOffset == null) {
          String offset = m.path("offset").asText(null);
          if (offset != null && offset.indexOf('-') > 0) {
            int dash = offset.indexOf('-');
            lastMs = Long.parseLong(offset, 0, dash, 10);
            lastSeq = Long.parseLong(offset, dash + 1, offset.length(), 10);
            lastOffset = offset;
          }
        } else if (!recovered) {
          counters.notRecovered.incrementAndGet();
        }
        if (expectingSince == 0) expectingSince = System.nanoTime();
      }
      case "error" -> {
        counters.serverErrors.incrementAndGet();
        counters.note("error frame: " + text);
      }
      default -> {
        // pong and anything else: nothing to check
      }
    }
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
    if (closedByUs.remove(ws) || ws != socket) return null;
    open = false;
    {
      counters.serverCloses.incrementAndGet();
      counters.note("server closed resident " + index + ": " + statusCode + " " + reason);
      SoakBench.after(2, TimeUnit.SECONDS, this::connect);
    }
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    if (closedByUs.remove(ws) || (socket != null && ws != socket)) return;
    open = false;
    {
      counters.socketErrors.incrementAndGet();
      counters.note("socket error on resident " + index + ": " + error);
      SoakBench.after(2, TimeUnit.SECONDS, this::connect);
    }
  }
}
