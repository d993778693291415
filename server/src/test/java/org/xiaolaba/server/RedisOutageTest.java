package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.server.ProgramProbe.isPlayOf;
import static org.xiaolaba.server.ProgramProbe.sample;
import static org.xiaolaba.server.ProgramProbe.startAt;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.EmbeddedRedisServer;
import org.xiaolaba.config.testing.FrozenRedis;

/**
 * Redis dies (SIGKILL, no clean shutdown) under a running server and comes back: meanwhile the
 * server says it is not ready, answers API calls with a prompt 503 problem (no hanging requests)
 * and keeps its WebSocket clients connected; afterwards everything works again without a restart:
 * live pushes (the pub/sub subscription comes back by itself), what was answered with a 2xx before
 * the crash (the AOF: Redis writes it before answering, so a killed redis-server loses nothing;
 * {@code appendfsync always}, the embedded default, extends that to a power cut, which no test here
 * can show), and the node's Quartz: a program made before the outage goes on playing on the
 * terminal, each run once, the run due during the outage played late once Redis is back, and one
 * made after it is armed and plays. Redis frozen (SIGSTOP: connections open, no answers) is the
 * same to clients: 503 within the Redis timeout, never a hanging request.
 */
class RedisOutageTest {
  static final String VILLAGE = "320623100201";
  static final String CHANNEL = "area:" + VILLAGE;
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  EmbeddedRedisServer redis;
  TestServer server;
  String editor;
  String clipId;
  TestServer.WsRecorder terminal;
  TestServer.WsRecorder resident;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (redis != null) redis.close();
  }

  @Test
  void whileRedisIsDownTheServerAnswers503AndKeepsItsClientsAndAfterwardsAllWorksAgain()
      throws Exception {
    int port = startNode();
    // Answered with a 2xx before Redis dies: a push, a clip and a program playing every two
    // seconds.
    String pushId = push("停电").get("id").asText();
    assertThat(resident.awaitType("push", WAIT).at("/data/title").asText()).isEqualTo("停电");
    String every2s = playEveryTwoSeconds();

    ExternalRedis.crash(redis);
    redis = null;

    await().atMost(WAIT).until(() -> server.get("/readyz", null).statusCode() == 503);
    var refused =
        server.postJson(
            "/api/v1/pushes", editor, Map.of("areas", List.of(VILLAGE), "title", "停电", "body", ""));
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(refused.body()).contains("Redis");
    // The resident is still connected and served by the node.
    resident.send("{\"op\":\"ping\"}");
    assertThat(resident.awaitType("pong", WAIT)).isNotNull();
    assertThat(resident.closed).isNotDone();
    awaitAFailedFire();

    redis = ExternalRedis.restart(dir, port);

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              var ready = server.get("/readyz", null);
              assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            });
    Instant back = Instant.now();
    // What was answered with a 2xx before the crash came back from the AOF.
    assertThat(server.get("/api/v1/pushes/" + pushId, editor).statusCode()).isEqualTo(200);
    assertThat(
            TestServer.json(server.get("/api/v1/clips/" + clipId, editor).body())
                .path("status")
                .asText())
        .isEqualTo("ready");
    // The editor's token, written before the outage, is still known; a push goes out live again.
    await()
        .atMost(WAIT)
        .until(
            () ->
                server
                        .postJson(
                            "/api/v1/pushes",
                            editor,
                            Map.of("areas", List.of(VILLAGE), "title", "恢复供电", "body", ""))
                        .statusCode()
                    == 202);
    JsonNode push = resident.awaitType("push", WAIT);
    assertThat(push.at("/data/title").asText()).isEqualTo("恢复供电");
    assertThat(resident.closed).isNotDone();

    // The program made before the outage plays on the terminal again, each run once.
    List<Instant> played = new ArrayList<>();
    Instant settled = back.plus(Duration.ofSeconds(2));
    while (played.stream().filter(settled::isBefore).count() < 2) {
      played.add(startAt(terminal.await(m -> isPlayOf(m, every2s), WAIT)));
    }
    assertThat(played).doesNotHaveDuplicates();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(everyRunOnce(every2s))
                    .containsAll(played.stream().filter(settled::isBefore).toList()));
    delete(every2s);

    // A program made now is armed and plays, once.
    OffsetDateTime at =
        OffsetDateTime.now(ZoneId.of("Asia/Shanghai"))
            .plusSeconds(4)
            .truncatedTo(ChronoUnit.SECONDS);
    String once = createProgram(Map.of("once", at.toString()));
    assertThat(startAt(terminal.await(m -> isPlayOf(m, once), WAIT))).isEqualTo(at.toInstant());
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(runs(once)).containsExactly(at.toInstant()));
    assertThat(terminal.closed).isNotDone();
  }

  @Test
  void aFrozenRedisIsAPrompt503NotAHangingRequestAndTheNodeGoesOnWhenItThaws() throws Exception {
    startNode();

    FrozenRedis.signal(redis, "STOP");
    try {
      for (String path : List.of("/api/v1/clips", "/api/v1/programs")) {
        long started = System.nanoTime();
        var refused = server.get(path, editor);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(refused.statusCode()).as(path + ": " + refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type"))
            .hasValue("application/problem+json");
        assertThat(took).as(path).isLessThan(Duration.ofSeconds(5));
      }
      await().atMost(WAIT).until(() -> server.get("/readyz", null).statusCode() == 503);
      resident.send("{\"op\":\"ping\"}");
      assertThat(resident.awaitType("pong", WAIT)).isNotNull();
    } finally {
      FrozenRedis.signal(redis, "CONT");
    }

    await().atMost(WAIT).until(() -> server.get("/readyz", null).statusCode() == 200);
    push("解冻");
    assertThat(resident.awaitType("push", WAIT).at("/data/title").asText()).isEqualTo("解冻");
    assertThat(resident.closed).isNotDone();
  }

  /**
   * Starts Redis and a node on it (Redis timeout 1 s, lead time 1 s) with an editor, a terminal and
   * a resident of the village; returns Redis' port.
   */
  private int startNode() throws Exception {
    redis = ExternalRedis.start(dir);
    server = ExternalRedis.node(dir, redis, TestServer.RUNS_EVERY_SECOND);
    editor = server.token("editor", "编辑", "320623");
    terminal = server.connect(server.token("terminal", "一号喇叭", VILLAGE));
    terminal.awaitType("subscribed", WAIT);
    resident = server.subscriber(CHANNEL);
    return redis.port();
  }

  /**
   * A clip and a program playing it every two seconds in the village; returns once a run has played
   * on the terminal and is in the as-run log.
   */
  private String playEveryTwoSeconds() throws Exception {
    clipId = server.uploadSettled(TestServer.tone(dir, "t.wav", 1), editor).get("id").asText();
    String id = createProgram(Map.of("cron", "0/2 * * * * ?"));
    terminal.await(m -> isPlayOf(m, id), WAIT);
    await().atMost(WAIT).until(() -> !runs(id).isEmpty());
    return id;
  }

  /**
   * Waits while Redis does not answer until a run could not be claimed: the program's trigger fires
   * twice, since it fires the next run only once the firing before has given up.
   */
  private void awaitAFailedFire() {
    double fires = sample(server, "xiaolaba_quartz_fires_total");
    await().atMost(WAIT).until(() -> sample(server, "xiaolaba_quartz_fires_total") >= fires + 2);
  }

  /**
   * The program's as-run log, checked to hold every run once and none missing, those due while
   * Redis did not answer too (played late or logged missed, as runs due while no node was up).
   */
  private List<Instant> everyRunOnce(String programId) {
    List<Instant> logged = runs(programId).stream().sorted().toList();
    assertThat(logged).doesNotHaveDuplicates();
    for (int i = 1; i < logged.size(); i++) {
      assertThat(Duration.between(logged.get(i - 1), logged.get(i)))
          .as("no run missing between %s and %s", logged.get(i - 1), logged.get(i))
          .isEqualTo(Duration.ofSeconds(2));
    }
    return logged;
  }

  private String createProgram(Map<String, String> schedule) {
    return ProgramProbe.createProgram(server, clipId, VILLAGE, schedule);
  }

  private void delete(String programId) {
    var deleted =
        server.send(
            server.request("/api/v1/programs/" + programId, TestServer.ADMIN).DELETE().build());
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
  }

  private JsonNode push(String title) {
    var sent =
        server.postJson(
            "/api/v1/pushes",
            editor,
            Map.of("areas", List.of(VILLAGE), "title", title, "body", ""));
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
    return TestServer.json(sent.body());
  }

  /** The scheduled instants of the program's as-run log. */
  private List<Instant> runs(String programId) {
    return ProgramProbe.scheduled(ProgramProbe.runs(server, programId));
  }
}
