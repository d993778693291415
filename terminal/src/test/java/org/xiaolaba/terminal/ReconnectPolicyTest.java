package org.xiaolaba.terminal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {

  @Test
  void delaysDoubleFromHalfASecondAndStopGrowingAtThirtySeconds() {
    ReconnectPolicy policy = ReconnectPolicy.standard();
    long[] ceilings = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    for (long ceiling : ceilings) {
      assertThat(policy.nextDelay().toMillis()).isBetween(ceiling / 2, ceiling);
    }
  }

  @Test
  void delaysAreSpreadAtRandomSoTerminalsDoNotReturnTogether() {
    List<Long> firsts = new ArrayList<>();
    RandomGenerator random = RandomGenerator.of("L64X128MixRandom");
    for (int i = 0; i < 50; i++) {
      firsts.add(
          new ReconnectPolicy(Duration.ofSeconds(4), Duration.ofSeconds(30), random)
              .nextDelay()
              .toMillis());
    }
    assertThat(firsts).allSatisfy(d -> assertThat(d).isBetween(2000L, 4000L));
    assertThat(firsts.stream().distinct().count()).isGreaterThan(25);
  }

  @Test
  void aConnectionThatWorkedStartsTheNextOutageFromTheInitialDelay() {
    ReconnectPolicy policy = ReconnectPolicy.standard();
    for (int i = 0; i < 6; i++) policy.nextDelay();
    policy.reset();
    assertThat(policy.failures()).isZero();
    assertThat(policy.nextDelay().toMillis()).isBetween(250L, 500L);
  }

  @Test
  void aCapBelowTheInitialDelayIsRefusedNamingBoth() {
    assertThatThrownBy(
            () ->
                new ReconnectPolicy(
                    Duration.ofSeconds(5), Duration.ofSeconds(1), RandomGenerator.getDefault()))
        .hasMessageContaining("max")
        .hasMessageContaining("initial");
  }
}
