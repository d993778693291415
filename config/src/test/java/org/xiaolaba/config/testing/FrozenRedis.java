package org.xiaolaba.config.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.xiaolaba.config.redis.EmbeddedRedisServer;

/**
 * Freezes an embedded redis-server for a test, as a stalled host would: {@code SIGSTOP} keeps its
 * connections open and leaves every command unanswered (clients time out) until {@code SIGCONT},
 * after which Redis carries out what it was sent meanwhile. {@link #close} thaws it, so a
 * try-with-resources block never leaves Redis stopped.
 */
public final class FrozenRedis implements AutoCloseable {
  private final EmbeddedRedisServer redis;
  private boolean frozen;

  private FrozenRedis(EmbeddedRedisServer redis) {
    this.redis = redis;
  }

  /** Stops the redis-server process ({@code SIGSTOP}) until {@link #close}. */
  public static FrozenRedis freeze(EmbeddedRedisServer redis) {
    FrozenRedis f = new FrozenRedis(redis);
    signal(redis, "STOP");
    f.frozen = true;
    return f;
  }

  /** Lets it go on ({@code SIGCONT}); once only. */
  @Override
  public void close() {
    if (!frozen) return;
    frozen = false;
    signal(redis, "CONT");
  }

  /** The pid of the embedded redis-server, from its pid file. */
  public static long pid(EmbeddedRedisServer redis) {
    try {
      return Long.parseLong(
          Files.readString(redis.dir().resolve("redis.pid"), StandardCharsets.US_ASCII).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends redis-server a signal ({@code kill -STOP}, {@code kill -CONT}); fails unless it took. */
  public static void signal(EmbeddedRedisServer redis, String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(pid(redis))).inheritIO().start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -" + signal + " exited " + kill.exitValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
