package org.xiaolaba.server.push;

import java.util.Arrays;
import java.util.List;

/**
 * The channels one connection is subscribed to, each with the offset of the last message sent on
 * it, in two small arrays rather than a set and a map: most residents watch one channel, and a node
 * holds 100,000 of them. Touched only on the connection's event loop.
 */
final class ChannelTable {
  private static final long NONE = -1;

  private String[] names = new String[1];
  private long[] millis = new long[1];
  private long[] sequences = new long[1];
  private int size;

  int size() {
    return size;
  }

  boolean contains(String channel) {
    return indexOf(channel) >= 0;
  }

  /** Adds a channel with no offset sent yet; nothing when it is there already. */
  void add(String channel) {
    if (indexOf(channel) >= 0) return;
    if (size == names.length) {
      int n = size * 2;
      names = Arrays.copyOf(names, n);
      millis = Arrays.copyOf(millis, n);
      sequences = Arrays.copyOf(sequences, n);
    }
    names[size] = channel;
    millis[size] = NONE;
    sequences[size] = NONE;
    size++;
  }

  void remove(String channel) {
    int i = indexOf(channel);
    if (i < 0) return;
    size--;
    names[i] = names[size];
    millis[i] = millis[size];
    sequences[i] = sequences[size];
    names[size] = null;
  }

  /** True when a message at {@code offset} or after it was already sent on the channel. */
  boolean sent(String channel, StreamOffset offset) {
    int i = indexOf(channel);
    if (i < 0 || millis[i] == NONE) return false;
    int c = Long.compare(offset.millis(), millis[i]);
    return c < 0 || (c == 0 && offset.sequence() <= sequences[i]);
  }

  /** Notes the offset of the message just sent on the channel. */
  void sentNow(String channel, StreamOffset offset) {
    int i = indexOf(channel);
    if (i < 0) return;
    millis[i] = offset.millis();
    sequences[i] = offset.sequence();
  }

  /** The offset of the last message sent (or announced) on the channel; null when none. */
  StreamOffset last(String channel) {
    int i = indexOf(channel);
    return i < 0 || millis[i] == NONE ? null : new StreamOffset(millis[i], sequences[i]);
  }

  List<String> names() {
    return List.of(Arrays.copyOf(names, size));
  }

  private int indexOf(String channel) {
    for (int i = 0; i < size; i++) if (names[i].equals(channel)) return i;
    return -1;
  }
}
