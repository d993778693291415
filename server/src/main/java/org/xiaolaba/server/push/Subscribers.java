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
import java.util.function.BiConsumer;

/**
 * One channel's subscribers on this node, grouped by the event loop their connection lives on, so
 * that a message to 100,000 of them costs one task per event loop instead of one per connection;
 * each loop then writes to its own connections, in the order the messages came.
 */
final class Subscribers {
  private final Map<EventExecutor, Set<WebSocketSession>> byLoop = new ConcurrentHashMap<>();

  void add(WebSocketSession s) {
    byLoop.computeIfAbsent(s.loop(), k -> ConcurrentHashMap.newKeySet()).add(s);
  }

  void remove(WebSocketSession s) {
    Set<WebSocketSession> set = byLoop.get(s.loop());
    if (set != null) set.remove(s);
  }

  int size() {
    int n = 0;
    for (Set<WebSocketSession> set : byLoop.values()) n += set.size();
    return n;
  }

  /**
   * Hands {@code frame} to every subscriber on its own event loop: {@code deliver} gets the session
   * and a retained view of the bytes it then owns. Takes ownership of {@code frame}. Returns how
   * many subscribers it went to. {@code done} runs once every loop has written its share (on the
   * last of them), unless there was none.
   */
  int fanOut(ByteBuf frame, BiConsumer<WebSocketSession, ByteBuf> deliver, Runnable done) {
    int n = 0;
    List<Map.Entry<EventExecutor, Set<WebSocketSession>>> loops = new ArrayList<>(byLoop.size());
    for (Map.Entry<EventExecutor, Set<WebSocketSession>> e : byLoop.entrySet()) {
      if (!e.getValue().isEmpty()) loops.add(e);
    }
    AtomicInteger left = new AtomicInteger(loops.size());
    try {
      for (Map.Entry<EventExecutor, Set<WebSocketSession>> e : loops) {
        Set<WebSocketSession> set = e.getValue();
        n += set.size();
        ByteBuf shared = frame.retainedDuplicate();
        try {
          e.getKey()
              .execute(
                  () -> {
                    try {
                      for (WebSocketSession s : set) deliver.accept(s, shared.retainedDuplicate());
                    } finally {
                      shared.release();
                      if (left.decrementAndGet() == 0) done.run();
                    }
                  });
        } catch (RejectedExecutionException stopped) {
          shared.release(); // the loop is shutting down with its connections
        }
      }
    } finally {
      frame.release();
    }
    return n;
  }
}
