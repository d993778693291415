package org.xiaolaba.server.auth;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.redis.RedisSubscription;

/**
 * Closes the open WebSockets of a token once it is revoked, on every node: the WebSocket endpoint
 * tells it which token each connection authenticated with ({@link #track}), and it listens for the
 * ids that {@link TokenStore#revoke} announces. After a lost Redis subscription it checks every
 * token it holds sockets for, so a revocation announced meanwhile is not missed. Every revoked id
 * is also handed to a listener first (a revoked terminal leaves the presence table).
 */
public final class RevokedTokenSockets implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RevokedTokenSockets.class);

  /** Policy violation: the client should not reconnect with the same token. */
  static final int CLOSE_CODE = 1008;

  private final TokenStore tokens;
  private final Map<String, Set<Channel>> byToken = new ConcurrentHashMap<>();
  private final RedisSubscription subscription;
  private final Consumer<String> revoked;

  /** {@code revoked} is told of every revoked token id, on this node, before its sockets close. */
  public RevokedTokenSockets(RedisHandle redis, TokenStore tokens, Consumer<String> revoked) {
    this.tokens = tokens;
    this.revoked = revoked;
    this.subscription =
        new RedisSubscription(
            redis,
            "token-revocations",
            Map.of(tokens.revokedChannel(), this::onRevoked),
            this::recheckAll);
  }

  public void start() {
    if (!subscription.start(Duration.ofSeconds(10))) {
      log.warn("Not yet subscribed to token revocations after 10 s; it keeps trying");
    }
  }

  /**
   * Follows a WebSocket that authenticated with this principal's token (by its first frame, or its
   * URL where allowed) until it closes: a revocation of the token closes it.
   */
  public void track(Channel ch, Principal principal) {
    byToken.computeIfAbsent(principal.id(), k -> ConcurrentHashMap.newKeySet()).add(ch);
    ch.closeFuture().addListener(f -> forget(principal.id(), ch));
  }

  /** Open WebSockets of this node that came with a token. */
  public int tracked() {
    return byToken.values().stream().mapToInt(Set::size).sum();
  }

  private void forget(String tokenId, Channel ch) {
    byToken.computeIfPresent(
        tokenId,
        (k, set) -> {
          set.remove(ch);
          return set.isEmpty() ? null : set;
        });
  }

  private void onRevoked(String tokenId) {
    try {
      revoked.accept(tokenId);
    } catch (RuntimeException e) {
      log.warn("Revocation of token {} not handed on: {}", tokenId, e.toString());
    }
    closeSocketsOf(tokenId);
  }

  private void closeSocketsOf(String tokenId) {
    Set<Channel> open = byToken.remove(tokenId);
    if (open == null) return;
    log.info("Closing {} WebSocket(s) of revoked token {}", open.size(), tokenId);
    for (Channel ch : open) {
      ch.writeAndFlush(new CloseWebSocketFrame(CLOSE_CODE, "token revoked"))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void recheckAll() {
    for (String id : List.copyOf(byToken.keySet())) {
      if (!tokens.exists(id)) onRevoked(id);
    }
  }

  @Override
  public void close() {
    subscription.close();
  }
}
