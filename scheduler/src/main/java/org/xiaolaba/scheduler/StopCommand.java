package org.xiaolaba.scheduler;

import java.time.Instant;
import java.util.List;

/**
 * Tells the terminals in {@code areas} (areas cover their descendants) not to play run {@code
 * runId} from {@code at} on: stop it if it is playing then, drop it if it has not started.
 *
 * @param reason {@code preempted} (a higher priority takes over) or {@code cancelled} (an emergency
 *     was called off)
 */
public record StopCommand(
    String programId, String runId, List<String> areas, String reason, Instant at) {
  public static final String PREEMPTED = "preempted";
  public static final String CANCELLED = "cancelled";
}
