package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foundation slice over real sockets, with the embedded Redis and real ffmpeg: a token for a
 * terminal, an upload transcoded into both renditions, a program that plays on the terminal ahead
 * of its start, and a push that reaches a resident.
 */
class EndToEndTest {
  static final String VILLAGE = "320623100201";
  static final String TOWN = "320623100";

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void anUploadedClipIsTranscodedAndPlaysOnTheVillageTerminalAheadOfItsStart() throws Exception {
    String terminalToken = server.token("terminal", "长沙村一号喇叭", VILLAGE);
    String editor = server.token("editor", "县台编辑", "320623");
    String broadcaster = server.token("broadcaster", "长沙村广播员", VILLAGE);

    Path tone = TestServer.tone(work, "tone.mp3", 4, "-ac", "2", "-b:a", "128k");
    HttpResponse<String> upload =
        server.send(
            server
                .request(
                    "/api/v1/clips?title=" + java.net.URLEncoder.encode("防汛通知", "UTF-8"), editor)
                .POST(HttpRequest.BodyPublishers.ofFile(tone))
                .build());
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(202);
    JsonNode accepted = TestServer.json(upload.body());
    assertThat(accepted.get("status").asText()).isEqualTo("processing");
    String clipId = accepted.get("id").asText();

    JsonNode ready = server.awaitClipSettled(clipId, editor);
    assertThat(ready.get("status").asText()).as(ready.toString()).isEqualTo("ready");
    assertThat(ready.get("title").asText()).isEqualTo("防汛通知");
    assertThat(ready.get("durationMs").asLong()).isBetween(3000L, 4500L);
    JsonNode loudspeaker = ready.at("/renditions/loudspeaker");
    assertThat(loudspeaker.get("codec").asText()).isEqualTo("mp3");
    assertThat(loudspeaker.get("channels").asInt()).isEqualTo(1);
    assertThat(ready.at("/renditions/app/codec").asText()).isEqualTo("aac");

    // The rendition served over HTTP is really a mono MP3.
    HttpResponse<byte[]> audio =
        server.sendBytes(server.request(loudspeaker.get("url").asText(), null).GET().build());
    assertThat(audio.statusCode()).isEqualTo(200);
    assertThat(audio.body().length).isEqualTo(loudspeaker.get("bytes").asInt());
    Path fetched = Files.write(work.resolve("fetched.mp3"), audio.body());
    assertThat(TestServer.describeAudio(fetched)).contains("mp3").contains("mono");

    TestServer.WsRecorder terminal = server.connect(terminalToken);
    terminal.awaitType("subscribed", Duration.ofSeconds(5));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> server.get("/api/v1/terminals", editor).body().contains("\"online\":true"));

    OffsetDateTime startAt =
        OffsetDateTime.now(ZoneId.of("Asia/Shanghai"))
            .plusSeconds(8)
            .truncatedTo(ChronoUnit.SECONDS);
    HttpResponse<String> created =
        server.postJson(
            "/api/v1/programs",
            broadcaster,
            Map.of(
                "title",
                "防汛通知",
                "clipId",
                clipId,
                "areas",
                List.of(VILLAGE),
                "priority",
                "normal",
                "schedule",
                Map.of("once", startAt.toString())));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode program = TestServer.json(created.body());
    assertThat(OffsetDateTime.parse(program.at("/nextRuns/0").asText()).toInstant())
        .isEqualTo(startAt.toInstant());

    JsonNode play = terminal.awaitType("play", Duration.ofSeconds(20));
    Instant received = Instant.now();
    Instant playStart = OffsetDateTime.parse(play.get("startAt").asText()).toInstant();
    assertThat(playStart).isEqualTo(startAt.toInstant());
    assertThat(received).as("play must arrive ahead of startAt").isBefore(playStart);
    assertThat(play.get("program").asText()).isEqualTo(program.get("id").asText());
    assertThat(play.at("/audio/url").asText()).isEqualTo(loudspeaker.get("url").asText());
    assertThat(play.at("/audio/durationMs").asLong()).isPositive();

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              JsonNode runs =
                  TestServer.json(
                      server
                          .get(
                              "/api/v1/programs/" + program.get("id").asText() + "/runs",
                              broadcaster)
                          .body());
              assertThat(runs).hasSize(1);
              assertThat(runs.get(0).get("terminalsReached").asInt()).isEqualTo(1);
            });
  }

  @Test
  void aPushForTheTownReachesAResidentSubscribedToAVillageInIt() throws Exception {
    String editor = server.token("editor", "镇编辑", TOWN);
    TestServer.WsRecorder resident = server.connect(null);
    resident.send(Map.of("op", "subscribe", "channels", List.of("area:" + VILLAGE)));
    JsonNode subscribed = resident.awaitType("subscribed", Duration.ofSeconds(5));
    assertThat(subscribed.get("channel").asText()).isEqualTo("area:" + VILLAGE);

    HttpResponse<String> sent =
        server.postJson(
            "/api/v1/pushes",
            editor,
            Map.of("areas", List.of(TOWN), "title", "明日停电通知", "body", "明天上午9点至11点停电检修。"));
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
    String pushId = TestServer.json(sent.body()).get("id").asText();

    JsonNode push = resident.awaitType("push", Duration.ofSeconds(5));
    assertThat(push.get("channel").asText()).isEqualTo("area:" + VILLAGE);
    assertThat(push.at("/data/title").asText()).isEqualTo("明日停电通知");
    assertThat(push.at("/data/kind").asText()).isEqualTo("notice");
    String offset = push.get("offset").asText();

    resident.send(Map.of("op", "ack", "channel", "area:" + VILLAGE, "offset", offset));
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              JsonNode report =
                  TestServer.json(server.get("/api/v1/pushes/" + pushId, editor).body());
              assertThat(report.get("subscribersOnline").asInt()).isGreaterThanOrEqualTo(1);
              assertThat(report.get("acknowledged").asInt()).isEqualTo(1);
            });

    // A resident that reconnects with its last offset gets what it missed, in order.
    server.postJson(
        "/api/v1/pushes", editor, Map.of("areas", List.of(VILLAGE), "title", "第二条", "body", ""));
    server.postJson(
        "/api/v1/pushes", editor, Map.of("areas", List.of(VILLAGE), "title", "第三条", "body", ""));
    TestServer.WsRecorder again = server.connect(null);
    again.send(
        Map.of(
            "op",
            "subscribe",
            "channels",
            List.of("area:" + VILLAGE),
            "since",
            Map.of("area:" + VILLAGE, offset)));
    assertThat(again.awaitType("subscribed", Duration.ofSeconds(5)).get("recovered").asBoolean())
        .isTrue();
    assertThat(again.awaitType("push", Duration.ofSeconds(5)).at("/data/title").asText())
        .isEqualTo("第二条");
    assertThat(again.awaitType("push", Duration.ofSeconds(5)).at("/data/title").asText())
        .isEqualTo("第三条");
  }
}
