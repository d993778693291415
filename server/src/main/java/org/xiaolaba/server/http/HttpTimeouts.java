package org.xiaolaba.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.xiaolaba.config.Settings;

/**
 * Cuts off HTTP clients that stall: {@code http.idleTimeout} without a byte from a client the
 * server waits on (for a request, between keep-alive requests, or for the rest of a body), {@code
 * http.requestTimeout} over a request line and headers from their first byte, and {@code
 * http.idleTimeout} without the client taking a byte of an answer being written. While the server
 * itself has reading paused (a route at work, an upload's disk queue full) or writes an answer the
 * client is taking, reading is not timed.
 *
 * <p>No timer per connection: each event loop sweeps its own HTTP connections a few times per
 * timeout. A connection upgraded to a WebSocket leaves the sweep (it has its own heartbeat).
 */
public final class HttpTimeouts {
  /** Told to the request handler, through the pipeline, when its client stalled. */
  enum Expired {
    /** Nothing read for {@code http.idleTimeout} while a request or its body was awaited. */
    IDLE,
    /** The request line and headers took longer than {@code http.requestTimeout}. */
    REQUEST_HEAD
  }

  private final Duration idle;
  private final long idleNanos;
  private final long requestNanos;
  private final long sweepMillis;
  private final Map<EventExecutor, Set<Clock>> byLoop = new ConcurrentHashMap<>();

  public HttpTimeouts(Settings.Http cfg) {
    this.idle = cfg.idleTimeout();
    Duration request = cfg.requestTimeout();
    this.idleNanos = idle.toNanos();
    this.requestNanos = request.toNanos();
    // A tenth of the shorter timeout, within 50 ms to 1 s: a stalled client is cut at most that
    // late, and a loop visits its connections at most once a second.
    this.sweepMillis =
        Math.max(50, Math.min(1000, Math.min(idle.toMillis(), request.toMillis()) / 10));
  }

  Duration idle() {
    return idle;
  }

  /** A new connection's clock, to go first in its pipeline (it sees the bytes as they come). */
  Clock clock() {
    return new Clock();
  }

  private Set<Clock> startSweep(EventExecutor loop) {
    Set<Clock> set = ConcurrentHashMap.newKeySet();
    loop.scheduleWithFixedDelay(
        () -> {
          long now = System.nanoTime();
          for (Clock c : set) c.check(now);
        },
        sweepMillis,
        sweepMillis,
        TimeUnit.MILLISECONDS);
    return set;
  }

  /**
   * One connection's times: when a byte last came, when the request head in progress began, and how
   * far the answer being written has got. Only its event loop touches it.
   */
  final class Clock extends ChannelInboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private boolean watched;
    private long lastRead;
    private boolean awaitingHead = true;
    private long headSince;
    private boolean readingPaused;
    private int writeCurrent;
    private long writeProgress;
    private long writePending;
    private long lastWrite;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
      lastRead = System.nanoTime();
      watched = true;
      byLoop.computeIfAbsent(ctx.executor(), HttpTimeouts.this::startSweep).add(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      unwatch();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      unwatch();
      ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      long now = System.nanoTime();
      lastRead = now;
      if (awaitingHead && headSince == 0) headSince = now;
      ctx.fireChannelRead(msg);
    }

    /** The request's head is in: from now on only the idle timeout applies to it. */
    void headReceived() {
      awaitingHead = false;
      headSince = 0;
    }

    /** An answer is out and the connection stays: the next request is awaited from now. */
    void nextRequest() {
      awaitingHead = true;
      headSince = 0;
      lastRead = System.nanoTime();
    }

    /** The connection became a WebSocket: its heartbeat takes over; this leaves the pipeline. */
    void stop() {
      unwatch();
      if (ctx != null && !ctx.isRemoved()) ctx.pipeline().remove(this);
    }

    private void unwatch() {
      if (!watched) return;
      watched = false;
      Set<Clock> onLoop = byLoop.get(ctx.executor());
      if (onLoop != null) onLoop.remove(this);
    }

    private void check(long now) {
      Channel ch = ctx.channel();
      if (!ch.isActive()) {
        unwatch();
        return;
      }
      if (writing(ch, now)) return;
      if (!ch.config().isAutoRead()) {
        readingPaused = true;
        return;
      }
      if (readingPaused) {
        // Counted from when the server started reading again, not from the last byte before.
        readingPaused = false;
        lastRead = now;
      }
      if (awaitingHead && headSince != 0 && now - headSince > requestNanos) {
        expire(Expired.REQUEST_HEAD, now);
      } else if (now - lastRead > idleNanos) {
        expire(Expired.IDLE, now);
      }
    }

    /**
     * Tells the request handler, which answers 408 or closes. The connection stays watched: an
     * answer the client does not take is cut like any other.
     */
    private void expire(Expired why, long now) {
      awaitingHead = false;
      headSince = 0;
      lastRead = now;
      ctx.fireUserEventTriggered(why);
    }

    /**
     * True while an answer is queued: a client taking it, however slowly, is not timed out for not
     * sending; one that takes nothing of it for the idle timeout is closed.
     */
    private boolean writing(Channel ch, long now) {
      ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
      long pending = out == null ? 0 : out.totalPendingWriteBytes();
      if (pending == 0) {
        lastWrite = 0;
        return false;
      }
      int current = System.identityHashCode(out.current());
      long progress = out.currentProgress();
      if (lastWrite == 0
          || current != writeCurrent
          || progress != writeProgress
          || pending != writePending) {
        writeCurrent = current;
        writeProgress = progress;
        writePending = pending;
        lastWrite = now;
      } else if (now - lastWrite > idleNanos) {
        unwatch();
        ctx.close();
      }
      readingPaused = true;
      return true;
    }
  }
}
