package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.server.TestServer;
import redis.clients.jedis.JedisPooled;

/**
 * A channel's history on the real Redis: bounded by length and by age, and reset histories told
 * apart by their epoch, so a resident coming back is told {@code recovered: false} exactly when
 * what it missed cannot be replayed whole.
 */
class PushHistoryTest {
  static final String COUNTY = "320623";
  static final String TOWN = "320623100";
  static final String VILLAGE = "320623100201";
  static final String CHANNEL = "area:" + VILLAGE;
  static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  TestServer server;

  @AfterEach
  void stop() {
    if (server != null) server.close();
  }

  @Test
  void aResidentAwayWhileTheTownAndCountyWerePushedToGetsEverythingInOrder() throws Exception {
    server = TestServer.start(dir);
    String first = push(VILLAGE, "村里的第一条");
    push(TOWN, "镇里的通知");
    push(COUNTY, "县里的政策");
    push(VILLAGE, "村里的第二条");

    Subscribed back = resubscribe(first, null);

    assertThat(back.recovered).isTrue();
    assertThat(titles(back.ws, 3)).containsExactly("镇里的通知", "县里的政策", "村里的第二条");
  }

  @Test
  void anOffsetOlderThanTheKeptLengthIsNotRecovered() throws Exception {
    server = TestServer.start(dir, Map.of("XIAOLABA_WEBSOCKET_HISTORY_LENGTH", "5"));
    String first = push(VILLAGE, "第0条");
    String second = null;
    for (int i = 1; i <= 8; i++) {
      String offset = push(VILLAGE, "第" + i + "条");
      if (i == 4) second = offset;
    }

    Subscribed gone = resubscribe(first, null);
    assertThat(gone.recovered).isFalse();
    assertThat(gone.frame.get("offset").asText()).isNotEqualTo(first);
    gone.ws.abort();

    // Messages 5 to 8 are still kept: from message 4's offset everything is replayed.
    Subscribed kept = resubscribe(second, null);
    assertThat(kept.recovered).isTrue();
    assertThat(titles(kept.ws, 4)).containsExactly("第5条", "第6条", "第7条", "第8条");
  }

