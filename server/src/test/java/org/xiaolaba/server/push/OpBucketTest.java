package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A connection's message allowance, on a clock the test moves. */
class OpBucketTest {
  final AtomicLong now = new AtomicLong(1_000);

  @Test
  void aBurstIsTakenAtOnceAndThenNothingUntilTimePasses() {
    OpBucket b = new OpBucket(20, 5, now::get);
    for (int i = 0; i < 20; i++) assertThat(b.take()).as("message %d", i).isTrue();
    assertThat(b.take()).isFalse();
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(199));
    assertThat(b.take()).isFalse();
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
    assertThat(b.take()).isTrue();
    assertThat(b.take()).isFalse();
  }

  @Test
  void aSteadyRateAtTheLimitIsNeverRefused() {
    OpBucket b = new OpBucket(1, 5, now::get);
    for (int i = 0; i < 1000; i++) {
      assertThat(b.take()).as("message %d", i).isTrue();
      now.addAndGet(TimeUnit.MILLISECONDS.toNanos(200));
    }
  }

  @Test
  void aLongSilenceRefillsNoMoreThanTheBurst() {
    OpBucket b = new OpBucket(3, 5, now::get);
    now.addAndGet(TimeUnit.DAYS.toNanos(365));
    assertThat(b.take()).isTrue();
    assertThat(b.take()).isTrue();
    assertThat(b.take()).isTrue();
    assertThat(b.take()).isFalse();
  }

  @Test
  void aClockThatGoesBackRefillsNothing() {
    OpBucket b = new OpBucket(1, 5, now::get);
    assertThat(b.take()).isTrue();
    now.addAndGet(-TimeUnit.SECONDS.toNanos(10));
    assertThat(b.take()).isFalse();
  }

  @Test
  void aBurstOrRateBelowOneIsRefusedNamingIt() {
    assertThatThrownBy(() -> new OpBucket(0, 5, now::get)).hasMessageContaining("burst");
    assertThatThrownBy(() -> new OpBucket(5, 0, now::get)).hasMessageContaining("perSecond");
  }
}
