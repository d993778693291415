package org.xiaolaba.server.push;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.Settings;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.http.ClientAddress;
import org.xiaolaba.server.http.HttpServerInitializer;
import org.xiaolaba.server.http.TokenCheck;
import org.xiaolaba.server.http.WebSocketUpgrade;

/**
 * Turns an HTTP connection on {@code /ws} into a WebSocket session: handshake, frame limits
 * (oversized frames close with 1009), the first-frame auth ({@link WebSocketAuth}), heartbeats, and
 * the outbound bound that cuts slow clients.
 */
public final class WebSocketEndpoint implements WebSocketUpgrade {
  private static final Logger log = LoggerFactory.getLogger(WebSocketEndpoint.class);

  private final Settings.WebSocket cfg;
  private final PushHub hub;
  private final TerminalPresence presence;
  private final WebSocketDecoderConfig decoderConfig;
  private final Map<String, Integer> perAddress = new ConcurrentHashMap<>();
  private final TokenCheck tokens;
  private final BiConsumer<Channel, Principal> authenticated;

  /** Token ids warned about for coming in the URL, once each per node (bounded). */
  private final Set<String> warnedUrlTokens = ConcurrentHashMap.newKeySet();

  static final int MAX_WARNED = 10_000;

  /**
   * {@code tokens} checks the token of an auth frame; {@code authenticated} is told of every
   * connection that authenticated, by its first frame or its URL (revocations close it).
   */
  public WebSocketEndpoint(
      Settings.WebSocket cfg,
      PushHub hub,
      TerminalPresence presence,
      TokenCheck tokens,
      BiConsumer<Channel, Principal> authenticated) {
    this.cfg = cfg;
    this.hub = hub;
    this.presence = presence;
    this.tokens = tokens;
    this.authenticated = authenticated;
    this.decoderConfig =
        WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(cfg.maxFrameSize().intBytes())
            .allowExtensions(false)
            .closeOnProtocolViolation(true)
            .build();
  }

  /**
   * Counts a WebSocket connection against its client address for as long as it stays open; the
   * reason when the address has {@code websocket.maxConnectionsPerIp} already.
   */
  @Override
  public String admit(Channel ch) {
    String ip = ClientAddress.of(ch);
    int max = cfg.maxConnectionsPerIp();
    boolean[] admitted = {false};
    perAddress.compute(
        ip,
        (k, n) -> {
          int open = n == null ? 0 : n;
          if (open >= max) return n;
          admitted[0] = true;
          return open + 1;
        });
    if (!admitted[0]) {
      return "too many WebSocket connections from "
          + ip
          + ": at most "
          + max
          + " (websocket.maxConnectionsPerIp)";
    }
    ch.closeFuture()
        .addListener(f -> perAddress.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1));
    return null;
  }

  /**
   * {@code principal}: the token of {@code ?token=} (only when {@code websocket.allowTokenInUrl});
   * null for a connection that may still send an auth frame first.
   */
  @Override
  public void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, Principal principal) {
    if (principal != null) {
      authenticated.accept(ctx.channel(), principal);
      warnTokenInUrl(principal);
    }
    try {
      String location = "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + PATH;
      WebSocketServerHandshaker handshaker =
          new WebSocketServerHandshakerFactory(location, null, decoderConfig)
              .newHandshaker(request);
      if (handshaker == null) {
        WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
        return;
      }
      handshaker
          .handshake(ctx.channel(), request)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  log.debug("WebSocket handshake failed: {}", f.cause().toString());
                  ctx.close();
                  return;
                }
                int max = cfg.maxOutboundBuffer().intBytes();
                ctx.channel()
                    .config()
                    .setWriteBufferWaterMark(new WriteBufferWaterMark(max / 2, max));
                ChannelPipeline p = ctx.pipeline();
                // Heartbeats are PushHub's sweep over each event loop's sessions, not a timer
                // per connection.
                // Text that is not UTF-8 closes with 1007, as RFC 6455 asks.
                p.addAfter(HttpServerInitializer.HANDLER, "ws-utf8", new Utf8FrameValidator(true));
                p.addAfter(
                    "ws-utf8",
                    "ws-aggregator",
                    new WebSocketFrameAggregator(cfg.maxFrameSize().intBytes()));
                String before = "ws-aggregator";
                if (principal == null) {
                  p.addAfter(before, "ws-auth", new WebSocketAuth(tokens, authenticated));
                  before = "ws-auth";
                }
                p.addAfter(
                    before,
                    "ws-session",
                    new WebSocketSession(
                        hub,
                        principal,
                        presence,
                        cfg.maxSubscriptions(),
                        new OpBucket(cfg.opBurst(), cfg.opsPerSecond(), System::nanoTime),
                        cfg.idleTimeout()));
                p.remove(HttpServerInitializer.HANDLER);
                ctx.channel().config().setAutoRead(true);
              });
    } finally {
      request.release();
    }
  }

  /**
   * Says, once per token id on this node, that a token came in a URL (where proxies and logs keep
   * it); never the token itself.
   */
  private void warnTokenInUrl(Principal p) {
    if (warnedUrlTokens.size() >= MAX_WARNED || !warnedUrlTokens.add(p.id())) return;
    log.warn(
        "Token {} ({} '{}') authenticated a WebSocket with ?token= in the URL; move it to the auth"
            + " frame, then turn websocket.allowTokenInUrl off",
        p.id(),
        p.role().json(),
        p.name());
  }
}
