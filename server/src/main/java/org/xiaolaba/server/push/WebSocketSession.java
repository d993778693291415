package org.xiaolaba.server.push;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;

/**
 * One WebSocket connection: a resident's app, a console, or a loudspeaker terminal. All of its
 * state is touched only on its event loop. Outbound bytes are bounded by the channel's write
 * watermark: a client that cannot keep up is closed with 4008 rather than buffered.
 */
public final class WebSocketSession extends SimpleChannelInboundHandler<WebSocketFrame>
    implements LoopOutbox.Flushable {
  private static final Logger log = LoggerFactory.getLogger(WebSocketSession.class);
  static final int CLOSE_SLOW = 4008;

  /**
   * Sent too many messages too fast ({@code websocket.opBurst}, {@code websocket.opsPerSecond}).
   */
  static final int CLOSE_RATE_LIMITED = 4029;

  static final int MAX_ERRORS = 5;

  /** How long a close frame may wait behind a full queue, at most. */
  static final java.time.Duration MAX_CLOSE_GRACE = java.time.Duration.ofSeconds(10);

  private final PushHub hub;
  private final TerminalPresence presence;
  private final long closeGraceMillis;
  private final ChannelTable channels = new ChannelTable();
  private final ClientMessages messages;

  /**
   * Who this connection is: null for a resident; set once, when it authenticates (its first frame,
   * {@link WebSocketAuth}) or at the handshake (a token in the URL, when allowed).
   */
  private volatile Principal principal;

  /** Live messages held while channels' histories are replayed. */
  private final HeldLive held = new HeldLive();

  private Channel channel;
  private int errors;
  private boolean closing;

  /** Live messages written by the loop's outbox and not flushed yet. */
  private boolean unflushed;

  private long lastRead;
  private long lastPing;

  /** The runs a terminal was sent plays for (what its status may confirm); null for others. */
  private TerminalRuns runs;

  public WebSocketSession(
      PushHub hub,
      Principal principal,
      TerminalPresence presence,
      int maxSubscriptions,
      OpBucket ops,
      java.time.Duration idleTimeout) {
    this.hub = hub;
    this.principal = principal;
    this.presence = presence;
    this.messages = new ClientMessages(this, hub, presence, channels, maxSubscriptions, ops);
    this.closeGraceMillis = Math.min(idleTimeout.toMillis(), MAX_CLOSE_GRACE.toMillis());
  }

  /** Unique among this node's and other nodes' connections while it is open. */
  private String connectionId() {
    return channel.id().asLongText();
  }

  Principal principal() {
    return principal;
  }

  /** Stops watching a channel that turned out not to exist (or cannot be checked), says why. */
  void unwatch(String ch, String code, String reason) {
    channel
        .eventLoop()
        .execute(
            () -> {
              channels.remove(ch);
              hub.unwatch(this, ch);
              error(code, reason);
            });
  }

  boolean isTerminal() {
    return principal != null && principal.role() == Role.TERMINAL;
  }

  List<String> terminalAreas() {
    return principal == null ? List.of() : principal.areas();
  }

  List<String> channels() {
    return channels.names();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    lastRead = lastPing = System.nanoTime();
    hub.register(this);
    if (isTerminal()) startTerminal();
  }

  /**
   * The connection's first frame authenticated it: answered {@code authed}, then a terminal is
   * subscribed and sent its plays of the day, before any frame it sent after the auth frame.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!(evt instanceof WebSocketAuth.Authenticated a)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    principal = a.principal();
    send(Frames.authed(principal));
    if (isTerminal()) startTerminal();
  }

  /** A terminal is subscribed to its areas and its own channel, and sent its plays of the day. */
  private void startTerminal() {
    presence.connected(principal, connectionId());
    runs = new TerminalRuns();
    for (String area : principal.areas()) {
      channels.addAutomatic("area:" + area);
      hub.subscribe(this, "area:" + area, null, null);
    }
    String own = PushHub.TERMINAL_PREFIX + principal.id();
    channels.addAutomatic(own);
    hub.subscribe(this, own, null, null);
    hub.terminals().sendUpcoming(this);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    hub.unregister(this);
    held.releaseAll();
    if (isTerminal()) presence.disconnected(principal, connectionId());
    ctx.fireChannelInactive();
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    lastRead = System.nanoTime();
    if (frame instanceof TextWebSocketFrame text) {
      messages.onText(text.text());
    } else if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame) {
      ctx.writeAndFlush(new CloseWebSocketFrame(1000, "bye"))
          .addListener(ChannelFutureListener.CLOSE);
    } else if (frame instanceof BinaryWebSocketFrame) {
      error("binary", "binary frames are not supported; send JSON text frames");
    }
    // Pong frames only prove the client is alive, which lastRead now says.
  }

  /** Sent too many messages too fast: says so, then closes ({@link #CLOSE_RATE_LIMITED}). */
  void rateLimited(String message) {
    log.debug("Closing {}: {}", channel.remoteAddress(), message);
    send(Frames.error("rate-limited", message));
    closeWith(CLOSE_RATE_LIMITED, "rate limited");
  }

  /**
   * A {@code play} for {@code runId} to this terminal, from any thread: noted (its status may then
   * confirm the run) and sent.
   */
  void sendPlay(String runId, ByteBuf frame) {
    if (!channel.eventLoop().inEventLoop()) {
      channel.eventLoop().execute(() -> sendPlay(runId, frame));
      return;
    }
    if (runs != null && runs.sent(runId)) hub.terminals().confirmPlaying(this, runId);
    send(frame);
  }

  /** The terminal reports playing {@code runId}: counted when it was sent here, once. */
  void confirmPlaying(String runId) {
    if (runs != null && runs.confirm(runId)) hub.terminals().confirmPlaying(this, runId);
  }

  /** Answers a message the server cannot use; after {@link #MAX_ERRORS} the connection closes. */
  void error(String code, String message) {
    errors++;
    send(Frames.error(code, message));
    if (errors >= MAX_ERRORS) {
      log.info("Closing a WebSocket after {} bad messages", errors);
      closeWith(1008, "too many bad messages");
    }
  }

  // ---- delivery ----

  void beginReplay(String ch) {
    // A second subscribe to a channel whose replay is still running (a terminal's automatic one,
    // then its own with `since`) shares the held messages instead of dropping them.
    held.begin(ch);
  }

  /** Called from a worker when the history is read: continue on the event loop. */
  void endReplay(String ch, ChannelHistory.Replay replay) {
    channel
        .eventLoop()
        .execute(
            () -> {
              send(Frames.subscribed(ch, replay.recovered(), replay.lastOffset(), replay.epoch()));
              // A catch-up after a lost Redis subscription starts from the offset the client was
              // told of, at the latest.
              if (replay.lastOffset() != null) {
                channels.announced(ch, StreamOffset.parse(replay.lastOffset()));
              }
              finishReplay(ch, replay.entries());
            });
  }

  /** Sends the entries not sent yet, then what arrived live meanwhile; on the event loop. */
  private void finishReplay(String ch, List<ChannelHistory.Entry> entries) {
    for (ChannelHistory.Entry e : entries) {
      StreamOffset offset = StreamOffset.parse(e.offset());
      if (channels.sent(ch, offset)) continue;
      send(e.frame());
      channels.sentNow(ch, offset);
    }
    held.end(ch, (offset, frame) -> deliverNow(ch, offset, frame, true));
  }

  /**
   * The node's pub/sub link to Redis dropped and is back: live messages may have been missed. Each
   * of this connection's channels is read from its last offset and what it lacks is sent, in order,
   * with no new {@code subscribed} (the client's offsets stay valid).
   */
  void catchUp() {
    channel
        .eventLoop()
        .execute(
            () -> {
              if (!channel.isActive()) return;
              for (String ch : channels.names()) {
                if (ch.startsWith(PushHub.CLIP_PREFIX)) continue;
                StreamOffset last = channels.last(ch);
                beginReplay(ch);
                hub.catchUp(this, ch, last == null ? "0-0" : last.toString());
              }
            });
  }

  /** Called from a reader when a catch-up's entries are read: continue on the event loop. */
  void endCatchUp(String ch, List<ChannelHistory.Entry> entries) {
    channel.eventLoop().execute(() -> finishReplay(ch, entries));
  }

  /** Runs {@code task} on the event loop after {@code millis}, if the connection is still open. */
  void later(long millis, Runnable task) {
    channel
        .eventLoop()
        .schedule(
            () -> {
              if (channel.isActive()) task.run();
            },
            millis,
            java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * The history could not be read ({@code why}: too many reads waiting, or Redis not answering):
   * this client should come back a little later with its offsets.
   */
  void tryAgainLater(String ch, String why) {
    channel
        .eventLoop()
        .execute(
            () -> {
              log.info("History of {} not read for {}: {}", ch, channel, why);
              error("busy", "the server is busy; reconnect shortly with your offsets");
              closeWith(1013, "try again later");
            });
  }

  /** The event loop this connection lives on. */
  io.netty.util.concurrent.EventExecutor loop() {
    return channel.eventLoop();
  }

  /**
   * A live message, on this connection's event loop: {@code frame} is its whole wire frame ({@link
   * Frames#wireText}), owned from here.
   */
  boolean deliverInLoop(String ch, StreamOffset offset, ByteBuf frame) {
    if (held.holding(ch)) {
      if (!held.hold(ch, offset, frame)) closeWith(CLOSE_SLOW, "slow");
      return false;
    }
    // Not flushed here: the outbox flushes once it has written this pass's messages.
    if (!deliverNow(ch, offset, frame, false) || unflushed) return false;
    unflushed = true;
    return true;
  }

  /** Flushes what {@link #deliverInLoop} wrote; on the event loop, by the loop's outbox. */
  @Override
  public void flushLive() {
    unflushed = false;
    channel.flush();
  }

  /**
   * This connection's event loop is too far behind to take another live message: close with 1013,
   * and the client comes back with its offsets and reads what it lacks from the history. On the
   * event loop; nothing when the connection is closing already.
   */
  void tooFarBehind() {
    log.debug("Closing {}: its event loop is too far behind", channel.remoteAddress());
    closeWith(1013, "try again later");
  }

  /**
   * Writes {@code wire}, a whole frame from {@link Frames#wireText}, unless a message at or after
   * its offset was sent on the channel already (during a replay); true when it was written.
   */
  private boolean deliverNow(String ch, StreamOffset offset, ByteBuf wire, boolean flush) {
    if (channels.sent(ch, offset)) {
      wire.release(); // already sent during the replay
      return false;
    }
    channels.sentNow(ch, offset);
    return write(wire, flush);
  }

  /**
   * Called on the event loop every so often ({@link PushHub}'s sweep): pings a connection that has
   * said nothing for {@code pingNanos} (once per interval, however many pushes it is being sent: a
   * client that only answers pings stays connected), and closes one that has said nothing, not even
   * a pong, for {@code idleNanos}.
   */
  void heartbeat(long now, long pingNanos, long idleNanos) {
    if (!channel.isActive()) return;
    if (now - lastRead > idleNanos) {
      log.debug("Closing a WebSocket that was silent past the idle timeout");
      closeWith(1001, "idle timeout");
    } else if (now - lastRead > pingNanos && now - lastPing > pingNanos) {
      lastPing = now;
      channel.writeAndFlush(new PingWebSocketFrame(Unpooled.EMPTY_BUFFER), channel.voidPromise());
    }
  }

  void send(String text) {
    send(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
  }

  /** Sends a text frame from any thread; a connection past its outbound bound is closed (4008). */
  void send(ByteBuf text) {
    if (!channel.eventLoop().inEventLoop()) {
      channel.eventLoop().execute(() -> send(text));
      return;
    }
    write(new TextWebSocketFrame(text), true);
  }

  /**
   * Writes a frame (or a whole frame's bytes) on the event loop, and flushes it when asked; a
   * connection past its outbound bound is closed (4008) instead. True when it was written.
   */
  private boolean write(io.netty.util.ReferenceCounted frame, boolean flush) {
    if (!channel.isActive()) {
      frame.release();
      return false;
    }
    if (!channel.isWritable() && unflushed) {
      // Over the bound with what this outbox pass wrote and has not tried to send yet: send it
      // first; only what the client has not taken counts against it.
      channel.flush();
    }
    if (!channel.isWritable()) {
      frame.release();
      log.info(
          "Closing a slow WebSocket client {} (outbound buffer full)", channel.remoteAddress());
      closeWith(CLOSE_SLOW, "slow");
      return false;
    }
    if (flush) {
      channel.writeAndFlush(frame, channel.voidPromise());
    } else {
      channel.write(frame, channel.voidPromise());
    }
    return true;
  }

  /** Closes with 1001 (going away); the future completes when the connection is closed. */
  io.netty.channel.ChannelFuture goAway() {
    channel.eventLoop().execute(() -> closeWith(1001, "server shutting down"));
    return channel.closeFuture();
  }

  /**
   * Sends a close frame and closes; if the frame cannot go out within the idle timeout (at most
   * {@link #MAX_CLOSE_GRACE}: a client that reads nothing, its queue full), the connection is
   * closed anyway and its queue freed.
   */
  private void closeWith(int code, String reason) {
    if (!channel.isActive() || closing) return;
    closing = true;
    channel
        .writeAndFlush(new CloseWebSocketFrame(code, reason))
        .addListener(ChannelFutureListener.CLOSE);
    channel
        .eventLoop()
        .schedule(
            () -> {
              if (channel.isOpen()) channel.close();
            },
            closeGraceMillis,
            java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("WebSocket error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
