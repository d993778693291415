package org.xiaolaba.scheduler;

import java.util.List;

/**
 * What the scheduler answers about terminals, handed to the dispatcher through {@link
 * DispatchPort#attach}. Both methods block on Redis: call them off event loops.
 */
public interface TerminalSchedule {
  /**
   * The plays a terminal in {@code terminalAreas} should hold now: runs already dispatched that
   * have not finished (including those playing) and the runs still to come today (in the configured
   * time zone), ordered by start.
   */
  List<PlayCommand> upcomingFor(List<String> terminalAreas);

  /** Records that {@code terminalId} started playing run {@code runId}. */
  void confirmPlaying(String runId, String terminalId);
}
