package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.server.ProgramProbe.createProgram;
import static org.xiaolaba.server.ProgramProbe.isPlayOf;
import static org.xiaolaba.server.ProgramProbe.runs;
import static org.xiaolaba.server.ProgramProbe.sample;
import static org.xiaolaba.server.ProgramProbe.scheduled;
import static org.xiaolaba.server.ProgramProbe.scheduledAt;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.EmbeddedRedisServer;
import org.xiaolaba.config.testing.FrozenRedis;

/**
 * Redis freezes (SIGSTOP: its connections stay open, no command is answered) under a node playing a
 * program every two seconds to a terminal, then thaws. The pub/sub subscription never drops, so no
 * resync comes; the runs whose claims Redis could not answer are caught up by the node's retry of
 * its unsettled programs all the same: each run due while Redis was frozen is in the as-run log
 * once, played late or logged missed, soon after the thaw (well within a claim's lease), and the
 * runs after it play once each on the terminal. Redis stays frozen seven seconds, so that a retry
 * fails (quietly) before one succeeds.
 */
class RedisFreezeScheduleTest {
  static final String VILLAGE = "320623100201";
  static final Duration WAIT = Duration.ofSeconds(20);
  static final Duration EVERY = Duration.ofSeconds(2);

  static final Duration FROZEN = Duration.ofSeconds(7);

  /** How soon after the thaw every run due while frozen is logged: well within the lease (15 s). */
  static final Duration SETTLED_WITHIN = Duration.ofSeconds(10);

  @TempDir Path dir;
  EmbeddedRedisServer redis;
  TestServer server;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (redis != null) redis.close();
  }

  @Test
  void runsDueWhileRedisWasFrozenAreLoggedOnceSoonAfterTheThawAndLaterRunsPlayOnce()
      throws Exception {
    redis = ExternalRedis.start(dir);
    server = ExternalRedis.node(dir, redis, TestServer.RUNS_EVERY_SECOND);
    String editor = server.token("editor", "编辑", "320623");
    TestServer.WsRecorder terminal = server.connect(server.token("terminal", "一号喇叭", VILLAGE));
    terminal.awaitType("subscribed", WAIT);
    String clipId =
        server.uploadSettled(TestServer.tone(dir, "t.wav", 1), editor).get("id").asText();
    String every2s = createProgram(server, clipId, VILLAGE, Map.of("cron", "0/2 * * * * ?"));
    List<JsonNode> plays = new ArrayList<>();
    plays.add(terminal.await(m -> isPlayOf(m, every2s), WAIT));
    await().atMost(WAIT).untilAsserted(() -> assertThat(everyRunOnce(every2s)).isNotEmpty());

    Instant frozenAt;
    Instant thawedAt;
    double fires = sample(server, "xiaolaba_quartz_fires_total");
    try (FrozenRedis frozen = FrozenRedis.freeze(redis)) {
      frozenAt = Instant.now();
      // Seven seconds, over which the program's trigger fired at least thrice and a retry of its
      // unsettled runs failed.
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  Duration.between(frozenAt, Instant.now()).compareTo(FROZEN) >= 0
                      && sample(server, "xiaolaba_quartz_fires_total") >= fires + 3);
      thawedAt = Instant.now();
    }

    // Its trigger fired (a lead time before) while Redis did not answer: never played on time.
    List<Instant> unanswered = new ArrayList<>();
    for (Instant r = nextRun(frozenAt.plusSeconds(1)); !r.isAfter(thawedAt); r = r.plus(EVERY)) {
      unanswered.add(r);
    }
    assertThat(unanswered).as("runs due while Redis was frozen").isNotEmpty();
    Instant settled = thawedAt.plus(SETTLED_WITHIN);
    Instant firstAfter = nextRun(thawedAt.plus(EVERY));
    await()
        .atMost(Duration.between(Instant.now(), settled))
        .untilAsserted(() -> assertThat(scheduled(everyRunOnce(every2s))).containsAll(unanswered));
    for (JsonNode run : everyRunOnce(every2s)) {
      Instant at = scheduledAt(run);
      if (!unanswered.contains(at)) continue;
      boolean missed = run.path("missed").asBoolean();
      Instant dispatched =
          missed ? null : OffsetDateTime.parse(run.path("dispatchedAt").asText()).toInstant();
      assertThat(missed || !dispatched.isBefore(thawedAt))
          .as("run %s: missed, or played late after the thaw: %s", at, run)
          .isTrue();
    }

    // The runs after the thaw play, each once; nothing was played twice.
    while (plays.stream().map(ProgramProbe::startAt).noneMatch(firstAfter::isBefore)) {
      plays.add(terminal.await(m -> isPlayOf(m, every2s), WAIT));
    }
    assertThat(plays.stream().map(p -> p.path("runId").asText()).toList()).doesNotHaveDuplicates();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(scheduled(everyRunOnce(every2s)))
                    .contains(firstAfter, firstAfter.plus(EVERY)));
    assertThat(terminal.closed).isNotDone();
  }

  /** The first run of "every two seconds" at or after {@code t}. */
  private static Instant nextRun(Instant t) {
    long s = t.getEpochSecond() + (t.getNano() > 0 ? 1 : 0);
    return Instant.ofEpochSecond(s + s % 2);
  }

  /**
   * The program's as-run log, sorted, checked to hold every run once and none missing between the
   * first and the last.
   */
  private List<JsonNode> everyRunOnce(String programId) {
    List<JsonNode> logged = new ArrayList<>(runs(server, programId));
    logged.sort((a, b) -> scheduledAt(a).compareTo(scheduledAt(b)));
    List<Instant> at = scheduled(logged);
    assertThat(at).as("as-run log").doesNotHaveDuplicates();
    for (int i = 1; i < at.size(); i++) {
      assertThat(Duration.between(at.get(i - 1), at.get(i)))
          .as("no run missing between %s and %s", at.get(i - 1), at.get(i))
          .isEqualTo(EVERY);
    }
    return logged;
  }
}
