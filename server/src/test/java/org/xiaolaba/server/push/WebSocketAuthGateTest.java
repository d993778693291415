package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.Settings;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ClientThrottle;
import org.xiaolaba.server.http.TokenCheck;

/**
 * {@link WebSocketAuth} in an {@link EmbeddedChannel}: the lookup's worker is a queue the test runs
 * when it chooses, so what arrives while a token is being checked can be seen to wait.
 */
class WebSocketAuthGateTest {
  static final Principal TERMINAL =
      new Principal("t1", Role.TERMINAL, "一号喇叭", List.of("320623100201"), Instant.EPOCH);

  /** The blocking worker: tasks run only when the test says so. */
  final ArrayDeque<Runnable> worker = new ArrayDeque<>();

  final ClientThrottle throttle =
      new ClientThrottle(new Settings.Throttle(2, 0, 0, true), Clock.systemUTC());
  final List<Principal> tracked = new ArrayList<>();

  /** What reaches the session behind the gate: frames' text (or kind) and auth events. */
  final List<String> session = new ArrayList<>();

  EmbeddedChannel channel(Function<String, Optional<Principal>> lookup) {
    return channel(new TokenCheck(lookup, worker::add, throttle));
  }

  EmbeddedChannel channel(TokenCheck check) {
    return new EmbeddedChannel(
        new WebSocketAuth(check, (ch, p) -> tracked.add(p)),
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            session.add(
                msg instanceof TextWebSocketFrame t ? t.text() : msg.getClass().getSimpleName());
            io.netty.util.ReferenceCountUtil.release(msg);
          }

          @Override
          public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketAuth.Authenticated a)
              session.add("authed " + a.principal().id());
          }
        });
  }

  static TextWebSocketFrame text(String s) {
    return new TextWebSocketFrame(s);
  }

  @Test
  void framesBehindTheAuthFrameWaitForTheLookupThenFollowTheAuthInOrder() {
    EmbeddedChannel ch = channel(t -> t.equals("good") ? Optional.of(TERMINAL) : Optional.empty());
    ch.writeInbound(text("{\"op\":\"auth\",\"token\":\"good\"}"));
    TextWebSocketFrame subscribe = text("{\"op\":\"subscribe\",\"channels\":[\"area:320623\"]}");
    ch.writeInbound(
        subscribe, new PingWebSocketFrame(Unpooled.EMPTY_BUFFER), text("{\"op\":\"ping\"}"));

    assertThat(session).as("nothing goes on while the token is looked up").isEmpty();
    assertThat(ch.config().isAutoRead()).isFalse();
    assertThat(subscribe.refCnt()).isEqualTo(1);

    worker.poll().run();
    ch.runPendingTasks();

    assertThat(session)
        .containsExactly(
            "authed t1",
            "{\"op\":\"subscribe\",\"channels\":[\"area:320623\"]}",
            "PingWebSocketFrame",
            "{\"op\":\"ping\"}");
    assertThat(tracked).containsExactly(TERMINAL);
    assertThat(ch.pipeline().get(WebSocketAuth.class)).as("the gate has left").isNull();
    assertThat(ch.config().isAutoRead()).isTrue();
    ch.writeInbound(text("{\"op\":\"auth\",\"token\":\"good\"}"));
    assertThat(session).last().isEqualTo("{\"op\":\"auth\",\"token\":\"good\"}");
    assertThat(worker).as("a later auth frame is the session's to refuse").isEmpty();
  }

  @Test
  void anUnknownTokenClosesWith1008DropsWhatWaitedAndCountsAFailure() {
    EmbeddedChannel ch = channel(t -> Optional.empty());
    ch.writeInbound(text("{\"op\":\"auth\",\"token\":\"forged\"}"));
    TextWebSocketFrame waiting = text("{\"op\":\"subscribe\",\"channels\":[\"area:320623\"]}");
    ch.writeInbound(waiting);
    worker.poll().run();
    ch.runPendingTasks();

    CloseWebSocketFrame close = ch.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1008);
    assertThat(close.reasonText()).contains("not known");
    close.release();
    assertThat(session).as("never taken as a resident's").isEmpty();
    assertThat(waiting.refCnt()).isZero();
    assertThat(tracked).isEmpty();
    assertThat(ch.isOpen()).isFalse();
    assertThat(throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, "?"))
        .as("one of two failures left")
        .isZero();
    throttle.record(ClientThrottle.Kind.AUTH_FAILURE, "?");
    assertThat(throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, "?")).isPositive();
  }

  @Test
  void aThrottledAddressIsRefusedWithoutALookup() {
    throttle.record(ClientThrottle.Kind.AUTH_FAILURE, "?");
    throttle.record(ClientThrottle.Kind.AUTH_FAILURE, "?");
    EmbeddedChannel ch = channel(t -> Optional.of(TERMINAL));
    ch.writeInbound(text("{\"op\":\"auth\",\"token\":\"good\"}"), text("{\"op\":\"ping\"}"));

    assertThat(worker).isEmpty();
    TextWebSocketFrame error = ch.readOutbound();
    assertThat(error.text()).contains("too-many-auth-failures");
    error.release();
    CloseWebSocketFrame close = ch.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1008);
    close.release();
    assertThat(session).isEmpty();
  }

  @Test
  void anAuthFrameWithoutATokenStringIsRefusedAndCounted() {
    EmbeddedChannel ch = channel(t -> Optional.of(TERMINAL));
    ch.writeInbound(text("{\"op\":\"auth\",\"token\":42}"));
    assertThat(worker).isEmpty();
    TextWebSocketFrame error = ch.readOutbound();
    assertThat(error.text()).contains("bad-request");
    error.release();
    CloseWebSocketFrame close = ch.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1008);
    close.release();
    throttle.record(ClientThrottle.Kind.AUTH_FAILURE, "?");
    assertThat(throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, "?")).isPositive();
  }

  @Test
  void aFirstFrameThatIsNotAuthMakesAResidentWithoutALookup() {
    EmbeddedChannel ch = channel(t -> Optional.of(TERMINAL));
    ch.writeInbound(
        new PingWebSocketFrame(Unpooled.EMPTY_BUFFER),
        text("{\"op\":\"subscribe\",\"channels\":[\"area:320623\"],\"note\":\"auth\"}"),
        text("{\"op\":\"auth\",\"token\":\"good\"}"));
    assertThat(worker).isEmpty();
    assertThat(session).hasSize(3).first().isEqualTo("PingWebSocketFrame");
    assertThat(session).noneMatch(s -> s.startsWith("authed"));
    assertThat(ch.pipeline().get(WebSocketAuth.class)).isNull();
  }

  @Test
  void aLookupThatFailsOrCannotBeQueuedClosesWith1013() {
    EmbeddedChannel down =
        channel(
            t -> {
              throw new IllegalStateException("Redis is down");
            });
    down.writeInbound(text("{\"op\":\"auth\",\"token\":\"good\"}"));
    worker.poll().run();
    down.runPendingTasks();
    TextWebSocketFrame busy = down.readOutbound();
    assertThat(busy.text()).contains("\"busy\"");
    busy.release();
    CloseWebSocketFrame close = down.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1013);
    close.release();

    EmbeddedChannel full =
        channel(
            new TokenCheck(
                t -> Optional.of(TERMINAL),
                task -> {
                  throw new RejectedExecutionException("full");
                },
                throttle));
    full.writeInbound(text("{\"op\":\"auth\",\"token\":\"good\"}"));
    full.<TextWebSocketFrame>readOutbound().release();
    CloseWebSocketFrame refused = full.readOutbound();
    assertThat(refused.statusCode()).isEqualTo(1013);
    refused.release();
    assertThat(session).isEmpty();
  }

  @Test
  void tooManyFramesWhileTheTokenIsCheckedCloseTheConnection() {
    EmbeddedChannel ch = channel(t -> Optional.of(TERMINAL));
    ch.writeInbound(text("{\"op\":\"auth\",\"token\":\"good\"}"));
    List<TextWebSocketFrame> sent = new ArrayList<>();
    for (int i = 0; i <= WebSocketAuth.MAX_HELD; i++) {
      TextWebSocketFrame f = text("{\"op\":\"ping\"}");
      sent.add(f);
      ch.writeInbound(f);
    }
    CloseWebSocketFrame close = ch.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1008);
    close.release();
    assertThat(sent).allMatch(f -> f.refCnt() == 0);
    worker.poll().run();
    ch.runPendingTasks();
    assertThat(session).as("the lookup's answer comes to a closed connection").isEmpty();
  }
}
