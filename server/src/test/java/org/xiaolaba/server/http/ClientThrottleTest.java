package org.xiaolaba.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.testing.SettableClock;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;

class ClientThrottleTest {
  final SettableClock clock = new SettableClock(Instant.parse("2026-11-27T00:00:00Z"));
  final ClientThrottle throttle = new ClientThrottle(new Settings.Throttle(10, 0, 6, true), clock);

  @Test
  void tenFailuresAMinuteThenAWaitOfTheRefillTime() {
    for (int i = 0; i < 10; i++) {
      assertThat(throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, "10.0.0.1")).isZero();
      throttle.record(ClientThrottle.Kind.AUTH_FAILURE, "10.0.0.1");
    }
    // Ten a minute refill one every 6 s.
    assertThat(throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, "10.0.0.1")).isEqualTo(6);
    assertThat(throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, "10.0.0.2")).isZero();
    clock.advance(Duration.ofSeconds(4));
    assertThat(throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, "10.0.0.1")).isEqualTo(2);
    clock.advance(Duration.ofSeconds(2));
    assertThat(throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, "10.0.0.1")).isZero();
  }

  @Test
  void takeRefusesWithoutTakingAndAZeroLimitIsNoLimit() {
    for (int i = 0; i < 6; i++) {
      assertThat(throttle.take(ClientThrottle.Kind.PUSH, "10.0.0.1")).isZero();
    }
    assertThat(throttle.take(ClientThrottle.Kind.PUSH, "10.0.0.1")).isEqualTo(10);
    clock.advance(Duration.ofSeconds(10));
    assertThat(throttle.take(ClientThrottle.Kind.PUSH, "10.0.0.1")).isZero();
    assertThat(throttle.take(ClientThrottle.Kind.PUSH, "10.0.0.1")).isEqualTo(10);
    for (int i = 0; i < 1000; i++) {
      assertThat(throttle.take(ClientThrottle.Kind.UPLOAD, "10.0.0.1")).isZero();
    }
  }

  @Test
  void aFullBucketNeverHoldsMoreThanItsLimit() {
    clock.advance(Duration.ofHours(5));
    for (int i = 0; i < 6; i++) throttle.take(ClientThrottle.Kind.PUSH, "10.0.0.3");
    assertThat(throttle.take(ClientThrottle.Kind.PUSH, "10.0.0.3")).isPositive();
  }

  @Test
  void adminsAreExemptOnlyWhenConfigured() {
    Principal admin = new Principal("a", Role.ADMIN, "a", List.of("320623"), clock.instant());
    Principal editor = new Principal("e", Role.EDITOR, "e", List.of("320623"), clock.instant());
    assertThat(throttle.applies(admin)).isFalse();
    assertThat(throttle.applies(editor)).isTrue();
    assertThat(new ClientThrottle(new Settings.Throttle(10, 1, 1, false), clock).applies(admin))
        .isTrue();
  }
}
