package org.xiaolaba.server.push;

import java.util.Arrays;
import java.util.List;

/**
 * The channels one connection is subscribed to, each with a few offsets, in flat arrays rather than
 * a set and a map: most residents watch one channel, and a node holds 100,000 of them. Touched only
 * on the connection's event loop; nothing here allocates per message.
 *
 * <p>Per channel: the last and the first offset sent on it (the window an {@code ack} may name),
 * the last offset acknowledged (an ack counts once, in order), the newest offset the client was
 * told of when subscribing, and whether the client asked for it itself (a terminal's areas are
 * subscribed for it; its own {@code subscribe} of one of them may still replay from its offset).
 */
final class ChannelTable {
  private static final long NONE = -1;

  // Offsets as (millis, sequence) pairs, STRIDE longs per channel.
  private static final int SENT = 0;
  private static final int ANNOUNCED = 2;
  private static final int FIRST = 4;
  private static final int ACKED = 6;
  private static final int STRIDE = 8;

  private String[] names = new String[1];
  private long[] offsets = new long[STRIDE];
  private boolean[] asked = new boolean[1];
  private int size;

  int size() {
    return size;
  }

  boolean contains(String channel) {
    return indexOf(channel) >= 0;
  }

  /** Adds a channel the client asked for, with no offset sent yet; nothing when it is there. */
  void add(String channel) {
    add(channel, true);
  }

  /**
   * Adds a channel the server subscribed the connection to by itself (a terminal's areas and own
   * channel); nothing when it is there already.
   */
  void addAutomatic(String channel) {
    add(channel, false);
  }

  private void add(String channel, boolean byClient) {
    if (indexOf(channel) >= 0) return;
    if (size == names.length) {
      int n = size * 2;
      names = Arrays.copyOf(names, n);
      offsets = Arrays.copyOf(offsets, n * STRIDE);
      asked = Arrays.copyOf(asked, n);
    }
    names[size] = channel;
    Arrays.fill(offsets, size * STRIDE, (size + 1) * STRIDE, NONE);
    asked[size] = byClient;
    size++;
  }

  /**
   * The client asks for a channel it is subscribed to already: true once for a channel the server
   * subscribed it to by itself (its history is then read from the client's offset), false when the
   * client asked for it before (nothing is read again).
   */
  boolean firstAskOf(String channel) {
    int i = indexOf(channel);
    if (i < 0 || asked[i]) return false;
    asked[i] = true;
    return true;
  }

  void remove(String channel) {
    int i = indexOf(channel);
    if (i < 0) return;
    size--;
    names[i] = names[size];
    System.arraycopy(offsets, size * STRIDE, offsets, i * STRIDE, STRIDE);
    asked[i] = asked[size];
    names[size] = null;
  }

  /** True when a message at {@code offset} or after it was already sent on the channel. */
  boolean sent(String channel, StreamOffset offset) {
    int i = indexOf(channel);
    return i >= 0 && atOrAfter(i, SENT, offset);
  }

  /** Notes the offset of the message just sent on the channel. */
  void sentNow(String channel, StreamOffset offset) {
    int i = indexOf(channel);
    if (i < 0) return;
    set(i, SENT, offset);
    if (offsets[i * STRIDE + FIRST] == NONE) set(i, FIRST, offset);
  }

  /**
   * An acknowledgement of {@code offset}: true (and noted) when it lies within what was sent on the
   * channel (from the first message sent to the last) and after the last one acknowledged; false
   * for an offset never sent here, or acknowledged already.
   */
  boolean acknowledge(String channel, StreamOffset offset) {
    int i = indexOf(channel);
    if (i < 0 || offsets[i * STRIDE + FIRST] == NONE) return false;
    if (!atOrAfter(i, SENT, offset) || !atOrBefore(i, FIRST, offset)) return false;
    if (offsets[i * STRIDE + ACKED] != NONE && atOrAfter(i, ACKED, offset)) return false;
    set(i, ACKED, offset);
    return true;
  }

  /** Notes the newest offset the client was told of when subscribing to the channel. */
  void announced(String channel, StreamOffset offset) {
    int i = indexOf(channel);
    if (i < 0 || atOrAfter(i, ANNOUNCED, offset)) return;
    set(i, ANNOUNCED, offset);
  }

  /**
   * Where the client stands on the channel: the later of the last message sent and the offset it
   * was told of when subscribing; null when neither.
   */
  StreamOffset last(String channel) {
    int i = indexOf(channel);
    if (i < 0) return null;
    boolean sent = offsets[i * STRIDE + SENT] != NONE;
    boolean told = offsets[i * STRIDE + ANNOUNCED] != NONE;
    if (!sent && !told) return null;
    if (sent && (!told || atOrAfter(i, SENT, at(i, ANNOUNCED)))) return at(i, SENT);
    return at(i, ANNOUNCED);
  }

  private StreamOffset at(int i, int slot) {
    return new StreamOffset(offsets[i * STRIDE + slot], offsets[i * STRIDE + slot + 1]);
  }

  private void set(int i, int slot, StreamOffset offset) {
    offsets[i * STRIDE + slot] = offset.millis();
    offsets[i * STRIDE + slot + 1] = offset.sequence();
  }

  /** True when the offset in {@code slot} is set and at or after {@code offset}. */
  private boolean atOrAfter(int i, int slot, StreamOffset offset) {
    long ms = offsets[i * STRIDE + slot];
    if (ms == NONE) return false;
    int c = Long.compare(ms, offset.millis());
    return c > 0 || (c == 0 && offsets[i * STRIDE + slot + 1] >= offset.sequence());
  }

  /** True when the offset in {@code slot} is set and at or before {@code offset}. */
  private boolean atOrBefore(int i, int slot, StreamOffset offset) {
    long ms = offsets[i * STRIDE + slot];
    if (ms == NONE) return false;
    int c = Long.compare(ms, offset.millis());
    return c < 0 || (c == 0 && offsets[i * STRIDE + slot + 1] <= offset.sequence());
  }

  List<String> names() {
    return List.of(Arrays.copyOf(names, size));
  }

  private int indexOf(String channel) {
    for (int i = 0; i < size; i++) if (names[i].equals(channel)) return i;
    return -1;
  }
}
