package org.xiaolaba.server.push;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One channel's subscribers on this node, grouped by the event loop their connection lives on, so
 * that a message to 100,000 of them is one entry in each loop's {@link LoopOutbox} instead of a
 * task per connection; each loop then writes to its own connections, in the order the messages
 * came.
 */
final class Subscribers {
  private static final Logger log = LoggerFactory.getLogger(Subscribers.class);

  private final Map<EventExecutor, Set<WebSocketSession>> byLoop = new ConcurrentHashMap<>();

  void add(WebSocketSession s) {
    byLoop.computeIfAbsent(s.loop(), k -> ConcurrentHashMap.newKeySet()).add(s);
  }

  void remove(WebSocketSession s) {
    Set<WebSocketSession> set = byLoop.get(s.loop());
    if (set != null) set.remove(s);
  }

  /** No subscriber left (on any loop). */
  boolean isEmpty() {
    for (Set<WebSocketSession> set : byLoop.values()) if (!set.isEmpty()) return false;
    return true;
  }

  int size() {
    int n = 0;
    for (Set<WebSocketSession> set : byLoop.values()) n += set.size();
    return n;
  }

  /**
   * Queues {@code frame} for every subscriber in its loop's outbox: {@code delivery} then gets the
   * session and a retained view of the bytes it owns. Takes ownership of {@code frame}. Returns how
   * many subscribers it went to. {@code done} runs once every loop has written its share (on the
   * last of them), unless there was none. A loop too far behind to take it closes its subscribers
   * with 1013 (they come back with their offsets and read the history).
   */
  int fanOut(
      ByteBuf frame,
      Function<EventExecutor, LoopOutbox> outboxes,
      LoopOutbox.Delivery<WebSocketSession> delivery,
      Runnable done) {
    int n = 0;
    List<Map.Entry<EventExecutor, Set<WebSocketSession>>> loops = new ArrayList<>(byLoop.size());
    for (Map.Entry<EventExecutor, Set<WebSocketSession>> e : byLoop.entrySet()) {
      if (!e.getValue().isEmpty()) loops.add(e);
    }
    AtomicInteger left = new AtomicInteger(loops.size());
    Runnable written =
        () -> {
          if (left.decrementAndGet() == 0) done.run();
        };
    try {
      for (Map.Entry<EventExecutor, Set<WebSocketSession>> e : loops) {
        Set<WebSocketSession> set = e.getValue();
        n += set.size();
        // A copy per loop: each subscriber's view counts references on its own loop's bytes,
        // not on one count every loop's core updates at once.
        ByteBuf own = loops.size() == 1 ? frame.retain() : frame.copy();
        if (!outboxes.apply(e.getKey()).offer(set, own, delivery, written)) {
          log.warn(
              "Event loop {} takes no more live messages ({} queued, or it is stopping): closing"
                  + " its {} subscribers of this one (1013, to come back with their offsets)",
              e.getKey(),
              LoopOutbox.MAX_QUEUED,
              set.size());
          // One task for the loop's subscribers, not one each on a loop that is behind already.
          try {
            e.getKey().execute(() -> set.forEach(WebSocketSession::tooFarBehind));
          } catch (RejectedExecutionException stopped) {
            // the loop is shutting down, and its connections with it
          }
          written.run();
        }
      }
    } finally {
      frame.release();
    }
    return n;
  }
}
