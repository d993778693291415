package org.xiaolaba.scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that stands still until the test moves it. */
final class SettableClock extends Clock {
  private final AtomicReference<Instant> now;

  SettableClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  void move(Duration by) {
    now.updateAndGet(i -> i.plus(by));
  }

  /** Moves forward to {@code t}; never back. */
  void moveTo(Instant t) {
    now.updateAndGet(i -> t.isAfter(i) ? t : i);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return Clock.fixed(instant(), zone);
  }
}
