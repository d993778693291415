package org.xiaolaba.terminal;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal's WebSocket to the server, kept up for as long as the terminal runs: it connects,
 * notices a dead link (nothing heard for {@link #SILENCE_LIMIT} while it pings every {@link
 * #PING_EVERY}), and reconnects after a jittered backoff. Frames in are handed to the listener one
 * at a time; frames out wait in a bounded queue, and a link that cannot drain it is torn down
 * rather than allowed to grow.
 *
 * <p>Concurrency: connection state is guarded by this object's lock; reconnects and the liveness
 * check run on the shared timer; the listener is called from the JDK's WebSocket threads.
 */
final class TerminalLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TerminalLink.class);
  static final int MAX_OUTBOX = 64;
  static final int MAX_MESSAGE_CHARS = 1 << 20;
  static final Duration PING_EVERY = Duration.ofSeconds(20);
  static final Duration SILENCE_LIMIT = Duration.ofSeconds(60);

  /** What the terminal does with the link's events. */
  interface Listener {
    /** The socket is open. */
    void onConnected();

    /** One complete text message; called on a WebSocket thread, must hand work off quickly. */
    void onFrame(String text);

    void onDisconnected(String why);
  }

  private final HttpClient http;
  private final URI uri;

  /** Sent first on every connection, before anything the terminal queues: its auth frame. */
  private final String hello;

  private final String where;
  private final ScheduledExecutorService timer;
  private final ReconnectPolicy policy;
  private final Listener listener;
  private final ArrayDeque<String> outbox = new ArrayDeque<>();
  private WebSocket socket;
  private long generation;
  private boolean sending;
  private boolean closed;
  private int connects;
  private volatile long lastInbound = System.nanoTime();
  private long lastPing;
  private ScheduledFuture<?> liveness;

  TerminalLink(
      HttpClient http,
      URI uri,
      String hello,
      ScheduledExecutorService timer,
      ReconnectPolicy policy,
      Listener listener) {
    this.http = http;
    this.uri = uri;
    this.hello = hello;
    this.where = uri.getScheme() + "://" + uri.getAuthority() + uri.getPath();
    this.timer = timer;
    this.policy = policy;
    this.listener = listener;
  }

  synchronized void start() {
    long every = Math.min(PING_EVERY.toMillis(), 5_000);
    liveness =
        timer.scheduleWithFixedDelay(this::checkLiveness, every, every, TimeUnit.MILLISECONDS);
    connect();
  }

  private synchronized void connect() {
    if (closed) return;
    long gen = ++generation;
    log.debug("Connecting to {}", where);
    http.newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(10))
        .buildAsync(uri, new SocketListener(gen))
        .whenComplete(
            (ws, err) -> {
              if (err != null) disconnected(gen, describe(err));
            });
  }

  private static String describe(Throwable err) {
    Throwable cause =
        err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (cause instanceof WebSocketHandshakeException h) {
      int status = h.getResponse().statusCode();
      return status == 401
          ? "the server refused the terminal token (401); check --token"
          : "the handshake was answered with HTTP " + status;
    }
    return cause.getClass().getSimpleName()
        + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
  }

  private synchronized void connected(long gen, WebSocket ws) {
    if (gen != generation || closed) {
      ws.abort();
      return;
    }
    socket = ws;
    connects++;
    lastInbound = System.nanoTime();
    lastPing = lastInbound;
    log.info("Connected to {}", where);
    send(hello); // the token, before anything else on this connection (reconnects too)
    listener.onConnected();
  }

  /** The connection attempt {@code gen} failed or ended: forget it and plan the next one. */
  private void disconnected(long gen, String why) {
    Duration delay;
    synchronized (this) {
      if (gen != generation) return;
      generation++; // later callbacks of this socket are stale
      boolean wasUp = socket != null;
      if (socket != null) socket.abort();
      socket = null;
      outbox.clear();
      sending = false;
      if (closed) return;
      delay = policy.nextDelay();
      log.info(
          "{} {} ({}); trying again in {} ms",
          wasUp ? "Lost the link to" : "Cannot reach",
          where,
          why,
          delay.toMillis());
      timer.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
    }
    listener.onDisconnected(why);
  }

  /** The connection proved itself (the server answered): the next outage backs off from scratch. */
  synchronized void proven() {
    policy.reset();
  }

  synchronized boolean isConnected() {
    return socket != null;
  }

  synchronized int connects() {
    return connects;
  }

  /** Queues a text frame; false when there is no link. A full queue tears the link down. */
  synchronized boolean send(String text) {
    if (socket == null) return false;
    if (outbox.size() >= MAX_OUTBOX) {
      drop("the outbound queue is full (" + MAX_OUTBOX + " messages)");
      return false;
    }
    outbox.add(text);
    if (!sending) sendNext(generation);
    return true;
  }

  private synchronized void sendNext(long gen) {
    if (gen != generation || socket == null) return;
    String next = outbox.poll();
    sending = next != null;
    if (next == null) return;
    socket
        .sendText(next, true)
        .whenComplete(
            (ws, err) -> {
              if (err != null) disconnected(gen, "send failed: " + describe(err));
              else sendNext(gen);
            });
  }

  /** Cuts the link as if the network dropped it; it reconnects after the backoff. */
  void drop(String why) {
    long gen;
    synchronized (this) {
      if (socket == null) return;
      gen = generation;
    }
    disconnected(gen, why);
  }

  private void checkLiveness() {
    synchronized (this) {
      if (socket == null) return;
      long now = System.nanoTime();
      if (now - lastInbound > SILENCE_LIMIT.toNanos()) {
        timer.execute(() -> drop("nothing heard for " + SILENCE_LIMIT.toSeconds() + " s"));
        return;
      }
      if (now - lastPing < PING_EVERY.toNanos()) return;
      lastPing = now;
    }
    send("{\"op\":\"ping\"}");
  }

  @Override
  public void close() {
    WebSocket ws;
    synchronized (this) {
      closed = true;
      generation++;
      if (liveness != null) liveness.cancel(false);
      ws = socket;
      socket = null;
      outbox.clear();
    }
    if (ws != null) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "terminal stopping")
          .orTimeout(1, TimeUnit.SECONDS)
          .whenComplete((w, err) -> ws.abort());
    }
  }

  private final class SocketListener implements WebSocket.Listener {
    private final long gen;
    private final StringBuilder partial = new StringBuilder();

    SocketListener(long gen) {
      this.gen = gen;
    }

    @Override
    public void onOpen(WebSocket ws) {
      connected(gen, ws);
      ws.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      lastInbound = System.nanoTime();
      if (partial.length() + data.length() > MAX_MESSAGE_CHARS) {
        disconnected(gen, "a message longer than " + MAX_MESSAGE_CHARS + " characters");
        return null;
      }
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        synchronized (TerminalLink.this) {
          if (gen != generation) return null;
        }
        listener.onFrame(text);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      lastInbound = System.nanoTime();
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
      lastInbound = System.nanoTime();
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
      lastInbound = System.nanoTime();
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      String why = "closed by the server: " + code + (reason.isEmpty() ? "" : " " + reason);
      disconnected(gen, code == 1008 ? why + "; check --token" : why);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      disconnected(gen, describe(error));
    }
  }
}
