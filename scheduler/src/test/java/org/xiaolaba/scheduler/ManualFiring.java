package org.xiaolaba.scheduler;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.xiaolaba.config.testing.SettableClock;

/** Drives nodes with {@link ManualTriggers} by a {@link SettableClock}. */
final class ManualFiring {
  private ManualFiring() {}

  /**
   * Moves the clock from trigger to trigger up to {@code until}; at each, every live node fires
   * what is due at the same time as the others, on {@code driver}, the nodes set going in an order
   * shuffled by {@code order}.
   */
  static void fireUntil(
      SettableClock clock,
      Instant until,
      List<TestCluster.Node> nodes,
      ExecutorService driver,
      Random order) {
    while (true) {
      Optional<Instant> next =
          nodes.stream()
              .map(n -> n.triggers().nextFireAt())
              .flatMap(Optional::stream)
              .min(Instant::compareTo);
      if (next.isEmpty() || next.get().isAfter(until)) break;
      clock.moveTo(next.get());
      Instant now = clock.instant();
      List<TestCluster.Node> shuffled = new ArrayList<>(nodes);
      Collections.shuffle(shuffled, order);
      List<Future<Integer>> firing = new ArrayList<>();
      for (TestCluster.Node n : shuffled) {
        firing.add(driver.submit(() -> n.triggers().fireDue(now)));
      }
      for (Future<Integer> f : firing) {
        try {
          f.get();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
    clock.moveTo(until);
  }
}