  @Test
  void messagesOlderThanTheMaxAgeLeaveTheHistory() throws Exception {
    server = TestServer.start(dir, Map.of("XIAOLABA_WEBSOCKET_HISTORY_MAX_AGE", "1s"));
    String first = push(VILLAGE, "旧消息");
    push(VILLAGE, "新消息");

    // Once the first message is older than a second, an offset before it cannot be recovered, even
    // with no further push to the channel.
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              Subscribed s = resubscribe(first, null);
              s.ws.abort();
              return !s.recovered;
            });
  }

  @Test
  void aHistoryLostByRedisStartsANewEpochAndAnOffsetFromTheOldOneIsNotRecovered() throws Exception {
    server = TestServer.start(dir);
    String first = push(VILLAGE, "重置前一");
    Subscribed before = resubscribe(first, null);
    String oldEpoch = before.frame.get("epoch").asText();
    assertThat(oldEpoch).isNotBlank();
    String last = push(VILLAGE, "重置前二");
    before.ws.abort();

    // Redis loses the channel's history (a flush, a failover to an empty replica).
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(server.redisUrl()))) {
      String prefix = server.settings.redis().keyPrefix();
      assertThat(redis.del(prefix + "stream:" + CHANNEL, prefix + "epoch:" + CHANNEL)).isEqualTo(2);
    }

    // Nothing pushed since: the channel has no history to account for the offset.
    Subscribed empty = resubscribe(last, oldEpoch);
    assertThat(empty.recovered).isFalse();
    empty.ws.abort();

    push(VILLAGE, "重置后");
    Subscribed after = resubscribe(last, oldEpoch);
    assertThat(after.recovered).isFalse();
    assertThat(after.frame.get("epoch").asText()).isNotEqualTo(oldEpoch);

    // With the new epoch and its offset, recovery works again.
    String newOffset = after.frame.get("offset").asText();
    String newEpoch = after.frame.get("epoch").asText();
    after.ws.abort();
    push(VILLAGE, "重置后二");
    Subscribed again = resubscribe(newOffset, newEpoch);
    assertThat(again.recovered).isTrue();
    assertThat(titles(again.ws, 1)).containsExactly("重置后二");
  }

  @Test
  void twoHundredResidentsComingBackAtOnceWhilePushesGoOnEachGetEveryMessageOnceInOrder()
      throws Exception {
    server = TestServer.start(dir);
    String since = push(VILLAGE, "离线前");
    int residents = 200;
    int pushes = 20;
    var pusher = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      List<TestServer.WsRecorder> back = new ArrayList<>();
      var sending =
          pusher.submit(
              () -> {
                for (int i = 0; i < pushes; i++) {
                  var sent =
                      server.postJson(
                          "/api/v1/pushes",
                          TestServer.ADMIN,
                          Map.of(
                              "areas",
                              List.of(i % 2 == 0 ? VILLAGE : TOWN),
                              "title",
                              "第" + i,
                              "body",
                              ""));
                  assertThat(sent.statusCode()).isEqualTo(202);
                }
                return null;
              });
      for (int r = 0; r < residents; r++) {
        TestServer.WsRecorder ws = server.connect(null);
        ws.send(
            Map.of(
                "op", "subscribe", "channels", List.of(CHANNEL), "since", Map.of(CHANNEL, since)));
        back.add(ws);
      }
      sending.get(30, java.util.concurrent.TimeUnit.SECONDS);
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < pushes; i++) expected.add("第" + i);
      for (TestServer.WsRecorder ws : back) {
        assertThat(ws.awaitType("subscribed", WAIT).get("recovered").asBoolean()).isTrue();
        assertThat(titles(ws, pushes)).containsExactlyElementsOf(expected);
      }
      // Nothing more arrived on any of them: no duplicates.
      push(VILLAGE, "探针");
      for (TestServer.WsRecorder ws : back) {
        assertThat(ws.awaitType("push", WAIT).at("/data/title").asText()).isEqualTo("探针");
        ws.abort();
      }
    } finally {
      pusher.shutdownNow();
    }
  }

  @Test
  void aCountyPushKeepsItsBodyOnceWithTheHistoryAndEveryVillageStillRecoversItWhole()
      throws Exception {
    server = TestServer.start(dir, Map.of("XIAOLABA_WEBSOCKET_HISTORY_MAX_AGE", "1h"));
    String first = push(VILLAGE, "之前");
    String body = "县里的长通知。".repeat(2000);
    var sent =
        server.postJson(
            "/api/v1/pushes",
            TestServer.ADMIN,
            Map.of("areas", List.of(COUNTY), "title", "全县", "body", body));
    String id = TestServer.json(sent.body()).get("id").asText();
    long channels =
        TestServer.json(server.get("/api/v1/pushes/" + id, TestServer.ADMIN).body())
            .get("messagesWritten")
            .asLong();
    assertThat(channels).isGreaterThan(10);

    try (JedisPooled redis = new JedisPooled(java.net.URI.create(server.redisUrl()))) {
      String prefix = server.settings.redis().keyPrefix();
      long streamBytes = 0;
      for (String key : redis.keys(prefix + "stream:area:*")) {
        streamBytes += redis.memoryUsage(key);
        for (var e : redis.xrange(key, "-", "+")) {
          assertThat(e.getFields().toString()).doesNotContain("县里的长通知");
        }
      }
      // Every channel's entry is a reference: all of them together hold less than the body once.
      assertThat(streamBytes)
          .isLessThan(body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
      assertThat(redis.get(prefix + "push:" + id + ":body")).contains(body);
      assertThat(redis.pttl(prefix + "push:" + id + ":body")).isBetween(1L, 3_600_000L);
      assertThat(redis.pttl(prefix + "push:" + id)).isBetween(1L, 3_600_000L);
    }

    Subscribed back = resubscribe(first, null);
    assertThat(back.recovered).isTrue();
    JsonNode replayed = back.ws.awaitType("push", WAIT);
    assertThat(replayed.at("/data/pushId").asText()).isEqualTo(id);
    assertThat(replayed.at("/data/body").asText()).isEqualTo(body);
    assertThat(replayed.at("/data/title").asText()).isEqualTo("全县");
  }

  @Test
  void aPushWhoseBodyExpiredIsLeftOutOfTheReplayAndItsReportIsGone() throws Exception {
    server = TestServer.start(dir);
    String first = push(VILLAGE, "留下");
    String gone = push(VILLAGE, "过期");
    String kept = push(VILLAGE, "还在");
    String goneId;
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(server.redisUrl()))) {
      String prefix = server.settings.redis().keyPrefix();
      var entry = redis.xrange(prefix + "stream:" + CHANNEL, gone, gone).get(0);
      goneId = entry.getFields().get("push");
      // What the expiry of historyMaxAge does to the body and the report.
      assertThat(redis.del(prefix + "push:" + goneId + ":body", prefix + "push:" + goneId))
          .isEqualTo(2);
    }
    assertThat(server.get("/api/v1/pushes/" + goneId, TestServer.ADMIN).statusCode())
        .isEqualTo(404);
    Subscribed back = resubscribe(first, null);
    assertThat(back.recovered).isTrue();
    JsonNode next = back.ws.awaitType("push", WAIT);
    assertThat(next.at("/data/title").asText()).isEqualTo("还在");
    assertThat(next.get("offset").asText()).isEqualTo(kept);
  }

  /** Pushes to one area; returns the offset it got in the village's channel. */
  private String push(String area, String title) throws Exception {
    TestServer.WsRecorder watcher = server.connect(null);
    try {
      watcher.send(Map.of("op", "subscribe", "channels", List.of(CHANNEL)));
      watcher.awaitType("subscribed", WAIT);
      var sent =
          server.postJson(
              "/api/v1/pushes",
              TestServer.ADMIN,
              Map.of("areas", List.of(area), "title", title, "body", ""));
      assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
      JsonNode p =
          watcher.await(
              m ->
                  "push".equals(m.path("type").asText())
                      && title.equals(m.at("/data/title").asText()),
              WAIT);
      return p.get("offset").asText();
    } finally {
      watcher.abort();
    }
  }

  private record Subscribed(TestServer.WsRecorder ws, JsonNode frame, boolean recovered) {}

  private Subscribed resubscribe(String since, String epoch) throws Exception {
    TestServer.WsRecorder ws = server.connect(null);
    Map<String, Object> msg = new HashMap<>();
    msg.put("op", "subscribe");
    msg.put("channels", List.of(CHANNEL));
    msg.put("since", Map.of(CHANNEL, since));
    if (epoch != null) msg.put("epochs", Map.of(CHANNEL, epoch));
    ws.send(msg);
    JsonNode s = ws.awaitType("subscribed", WAIT);
    return new Subscribed(ws, s, s.get("recovered").asBoolean());
  }

  private static List<String> titles(TestServer.WsRecorder ws, int n) throws Exception {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(ws.awaitType("push", WAIT).at("/data/title").asText());
    return out;
  }
}
