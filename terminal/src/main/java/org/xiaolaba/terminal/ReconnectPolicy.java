package org.xiaolaba.terminal;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * When to try the server again: exponential backoff from {@code initial} up to {@code max}, each
 * delay drawn at random from its upper half, so a thousand terminals cut off by the same outage do
 * not all come back in the same millisecond. Not thread-safe; one link owns one policy.
 */
public final class ReconnectPolicy {
  private final Duration initial;
  private final Duration max;
  private final RandomGenerator random;
  private int failures;

  public ReconnectPolicy(Duration initial, Duration max, RandomGenerator random) {
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial must be positive, not " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "max (" + max + ") must not be below initial (" + initial + ")");
    }
    this.initial = initial;
    this.max = max;
    this.random = random;
  }

  /** Half a second, doubling, capped at 30 s. */
  public static ReconnectPolicy standard() {
    return new ReconnectPolicy(
        Duration.ofMillis(500), Duration.ofSeconds(30), RandomGenerator.getDefault());
  }

  /** The delay before the next attempt, one longer ceiling per failure in a row. */
  public Duration nextDelay() {
    long ceiling = ceilingMillis(failures);
    failures++;
    long half = ceiling / 2;
    return Duration.ofMillis(half + random.nextLong(ceiling - half + 1));
  }

  /** A connection worked: the next outage starts from the initial delay again. */
  public void reset() {
    failures = 0;
  }

  int failures() {
    return failures;
  }

  private long ceilingMillis(int n) {
    long ceiling = initial.toMillis();
    for (int i = 0; i < n && ceiling < max.toMillis(); i++) ceiling *= 2;
    return Math.min(ceiling, max.toMillis());
  }
}
