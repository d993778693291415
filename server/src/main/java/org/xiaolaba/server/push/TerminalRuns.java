package org.xiaolaba.server.push;

/**
 * The runs one terminal connection was sent a {@code play} for, so that its {@code status} confirms
 * only those, each once: a terminal cannot confirm another village's run. The last {@link #KEPT}
 * run ids, in a ring; a confirmation of a run not sent (yet) is held, the latest one only, and
 * counted if its {@code play} follows (a terminal reconnecting mid-play may report before the day's
 * plays reach it). Touched only on the connection's event loop.
 */
final class TerminalRuns {
  /** More than the plays a terminal gets on connect (200), with room for the day's changes. */
  static final int KEPT = 256;

  private final String[] runs = new String[KEPT];
  private final boolean[] confirmed = new boolean[KEPT];
  private int next;
  private String held;

  /**
   * A {@code play} for {@code runId} goes out on the connection; true when it settles a held
   * confirmation (which is to be counted now).
   */
  boolean sent(String runId) {
    if (indexOf(runId) < 0) {
      runs[next] = runId;
      confirmed[next] = false;
      next = (next + 1) % KEPT;
    }
    if (!runId.equals(held)) return false;
    held = null;
    return confirm(runId);
  }

  /**
   * The terminal says it plays {@code runId}: true when that counts now (sent here and not
   * confirmed on this connection before); otherwise a run not sent is held until its play is.
   */
  boolean confirm(String runId) {
    int i = indexOf(runId);
    if (i < 0) {
      held = runId;
      return false;
    }
    if (confirmed[i]) return false;
    confirmed[i] = true;
    return true;
  }

  private int indexOf(String runId) {
    for (int i = 0; i < KEPT; i++) if (runId.equals(runs[i])) return i;
    return -1;
  }
}
