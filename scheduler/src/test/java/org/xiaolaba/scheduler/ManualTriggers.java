package org.xiaolaba.scheduler;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A node's triggers that fire when the test says so, by the test's clock rather than Quartz's
 * system time: the "manual runner" of db-scheduler. {@link #fireDue} fires every trigger due at the
 * instant given, on a few threads as Quartz would, and waits for the firings, so that nodes driven
 * at once still race for each run's claim.
 */
final class ManualTriggers implements ProgramTriggers {
  /** Firing threads per node, as many as the server's Quartz has. */
  static final int THREADS = ProgramService.QUARTZ_THREADS;

  private record Pending(Instant run, Instant fireAt) {}

  private final Map<String, Pending> pending = new HashMap<>();
  private final Firing firing;
  private final ExecutorService threads;
  private final AtomicInteger firingsLeft = new AtomicInteger(Integer.MAX_VALUE);
  private volatile boolean dead;

  private ManualTriggers(String nodeId, Firing firing) {
    this.firing = firing;
    AtomicInteger n = new AtomicInteger();
    this.threads =
        Executors.newFixedThreadPool(
            THREADS, r -> new Thread(r, "manual-triggers-" + nodeId + "-" + n.incrementAndGet()));
  }

  /** A factory that hands the triggers it starts to {@code started}. */
  static Factory factory(AtomicReference<ManualTriggers> started) {
    return (nodeId, firing) -> {
      ManualTriggers t = new ManualTriggers(nodeId, firing);
      started.set(t);
      return t;
    };
  }

  /**
   * Fires every trigger due at {@code now}, including runs that the firings arm and that are due
   * too, and returns once they are done. Returns how many fired; none once the node is dead.
   */
  int fireDue(Instant now) {
    int fired = 0;
    while (!dead) {
      List<Map.Entry<String, Pending>> due = takeDue(now);
      if (due.isEmpty()) break;
      List<Future<?>> running = new ArrayList<>();
      for (Map.Entry<String, Pending> e : due) {
        running.add(threads.submit(() -> fireUnlessDead(e.getKey(), e.getValue().run())));
      }
      for (Future<?> f : running) await(f);
      fired += due.size();
    }
    return fired;
  }

  /** The earliest instant a trigger fires at; empty when none is armed or the node is dead. */
  synchronized Optional<Instant> nextFireAt() {
    if (dead) return Optional.empty();
    return pending.values().stream().map(Pending::fireAt).min(Instant::compareTo);
  }

  /**
   * The node dies, as a process that is killed, after {@code firings} more firings: the triggers
   * due with them never fire, and nothing fires after. A firing under way when it dies finishes:
   * the node dies between firings, not inside one.
   */
  void dieAfter(int firings) {
    firingsLeft.set(firings);
  }

  boolean isDead() {
    return dead;
  }

  private void fireUnlessDead(String programId, Instant run) {
    if (dead || firingsLeft.getAndDecrement() <= 0) {
      dead = true;
      return;
    }
    firing.fire(programId, run);
  }

  private synchronized List<Map.Entry<String, Pending>> takeDue(Instant now) {
    List<Map.Entry<String, Pending>> due = new ArrayList<>();
    for (Map.Entry<String, Pending> e : pending.entrySet()) {
      if (!e.getValue().fireAt().isAfter(now)) due.add(Map.entry(e.getKey(), e.getValue()));
    }
    for (Map.Entry<String, Pending> e : due) pending.remove(e.getKey());
    return due;
  }

  private static void await(Future<?> f) {
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("a firing failed or hung", e);
    }
  }

  @Override
  public synchronized boolean arm(String programId, Instant run, Instant fireAt) {
    Pending was = pending.get(programId);
    if (was != null && was.run().equals(run)) return false;
    pending.put(programId, new Pending(run, fireAt));
    return true;
  }

  @Override
  public synchronized boolean unarm(String programId) {
    return pending.remove(programId) != null;
  }

  @Override
  public synchronized Optional<Instant> armedRun(String programId) {
    return Optional.ofNullable(pending.get(programId)).map(Pending::run);
  }

  @Override
  public synchronized Set<String> programIds() {
    return Set.copyOf(pending.keySet());
  }

  @Override
  public boolean running() {
    return !dead && !threads.isShutdown();
  }

  @Override
  public void shutdown() {
    threads.shutdown();
    try {
      threads.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
