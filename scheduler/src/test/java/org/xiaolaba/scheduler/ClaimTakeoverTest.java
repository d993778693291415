package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.scheduler.TestCluster.request;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.testing.SettableClock;

/**
 * A node that claims a run and then dies or hangs before dispatching it: the run is not lost. The
 * claim is a lease ({@link Claims}); another node that lost it takes it over when the lease runs
 * out, and a holder that is alive keeps it by renewing. Driven by a {@link SettableClock}; the
 * nodes' lease threads tick in real time and read that clock.
 */
class ClaimTakeoverTest {
  static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

  /** 09:00 in Shanghai: the run; its play goes out at 08:59 (the default lead time). */
  static final Instant NINE = LocalDateTime.parse("2031-03-03T09:00").atZone(SHANGHAI).toInstant();

  static final Instant FIRE = NINE.minus(Duration.ofMinutes(1));

  final SettableClock clock = new SettableClock(NINE.minus(Duration.ofMinutes(5)));
  final TestCluster cluster = new TestCluster();
  final ExecutorService driver = Executors.newCachedThreadPool();
  final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    driver.shutdownNow();
    cluster.close();
  }

  @Test
  void aRunClaimedByANodeThatDiedIsTakenOverWhenItsLeaseRunsOutAndPlaysOnce() {
    cluster.readyClip("c1");
    TestCluster.Node survivor = cluster.manualNode(Map.of(), clock);
    Program p = survivor.service().create(request("c1", Schedule.once(nine())));
    // What a node killed between claiming the run and dispatching it leaves behind.
    String key = claimKey(p);
    writeDeadClaim(key, FIRE);

    moveTo(FIRE);
    survivor.triggers().fireDue(clock.instant());

    assertThat(survivor.dispatch().count(p.id())).isZero();
    assertThat(survivor.service().claims().watching()).isOne();

    moveTo(FIRE.plus(Claims.LEASE).plusSeconds(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> survivor.dispatch().count(p.id()) == 1);

    assertThat(survivor.dispatch().played)
        .singleElement()
        .satisfies(played -> assertThat(played.command().startAt()).isEqualTo(NINE));
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(TestRedis.server().client().get(key))
                    .startsWith(survivor.service().nodeId() + " done "));
    assertThat(survivor.service().runs(p.id()))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.scheduledAt().toInstant()).isEqualTo(NINE);
              assertThat(r.dispatchedAt()).isNotNull();
              assertThat(r.missed()).isFalse();
            });
    assertThat(survivor.service().claims().watching()).isZero();
  }

  @Test
  void aTakeOverPastTheMisfireGraceLogsTheRunMissedInsteadOfPlayingIt() {
    cluster.readyClip("c1");
    TestCluster.Node survivor = cluster.manualNode(Map.of(), clock);
    Program p = survivor.service().create(request("c1", Schedule.once(nine())));
    writeDeadClaim(claimKey(p), FIRE);
    moveTo(FIRE);
    survivor.triggers().fireDue(clock.instant());

    // Nothing checked the lease until well after the run and its five minutes' grace.
    moveTo(NINE.plus(Duration.ofMinutes(6)));
    survivor.service().claims().tick();

    assertThat(survivor.dispatch().count(p.id())).isZero();
    assertThat(survivor.service().runs(p.id()))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.missed()).isTrue();
              assertThat(r.dispatchedAt()).isNull();
              assertThat(r.error()).contains("stopped before dispatching it");
            });
  }

  @Test
  void aLiveButSlowHolderRenewsItsLeaseAndIsNotTakenOver() throws Exception {
    cluster.readyClip("c1");
    TestCluster.Node slow = cluster.manualNode(Map.of(), clock, c -> holdUntilReleased());
    TestCluster.Node other = cluster.manualNode(Map.of(), clock);
    Program p = slow.service().create(request("c1", Schedule.once(nine())));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> other.service().armedRun(p.id()).isPresent());
    String key = claimKey(p);

    moveTo(FIRE);
    Instant now = clock.instant();
    var slowFiring = driver.submit(() -> slow.triggers().fireDue(now));
    await().atMost(Duration.ofSeconds(10)).until(() -> claimValue(key) != null);
    String first = claimValue(key);
    assertThat(first).startsWith(slow.service().nodeId() + " pending ");
    other.triggers().fireDue(now);
    assertThat(other.service().claims().watching()).isOne();

    // Well past the first lease: the slow node has renewed it, so the other node keeps off.
    for (int i = 1; i <= 3; i++) {
      String before = claimValue(key);
      moveTo(FIRE.plus(Claims.LEASE.dividedBy(2).multipliedBy(i)));
      await().atMost(Duration.ofSeconds(10)).until(() -> !claimValue(key).equals(before));
    }
    assertThat(Claims.Holder.parse(claimValue(key)).until()).isAfter(clock.instant());
    other.service().claims().tick();
    assertThat(other.dispatch().count(p.id())).isZero();
    assertThat(other.service().claims().watching()).isOne();

    release.countDown();
    assertThat(slowFiring.get(10, TimeUnit.SECONDS)).isOne();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> claimValue(key).startsWith(slow.service().nodeId() + " done "));
    moveTo(clock.instant().plus(Claims.LEASE.multipliedBy(2)));
    other.service().claims().tick();

    assertThat(other.service().claims().watching()).isZero();
    assertThat(other.dispatch().count(p.id())).isZero();
    assertThat(slow.dispatch().count(p.id())).isOne();
    assertThat(slow.service().runs(p.id())).hasSize(1);
  }

  private int holdUntilReleased() {
    try {
      if (!release.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return 1;
  }

  private static String nine() {
    return NINE.atZone(SHANGHAI).toOffsetDateTime().toString();
  }

  private String claimKey(Program p) {
    return cluster.prefix + "claim:" + Claims.runName(p.id(), NINE);
  }

  private static String claimValue(String key) {
    return TestRedis.server().client().get(key);
  }

  private static void writeDeadClaim(String key, Instant claimedAt) {
    TestRedis.server()
        .client()
        .set(key, "node-dead pending " + claimedAt.plus(Claims.LEASE).toEpochMilli());
  }

  private void moveTo(Instant t) {
    if (t.isAfter(clock.instant())) clock.advance(Duration.between(clock.instant(), t));
  }
}
