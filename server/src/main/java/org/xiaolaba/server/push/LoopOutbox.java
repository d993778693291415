package org.xiaolaba.server.push;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live messages waiting for one event loop's connections. A fan-out queues a message here and
 * the loop drains what is queued in one pass: each subscriber is written every message in turn and
 * flushed once at the end. A loop that keeps up writes each message as it comes (one pass per
 * message); one that has fallen behind sends a connection the several messages it owes in one
 * {@code write(2)} instead of one call each, so it catches up instead of falling further behind.
 *
 * <p>Bounded: a loop more than {@link #MAX_QUEUED} messages behind refuses the next one, whose
 * subscribers on this loop are then closed with 1013 to come back with their offsets and read what
 * they lack from the channel's history (which holds as many messages as this bound, by default).
 */
final class LoopOutbox {
  static final int MAX_QUEUED = 1024;

  /**
   * Writes in one pass, at most (past the first message): a pass that owes 32,768 connections a
   * message each stops there and lets the loop serve its other work before the next.
   */
  private static final int MAX_WRITES_PER_PASS = 32_768;

  /** A connection the outbox writes to without flushing, then flushes once per pass. */
  interface Flushable {
    /** Flushes what was written; on the loop. */
    void flushLive();
  }

  /** What a message does to one subscriber: true when it wrote without flushing. */
  @FunctionalInterface
  interface Delivery<S extends Flushable> {
    boolean deliver(S s, ByteBuf frame);
  }

  private record Message<S extends Flushable>(
      Set<S> to, ByteBuf frame, Delivery<S> delivery, Runnable written) {
    /** Writes the frame to every subscriber; adds those left unflushed to {@code unflushed}. */
    void write(List<Flushable> unflushed) {
      try {
        for (S s : to) {
          if (delivery.deliver(s, frame.retainedDuplicate())) unflushed.add(s);
        }
      } finally {
        frame.release();
      }
    }
  }

  private final EventExecutor loop;
  private final Queue<Message<?>> queue = PlatformDependent.newMpscQueue();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  /** Loop-confined: the connections written and not flushed in the current pass. */
  private final List<Flushable> unflushed = new ArrayList<>();

  private final List<Runnable> written = new ArrayList<>();

  LoopOutbox(EventExecutor loop) {
    this.loop = loop;
  }

  /**
   * Queues {@code frame} (owned from here) for {@code to}, the subscribers on this loop; {@code
   * written} runs on the loop once they all have it. False, with the frame released, when the loop
   * is too far behind or shutting down.
   */
  <S extends Flushable> boolean offer(
      Set<S> to, ByteBuf frame, Delivery<S> delivery, Runnable written) {
    if (queued.incrementAndGet() > MAX_QUEUED) {
      queued.decrementAndGet();
      frame.release();
      return false;
    }
    queue.offer(new Message<>(to, frame, delivery, written));
    if (scheduled.compareAndSet(false, true)) {
      try {
        loop.execute(this::drain);
      } catch (RejectedExecutionException stopped) {
        discard(); // the loop is shutting down with its connections
        return false;
      }
    }
    return true;
  }

  int queued() {
    return queued.get();
  }

  private void drain() {
    // Cleared first: a message queued from now on gets a pass of its own if this one misses it.
    scheduled.set(false);
    Message<?> m;
    try {
      for (int writes = 0; writes < MAX_WRITES_PER_PASS && (m = queue.poll()) != null; ) {
        queued.decrementAndGet();
        writes += m.to.size();
        written.add(m.written);
        m.write(unflushed);
      }
    } finally {
      for (Flushable s : unflushed) s.flushLive();
      unflushed.clear();
      for (Runnable r : written) r.run();
      written.clear();
      if (!queue.isEmpty() && scheduled.compareAndSet(false, true)) loop.execute(this::drain);
    }
  }

  private void discard() {
    Message<?> m;
    while ((m = queue.poll()) != null) {
      queued.decrementAndGet();
      m.frame.release();
    }
  }
}
