package org.xiaolaba.bench.push;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting for a condition without sleeping: a shared timer polls it every 20 ms. */
final class Waits {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "waits");
            t.setDaemon(true);
            return t;
          });

  private Waits() {}

  /** True once {@code condition} holds; false when {@code deadlineNanos} passes first. */
  static boolean until(BooleanSupplier condition, long deadlineNanos) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    ScheduledFuture<?> poll =
        TIMER.scheduleWithFixedDelay(
            () -> {
              try {
                if (condition.getAsBoolean()) done.complete(true);
                else if (System.nanoTime() - deadlineNanos > 0) done.complete(false);
              } catch (RuntimeException e) {
                done.completeExceptionally(e);
              }
            },
            0,
            20,
            TimeUnit.MILLISECONDS);
    try {
      return done.join();
    } finally {
      poll.cancel(false);
    }
  }

  /** Waits {@code millis} on the timer (pacing between steps of a scenario). */
  static void pause(long millis) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    TIMER.schedule(() -> done.complete(null), millis, TimeUnit.MILLISECONDS);
    done.join();
  }
}
