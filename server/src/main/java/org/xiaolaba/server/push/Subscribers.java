package org.xiaolaba.server.push;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
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
   * many subscribers it went to.
   */
  int fanOut(ByteBuf frame, BiConsumer<WebSocketSession, ByteBuf> deliver) {
    int n = 0;
    try {
      for (Map.Entry<EventExecutor, Set<WebSocketSession>> e : byLoop.entrySet()) {
        Set<WebSocketSession> set = e.getValue();
        if (set.isEmpty()) continue;
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
