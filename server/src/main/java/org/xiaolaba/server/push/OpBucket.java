package org.xiaolaba.server.push;

import java.util.function.LongSupplier;

/**
 * One connection's allowance of messages: a token bucket holding {@code burst} messages, refilled
 * at {@code perSecond}. Its own per connection, touched only on the connection's event loop; two
 * longs of state and no allocation per message. The clock is a nanosecond source ({@code
 * System::nanoTime} in the server) so that tests move time instead of sleeping.
 */
final class OpBucket {
  private final long costNanos;
  private final long capacityNanos;
  private final LongSupplier nanos;

  /** Credit in nanoseconds of refill: one message costs {@link #costNanos}. */
  private long credit;

  private long last;

  OpBucket(int burst, int perSecond, LongSupplier nanos) {
    if (burst < 1) throw new IllegalArgumentException("burst must be at least 1, not " + burst);
    if (perSecond < 1)
      throw new IllegalArgumentException("perSecond must be at least 1, not " + perSecond);
    this.costNanos = 1_000_000_000L / perSecond;
    this.capacityNanos = costNanos * burst;
    this.nanos = nanos;
    this.credit = capacityNanos;
    this.last = nanos.getAsLong();
  }

  /** Takes one message from the bucket; false when it is empty (the client is over its rate). */
  boolean take() {
    long now = nanos.getAsLong();
    long elapsed = now - last;
    last = now;
    if (elapsed > 0) credit = Math.min(capacityNanos, credit + Math.min(elapsed, capacityNanos));
    if (credit < costNanos) return false;
    credit -= costNanos;
    return true;
  }
}
