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

  /**
   * Per channel, the newest offset the client was told of when it subscribed ({@code subscribed}'s
   * offset): where a catch-up starts when nothing was sent since. Not used to drop duplicates: a
   * second subscribe with an earlier {@code since} must still replay what lies before it.
   */
  private long[] announcedMillis = new long[1];

  private long[] announcedSequences = new long[1];
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
      announcedMillis = Arrays.copyOf(announcedMillis, n);
      announcedSequences = Arrays.copyOf(announcedSequences, n);
    }
    names[size] = channel;
    millis[size] = NONE;
    sequences[size] = NONE;
    announcedMillis[size] = NONE;
    announcedSequences[size] = NONE;
    size++;
  }

  void remove(String channel) {
    int i = indexOf(channel);
    if (i < 0) return;
    size--;
    names[i] = names[size];
    millis[i] = millis[size];
    sequences[i] = sequences[size];
    announcedMillis[i] = announcedMillis[size];
    announcedSequences[i] = announcedSequences[size];
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

  /** Notes the newest offset the client was told of when subscribing to the channel. */
  void announced(String channel, StreamOffset offset) {
    int i = indexOf(channel);
    if (i < 0 || later(announcedMillis[i], announcedSequences[i], offset)) return;
    announcedMillis[i] = offset.millis();
    announcedSequences[i] = offset.sequence();
  }

  /**
   * Where the client stands on the channel: the later of the last message sent and the offset it
   * was told of when subscribing; null when neither.
   */
  StreamOffset last(String channel) {
    int i = indexOf(channel);
    if (i < 0) return null;
    boolean sent = millis[i] != NONE;
    boolean told = announcedMillis[i] != NONE;
    if (!sent && !told) return null;
    if (sent && (!told || later(millis[i], sequences[i], announcedAt(i)))) {
      return new StreamOffset(millis[i], sequences[i]);
    }
    return announcedAt(i);
  }

  private StreamOffset announcedAt(int i) {
    return new StreamOffset(announcedMillis[i], announcedSequences[i]);
  }

  /** True when ({@code ms}, {@code seq}) is set and at or after {@code offset}. */
  private static boolean later(long ms, long seq, StreamOffset offset) {
    if (ms == NONE) return false;
    int c = Long.compare(ms, offset.millis());
    return c > 0 || (c == 0 && seq >= offset.sequence());
  }

  List<String> names() {
    return List.of(Arrays.copyOf(names, size));
  }

  private int indexOf(String channel) {
    for (int i = 0; i < size; i++) if (names[i].equals(channel)) return i;
    return -1;
  }
}
