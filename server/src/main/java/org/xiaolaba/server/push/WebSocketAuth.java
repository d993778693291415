package org.xiaolaba.server.push;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.http.Json;
import org.xiaolaba.server.http.TokenCheck;

/**
 * The first frame of a WebSocket that came without a token: {@code {"op": "auth", "token"}} makes
 * it that token's connection; any other first message leaves it a resident's. Sits in front of the
 * {@link WebSocketSession} until that is decided, then leaves the pipeline.
 *
 * <p>The token is looked up on a blocking worker ({@link TokenCheck}); reading pauses meanwhile,
 * and the frames already read behind the auth frame are held and handed on in order after it, so
 * none is ever taken as a resident's. A known token fires {@link Authenticated} at the session
 * (which answers {@code authed} and, for a terminal, subscribes it); an unknown one closes with
 * 1008 and counts towards the address's failed token checks, as a bad Bearer token does.
 */
final class WebSocketAuth extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(WebSocketAuth.class);

  /** Policy violation: the token is unknown, revoked or missing; do not retry with it. */
  static final int CLOSE_REFUSED = 1008;

  /** The token could not be checked (Redis down, workers full): try again later. */
  static final int CLOSE_TRY_LATER = 1013;

  /** Frames held while the token is looked up; more close the connection. */
  static final int MAX_HELD = 64;

  /** Fired at the session when the auth frame's token is known. */
  record Authenticated(Principal principal) {}

  private final TokenCheck tokens;
  private final BiConsumer<Channel, Principal> authenticated;
  private final ArrayDeque<Object> held = new ArrayDeque<>();
  private boolean checking;

  /** Decided: a resident's or an authenticated connection; this handler is leaving. */
  private boolean passed;

  /** Refused: closing, and nothing more it sent is looked at. */
  private boolean refused;

  /** {@code authenticated}: told of each connection that authenticated (revocations follow it). */
  WebSocketAuth(TokenCheck tokens, BiConsumer<Channel, Principal> authenticated) {
    this.tokens = tokens;
    this.authenticated = authenticated;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      ReferenceCountUtil.release(msg);
    } else if (passed) {
      ctx.fireChannelRead(msg);
    } else if (checking) {
      hold(ctx, msg);
    } else if (msg instanceof TextWebSocketFrame text) {
      String token = authToken(text);
      if (token == null) {
        leave(ctx);
        ctx.fireChannelRead(msg);
      } else {
        text.release();
        begin(ctx, token);
      }
    } else if (msg instanceof BinaryWebSocketFrame) {
      leave(ctx); // a resident's first message, even if the session refuses it
      ctx.fireChannelRead(msg);
    } else {
      ctx.fireChannelRead(msg); // pings, pongs and close decide nothing
    }
  }

  /**
   * The token of an auth frame: "" when its token is missing or not a string; null when the frame
   * is not an auth frame at all.
   */
  static String authToken(TextWebSocketFrame frame) {
    String text = frame.content().toString(StandardCharsets.UTF_8);
    if (!text.contains("auth")) return null; // residents' subscribes, pings: no parsing here
    JsonNode msg;
    try {
      msg = Json.MAPPER.readTree(text);
    } catch (Exception e) {
      return null; // the session answers bad-json
    }
    if (msg == null || !msg.isObject() || !"auth".equals(msg.path("op").asText(null))) return null;
    JsonNode token = msg.get("token");
    return token != null && token.isTextual() ? token.asText() : "";
  }

  private void begin(ChannelHandlerContext ctx, String token) {
    Channel ch = ctx.channel();
    if (tokens.waitFor(ch) > 0) {
      refuse(
          ctx,
          Frames.error("too-many-auth-failures", tokens.refusal(ch)),
          CLOSE_REFUSED,
          "too many failed token checks");
      return;
    }
    if (token.isBlank()) {
      tokens.recordFailure(ch);
      refuse(
          ctx,
          Frames.error("bad-request", "auth needs 'token': the token string an admin issued"),
          CLOSE_REFUSED,
          "auth without a token");
      return;
    }
    checking = true;
    ch.config().setAutoRead(false);
    tokens.check(ch, token, (p, error) -> checked(ctx, p, error));
  }

  private void checked(ChannelHandlerContext ctx, Principal p, Throwable error) {
    checking = false;
    if (error != null) {
      log.info("A WebSocket's token could not be checked: {}", error.toString());
      refuse(
          ctx,
          Frames.error("busy", "the token could not be checked now; reconnect shortly"),
          CLOSE_TRY_LATER,
          "try again later");
      return;
    }
    if (p == null) {
      refuse(ctx, null, CLOSE_REFUSED, "the token is not known (revoked or mistyped)");
      return;
    }
    authenticated.accept(ctx.channel(), p);
    ctx.fireUserEventTriggered(new Authenticated(p));
    leave(ctx);
    while (!held.isEmpty() && ctx.channel().isActive()) ctx.fireChannelRead(held.poll());
    releaseHeld();
    ctx.channel().config().setAutoRead(true);
  }

  private void hold(ChannelHandlerContext ctx, Object msg) {
    if (held.size() >= MAX_HELD) {
      ReferenceCountUtil.release(msg);
      releaseHeld();
      refuse(ctx, null, CLOSE_REFUSED, "too many frames before the auth answer");
      return;
    }
    held.add(msg);
  }

  /** Decided: frames from here on go straight to the session. */
  private void leave(ChannelHandlerContext ctx) {
    passed = true;
    if (ctx.pipeline().context(this) != null) ctx.pipeline().remove(this);
  }

  /** Sends {@code errorFrame} (if any), then closes with {@code code}; nothing more is read. */
  private void refuse(ChannelHandlerContext ctx, String errorFrame, int code, String reason) {
    refused = true;
    releaseHeld();
    Channel ch = ctx.channel();
    ch.config().setAutoRead(false);
    if (!ch.isActive()) return;
    if (errorFrame != null) {
      ch.write(
          new TextWebSocketFrame(Unpooled.copiedBuffer(errorFrame, StandardCharsets.UTF_8)),
          ch.voidPromise());
    }
    ch.writeAndFlush(new CloseWebSocketFrame(code, reason))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private void releaseHeld() {
    while (!held.isEmpty()) ReferenceCountUtil.release(held.poll());
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (!passed) releaseHeld();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    ctx.fireChannelInactive();
  }
}
