package org.xiaolaba.server.http;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.xiaolaba.server.auth.Principal;

/**
 * Looks a presented token up for a connection: on a blocking worker (the lookup is Redis work),
 * counting an unknown token against the connection's address ({@code
 * http.throttle.authFailuresPerMinute}), then continuing on the connection's event loop. Shared by
 * HTTP's {@code Authorization: Bearer} and the WebSocket's {@code auth} frame, so both count
 * towards the same throttle.
 */
public final class TokenCheck {
  /** What the lookup found; called on the connection's event loop, only while it is open. */
  public interface Done {
    /**
     * {@code known}: the token's principal, null when the token is unknown; {@code error}: why it
     * could not be looked up (Redis down, the workers full), else null.
     */
    void done(Principal known, Throwable error);
  }

  private final Function<String, Optional<Principal>> lookup;
  private final Executor blocking;
  private final ClientThrottle throttle;

  public TokenCheck(
      Function<String, Optional<Principal>> lookup, Executor blocking, ClientThrottle throttle) {
    this.lookup = lookup;
    this.blocking = blocking;
    this.throttle = throttle;
  }

  /** The whole seconds this connection's address must wait before its next token check; 0: now. */
  public long waitFor(Channel ch) {
    return throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, address(ch));
  }

  /** Why this connection's address may not try a token now, naming the limit. */
  public String refusal(Channel ch) {
    return throttle.refusal(ClientThrottle.Kind.AUTH_FAILURE, address(ch));
  }

  /**
   * Counts a failed token check (a token unknown, or none where one was due) against the address.
   */
  public void recordFailure(Channel ch) {
    throttle.record(ClientThrottle.Kind.AUTH_FAILURE, address(ch));
  }

  /**
   * Looks {@code token} up on a blocking worker and calls {@code done} on the channel's event loop.
   * Called on that loop: when the workers refuse the task, {@code done} is called at once.
   */
  public void check(Channel ch, String token, Done done) {
    EventLoop loop = ch.eventLoop();
    try {
      blocking.execute(
          () -> {
            Principal p;
            try {
              p = lookup.apply(token).orElse(null);
              if (p == null) recordFailure(ch);
            } catch (RuntimeException e) {
              loop.execute(() -> finish(ch, done, null, e));
              return;
            }
            loop.execute(() -> finish(ch, done, p, null));
          });
    } catch (RejectedExecutionException e) {
      done.done(null, e);
    }
  }

  private static void finish(Channel ch, Done done, Principal p, Throwable error) {
    if (ch.isActive()) done.done(p, error);
  }

  /** The client's IP address as the throttle counts it ({@link ClientAddress#of}). */
  public static String address(Channel ch) {
    return ClientAddress.of(ch);
  }
}
