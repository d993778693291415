package org.xiaolaba.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.SettableClock;
import org.xiaolaba.config.testing.TestSettings;

/**
 * The audit log's storage on a real Redis with a settable clock: entries older than the retention
 * leave Redis at the next write and are never shown meanwhile; days are the configured zone's; ids
 * never go back, even when a clock does.
 */
class AuditLogRetentionTest {
  static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
  static final Instant T0 = Instant.parse("2026-03-02T02:00:00Z"); // 10:00 in Shanghai
  static final Duration RETENTION = Duration.ofDays(400);

  @TempDir static Path dataDir;
  static RedisHandle redis;
  SettableClock clock;
  AuditLog log;

  @BeforeAll
  static void startRedis() {
    redis = RedisHandle.open(TestSettings.forDataDir(dataDir));
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @BeforeEach
  void freshLog() {
    redis.client().del(redis.key("audit"));
    clock = new SettableClock(T0);
    log = new AuditLog(redis, clock, ZONE, RETENTION);
  }

  private AuditEntry entry(String target) {
    return new AuditEntry(
        null,
        log.now(),
        "t1",
        "编辑",
        "editor",
        "10.0.0.1",
        "DELETE",
        "/api/v1/items/{id}",
        "/api/v1/items/" + target,
        target,
        204,
        null);
  }

  private long stored() {
    return redis.client().xlen(redis.key("audit"));
  }

  @Test
  void theLogKeepsAtMostMaxEntriesWhateverTheirAgeTheOldestGoingFirst() {
    AuditLog capped = new AuditLog(redis, clock, ZONE, RETENTION, 1000);
    for (int i = 0; i < 3000; i++) capped.append(entry("t" + i));
    // Redis trims whole nodes of a stream ('~'): a little above the cap, never far.
    assertThat(stored()).isBetween(1000L, 1200L);
    assertThat(capped.read(log.today(), null, null, 1).get(0).target()).isEqualTo("t2999");
  }

  @Test
  void anEntryOlderThanTheRetentionIsRemovedByTheNextWrite() {
    log.append(entry("old"));
    clock.advance(RETENTION.plusDays(1));
    log.append(entry("new"));

    assertThat(stored()).isEqualTo(1);
    assertThat(log.read(LocalDate.ofInstant(T0, ZONE), null, null, 100)).isEmpty();
    assertThat(log.read(log.today(), null, null, 100))
        .extracting(AuditEntry::target)
        .containsExactly("new");
  }

  @Test
  void anEntryJustInsideTheRetentionStays() {
    log.append(entry("kept"));
    clock.advance(RETENTION.minusMinutes(1));
    log.append(entry("new"));

    assertThat(stored()).isEqualTo(2);
    assertThat(log.read(LocalDate.ofInstant(T0, ZONE), null, null, 100))
        .extracting(AuditEntry::target)
        .containsExactly("kept");
  }

  @Test
  void anExpiredEntryIsNotShownEvenBeforeAnotherWriteRemovesIt() {
    log.append(entry("old"));
    clock.advance(RETENTION.plusSeconds(1));

    assertThat(log.read(LocalDate.ofInstant(T0, ZONE), null, null, 100)).isEmpty();
  }

  @Test
  void aDayIsTheConfiguredZonesDayAndEntriesComeNewestFirst() {
    clock.set(Instant.parse("2026-03-01T15:59:59Z")); // 23:59:59 on 1 March in Shanghai
    log.append(entry("late"));
    clock.set(Instant.parse("2026-03-01T16:00:00Z")); // midnight, 2 March
    log.append(entry("first"));
    clock.advance(Duration.ofMinutes(1));
    log.append(entry("second"));

    assertThat(log.read(LocalDate.parse("2026-03-01"), null, null, 100))
        .extracting(AuditEntry::target)
        .containsExactly("late");
    List<AuditEntry> march2 = log.read(LocalDate.parse("2026-03-02"), null, null, 100);
    assertThat(march2).extracting(AuditEntry::target).containsExactly("second", "first");
    assertThat(march2.get(0).at().toString()).isEqualTo("2026-03-02T00:01+08:00");
  }

  @Test
  void idsNeverGoBackWhenAClockDoes() {
    String first = log.append(entry("a"));
    clock.advance(Duration.ofSeconds(-30));
    String second = log.append(entry("b"));

    assertThat(second).isEqualTo(first.split("-")[0] + "-1");
    assertThat(stored()).isEqualTo(2);
  }

  @Test
  void filtersAndTheLimitApplyAcrossReadBatches() {
    for (int i = 0; i < AuditLog.BATCH + 10; i++) {
      log.append(entry(i % 100 == 0 ? "wanted" : "other-" + i));
      clock.advance(Duration.ofMillis(1));
    }
    LocalDate day = log.today();
    assertThat(log.read(day, null, "wanted", 100)).hasSize(6);
    assertThat(log.read(day, "t1", null, 3))
        .extracting(AuditEntry::target)
        .containsExactly("other-509", "other-508", "other-507");
    assertThat(log.read(day, "someone-else", null, 100)).isEmpty();
    assertThat(log.read(day, null, null, 1000)).hasSize(AuditLog.BATCH + 10);
  }
}
