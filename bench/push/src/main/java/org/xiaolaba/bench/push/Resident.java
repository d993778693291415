package org.xiaolaba.bench.push;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One simulated resident's app: a WebSocket subscribed to its village channel, reconnecting with
 * its last offset in {@code since} (jittered backoff, as {@code /client.js} does) whenever the link
 * drops while it should be connected. Its state is touched only on its own event loop; the fields
 * the worker's command thread reads are volatile.
 */
final class Resident {
  private static final long MIN_DELAY_MS = 500;
  private static final long MAX_DELAY_MS = 30_000;
  private static final long PING_MS = 25_000;

  private final Worker worker;
  private final EventLoop loop;
  private final InetSocketAddress local;
  private final InetSocketAddress remote;
  private final URI uri;
  final String channel;

  private Channel link;
  private long lastMs = -1;
  private long lastSeq = -1;
  private int failures;
  private boolean wanted;
  private boolean everSubscribed;

  /** Pushes received in order since the last reset (each offset counted once). */
  volatile int received;

  /** Pushes whose offset was not after the last one seen (replayed twice, or out of order). */
  volatile int duplicates;

  /** Whether the last {@code subscribed} of the current link has come, and what it said. */
  volatile boolean subscribed;

  volatile boolean recovered;

  /** Nanotime when this resident had subscribed and held {@link #target} pushes; 0 until then. */
  volatile long caughtUpAt;

  /** The count of pushes that makes this resident caught up; unbounded until set. */
  volatile int target = Integer.MAX_VALUE;

  Resident(
      Worker worker,
      EventLoop loop,
      InetSocketAddress local,
      InetSocketAddress remote,
      String channel) {
    this.worker = worker;
    this.loop = loop;
    this.local = local;
    this.remote = remote;
    this.channel = channel;
    this.uri = URI.create("ws://" + remote.getHostString() + ":" + remote.getPort() + "/ws");
  }

  URI uri() {
    return uri;
  }

  /** Connects now (from any thread) and keeps the link up until {@link #drop}. */
  void connect() {
    loop.execute(
        () -> {
          wanted = true;
          open();
        });
  }

  /** Closes the socket abruptly (no close frame), as a phone losing its network would. */
  void drop() {
    loop.execute(
        () -> {
          wanted = false;
          subscribed = false;
          if (link != null) link.close();
        });
  }

  /** Forgets the counts, keeping the offset, before a scenario that checks delivery. */
  void reset(int newTarget) {
    loop.execute(
        () -> {
          received = 0;
          duplicates = 0;
          caughtUpAt = 0;
          target = newTarget;
          checkCaughtUp();
        });
  }

  void setTarget(int newTarget) {
    loop.execute(
        () -> {
          target = newTarget;
          checkCaughtUp();
        });
  }

  private void open() {
    if (!wanted || (link != null && link.isOpen())) return;
    subscribed = false;
    Bootstrap b = worker.bootstrap().clone(loop).attr(Worker.RESIDENT, this);
    ChannelFuture f = b.connect(remote, local);
    link = f.channel();
    f.addListener(
        done -> {
          if (!done.isSuccess()) {
            worker.connectFailed(done.cause());
            retry(f.channel());
          }
        });
  }

  /**
   * The handshake completed: subscribe, with the last offset when there is one, and ping every 25 s
   * as {@code /client.js} does (the server closes a connection it has heard nothing from for 60 s).
   */
  void onOpen(Channel ch) {
    long first = PING_MS / 2 + ThreadLocalRandom.current().nextLong(PING_MS / 2);
    ScheduledFuture<?> ping =
        loop.scheduleAtFixedRate(
            () -> ch.writeAndFlush(new TextWebSocketFrame("{\"op\":\"ping\"}")),
            first,
            PING_MS,
            TimeUnit.MILLISECONDS);
    ch.closeFuture().addListener(f -> ping.cancel(false));
    String last = lastOffset();
    String since = last == null ? "" : ",\"since\":{\"" + channel + "\":\"" + last + "\"}";
    ch.writeAndFlush(
        new TextWebSocketFrame(
            "{\"op\":\"subscribe\",\"channels\":[\"" + channel + "\"]" + since + "}"));
  }

  void onText(String text) {
    if (text.startsWith("{\"type\":\"subscribed\"")) {
      failures = 0;
      recovered = text.contains("\"recovered\":true");
      subscribed = true;
      boolean first = !everSubscribed;
      everSubscribed = true;
      if (!recovered) worker.notRecovered();
      if (lastMs < 0) {
        // A fresh subscriber starts from the newest offset, so a later since replays only news.
        String offset = field(text, "\"offset\":\"");
        if (offset != null) remember(offset);
      }
      checkCaughtUp();
      worker.subscribed(first);
    } else if (text.startsWith("{\"type\":\"error\"")) {
      worker.serverError(text);
    }
  }

  /**
   * A push, read by {@link PushFrameReader}: its offset as {@code ms-seq}, and where its push id
   * and {@code sentAt} lie in {@code payload} (-1 when absent), which is valid during the call
   * only.
   */
  void onPush(long ms, long seq, byte[] payload, int idFrom, int idTo, int sentFrom, int sentTo) {
    if (ms < lastMs || (ms == lastMs && seq <= lastSeq)) {
      duplicates++;
      worker.duplicate();
      return;
    }
    lastMs = ms;
    lastSeq = seq;
    received++;
    worker.push(payload, idFrom, idTo, sentFrom, sentTo);
    checkCaughtUp();
  }

  private void remember(String offset) {
    int dash = offset.indexOf('-');
    lastMs = Long.parseLong(offset, 0, dash, 10);
    lastSeq = Long.parseLong(offset, dash + 1, offset.length(), 10);
  }

  /** The last offset received, or null before the first. */
  private String lastOffset() {
    return lastMs < 0 ? null : lastMs + "-" + lastSeq;
  }

  private void checkCaughtUp() {
    if (caughtUpAt == 0 && subscribed && received >= target) caughtUpAt = System.nanoTime();
  }

  /** The link closed: reconnect after a jittered, growing delay when it should be up. */
  void onClosed(Channel ch) {
    if (ch != link) return;
    subscribed = false;
    if (!wanted) return;
    worker.unexpectedClose();
    retry(ch);
  }

  private void retry(Channel ch) {
    if (ch != link || !wanted) return;
    long cap = Math.min(MAX_DELAY_MS, MIN_DELAY_MS << Math.min(failures, 10));
    failures++;
    long delay = cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
    loop.schedule(this::open, delay, TimeUnit.MILLISECONDS);
  }

  /** The value of a string field, found by its opening {@code "name":"} text. */
  static String field(String text, String opening) {
    int i = text.indexOf(opening);
    if (i < 0) return null;
    int from = i + opening.length();
    int to = text.indexOf('"', from);
    return to < 0 ? null : text.substring(from, to);
  }
}
