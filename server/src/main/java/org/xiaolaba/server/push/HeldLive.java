package org.xiaolaba.server.push;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * One connection's live messages held while a channel's history is read (several reads of one
 * channel may overlap: they share what is held). Bounded by {@link #MAX}: past it the connection is
 * too slow. On the connection's event loop; nothing allocated while no history is read (most of the
 * time).
 */
final class HeldLive {
  static final int MAX = 1000;

  /** What a held message is handed back to. */
  interface Sink {
    void deliver(StreamOffset offset, ByteBuf frame);
  }

  private static final class Held {
    final ArrayDeque<Object[]> pending = new ArrayDeque<>();
    int outstanding;
  }

  private Map<String, Held> byChannel;

  /** A history read of {@code ch} begins: its live messages are held until it ends. */
  void begin(String ch) {
    if (byChannel == null) byChannel = new HashMap<>(2);
    byChannel.computeIfAbsent(ch, k -> new Held()).outstanding++;
  }

  boolean holding(String ch) {
    return byChannel != null && byChannel.containsKey(ch);
  }

  /** Holds a live message of {@code ch} (owned from here); false when the bound is reached. */
  boolean hold(String ch, StreamOffset offset, ByteBuf frame) {
    Held h = byChannel.get(ch);
    if (h.pending.size() >= MAX) {
      frame.release();
      return false;
    }
    h.pending.add(new Object[] {offset, frame});
    return true;
  }

  /**
   * A read of {@code ch} ended: once the last has, what was held goes to {@code sink}, in order.
   */
  void end(String ch, Sink sink) {
    Held h = byChannel == null ? null : byChannel.get(ch);
    if (h == null || --h.outstanding > 0) return;
    byChannel.remove(ch);
    if (byChannel.isEmpty()) byChannel = null;
    for (Object[] p : h.pending) sink.deliver((StreamOffset) p[0], (ByteBuf) p[1]);
  }

  /** The connection closed: everything held is freed. */
  void releaseAll() {
    if (byChannel == null) return;
    byChannel.values().forEach(h -> h.pending.forEach(p -> ((ByteBuf) p[1]).release()));
    byChannel = null;
  }
}
