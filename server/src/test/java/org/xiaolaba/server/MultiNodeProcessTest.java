package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

/**
 * Three server processes on one external redis-server; one is killed with SIGKILL in the middle of
 * a program that plays every two seconds and of a stream of pushes. The others fire every run
 * exactly once (the as-run log has each two-second run once, none missing, the killed node's claims
 * taken over), and the killed node's resident reconnects to another node and recovers what it
 * missed from its offset, in order, nothing lost.
 */
class MultiNodeProcessTest {
  static final String VILLAGE = "320623100201";
  static final String CHANNEL = "area:" + VILLAGE;
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  NodeCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  void aNodeKilledMidScheduleLeavesTheOthersToPlayEveryRunOnceAndItsClientsRecoverElsewhere()
      throws Exception {
    cluster = NodeCluster.start(dir);
    List<NodeProcess> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(cluster.node(dir.resolve("node" + i), TestServer.RUNS_EVERY_SECOND));
    }
    NodeProcess first = nodes.get(0);
    NodeProcess second = nodes.get(1);
    NodeProcess doomed = nodes.get(2);

    String clipId =
        first
            .postFile(
                "/api/v1/clips?title=tone", TestServer.ADMIN, TestServer.tone(dir, "t.wav", 1))
            .get("id")
            .asText();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                "ready"
                    .equals(
                        TestServer.json(
                                first.get("/api/v1/clips/" + clipId, TestServer.ADMIN).body())
                            .path("status")
                            .asText()));

    List<TestServer.WsRecorder> residents = new ArrayList<>();
    for (NodeProcess n : nodes) {
      TestServer.WsRecorder r = n.connect();
      r.send(Map.of("op", "subscribe", "channels", List.of(CHANNEL)));
      r.awaitType("subscribed", WAIT);
      residents.add(r);
    }

    var created =
        second.postJson(
            "/api/v1/programs",
            TestServer.ADMIN,
            Map.of(
                "title",
                "整点广播",
                "clipId",
                clipId,
                "areas",
                List.of(VILLAGE),
                "schedule",
                Map.of("cron", "0/2 * * * * ?")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String programId = TestServer.json(created.body()).get("id").asText();

    for (int i = 0; i < 3; i++) push(first, "前" + i);
    String lastSeen = null;
    for (TestServer.WsRecorder r : residents) {
      for (int i = 0; i < 3; i++) {
        JsonNode p = r.awaitType("push", WAIT);
        assertThat(p.at("/data/title").asText()).isEqualTo("前" + i);
        if (r == residents.get(2)) lastSeen = p.get("offset").asText();
      }
    }
    // Let a few runs go by on all three, then kill one in the middle of the schedule.
    await().atMost(WAIT).until(() -> runs(first, programId).size() >= 3);
    doomed.kill();
    Instant killedAt = Instant.now();
    TestServer.WsRecorder orphan = residents.get(2);
    await().atMost(WAIT).until(() -> orphan.closed.isDone());

    for (int i = 0; i < 3; i++) push(first, "后" + i);
    TestServer.WsRecorder back = second.connect();
    back.send(
        Map.of(
            "op", "subscribe", "channels", List.of(CHANNEL), "since", Map.of(CHANNEL, lastSeen)));
    assertThat(back.awaitType("subscribed", WAIT).get("recovered").asBoolean()).isTrue();
    for (int i = 0; i < 3; i++) {
      assertThat(back.awaitType("push", WAIT).at("/data/title").asText()).isEqualTo("后" + i);
    }

    // Runs go on past the killed node's longest claim lease (15 s); then the program is stopped.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                runs(first, programId).stream()
                    .anyMatch(r -> scheduled(r).isAfter(killedAt.plus(Duration.ofSeconds(20)))));
    List<JsonNode> log = runs(second, programId);
    assertThat(second.delete("/api/v1/programs/" + programId, TestServer.ADMIN).statusCode())
        .isEqualTo(204);

    List<Instant> at = log.stream().map(MultiNodeProcessTest::scheduled).sorted().toList();
    assertThat(at).doesNotHaveDuplicates();
    for (int i = 1; i < at.size(); i++) {
      assertThat(Duration.between(at.get(i - 1), at.get(i)))
          .as("no run missing between %s and %s", at.get(i - 1), at.get(i))
          .isEqualTo(Duration.ofSeconds(2));
    }
    assertThat(at.get(at.size() - 1)).isAfter(killedAt.plus(Duration.ofSeconds(20)));
    assertThat(log).allSatisfy(r -> assertThat(r.path("missed").asBoolean()).isFalse());
  }

  private static void push(NodeProcess via, String title) throws Exception {
    var r =
        via.postJson(
            "/api/v1/pushes",
            TestServer.ADMIN,
            Map.of("areas", List.of(VILLAGE), "title", title, "body", ""));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  private static List<JsonNode> runs(NodeProcess via, String programId) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    TestServer.json(via.get("/api/v1/programs/" + programId + "/runs", TestServer.ADMIN).body())
        .forEach(out::add);
    return out;
  }

  private static Instant scheduled(JsonNode run) {
    return OffsetDateTime.parse(run.get("scheduledAt").asText()).toInstant();
  }
}
