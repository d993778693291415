package org.xiaolaba.scheduler;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * This node's pending triggers: at most one per program, for its next run, firing at an instant
 * {@link ProgramArming} chose. Knows nothing of Redis. The server uses {@link QuartzTriggers},
 * which fires on the system clock; tests drive a manual implementation with their own clock.
 * Implementations are thread-safe.
 */
interface ProgramTriggers {

  /** What a firing trigger calls: the program and the run instant it was armed for. */
  interface Firing {
    void fire(String programId, Instant run);
  }

  /** Starts a node's triggers, calling {@code firing} when one fires. */
  interface Factory {
    ProgramTriggers start(String nodeId, Firing firing);
  }

  /** One run to arm: the program, the run's instant and when its trigger fires. */
  record Arm(String programId, Instant run, Instant fireAt) {}

  /**
   * Makes {@code run} the program's only pending trigger, firing at {@code fireAt}; a trigger
   * already armed for that run is kept. Returns false when it was already armed.
   */
  boolean arm(String programId, Instant run, Instant fireAt);

  /** {@link #arm} for each, as one batch where the implementation can (a node's start). */
  default void armAll(List<Arm> arms) {
    for (Arm a : arms) arm(a.programId(), a.run(), a.fireAt());
  }

  /** Removes the program's trigger; true when it had one. */
  boolean unarm(String programId);

  /** The run the program's pending trigger is armed for, if any. */
  Optional<Instant> armedRun(String programId);

  /** Ids of the programs this node holds a trigger (or a job) for. */
  Set<String> programIds();

  boolean running();

  /** Stops firing and waits for firings under way to finish. */
  void shutdown();
}
