package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one Redis, each with its own disk: a clip transcoded on one is served by the other
 * and goes into the other's bulletin, the other fetching the rendition once from the node that has
 * it; a node asked by another answers from its own disk only.
 */
class PeerMediaTest {
  static final String VILLAGE = "320623100201";
  static final String DATE = "2026-11-27";

  @TempDir Path dirA;
  @TempDir Path dirB;
  @TempDir Path work;
  TestServer a;
  TestServer b;

  @AfterEach
  void stop() {
    if (b != null) b.close();
    if (a != null) a.close();
  }

  @Test
  void aClipTranscodedOnOneNodeIsServedAndAssembledIntoABulletinByTheOther() throws Exception {
    a = TestServer.start(dirA);
    b = TestServer.start(dirB, Map.of("XIAOLABA_REDIS_URL", a.redisUrl()));
    JsonNode clip = a.uploadSettled(TestServer.tone(work, "news.wav", 2), TestServer.ADMIN);
    assertThat(clip.get("status").asText()).isEqualTo("ready");
    String url = clip.at("/renditions/loudspeaker/url").asText();
    String name = url.substring(url.lastIndexOf('/') + 1);
    assertThat(Files.exists(dirB.resolve("media").resolve(name))).isFalse();

    // A node asked by another answers from its own disk only: b does not have it.
    HttpResponse<byte[]> asPeer =
        b.sendBytes(b.request(url, null).header("X-Xiaolaba-Peer", "1").GET().build());
    assertThat(asPeer.statusCode()).isEqualTo(404);

    byte[] fromA = a.sendBytes(a.request(url, null).GET().build()).body();
    HttpResponse<byte[]> fromB = b.sendBytes(b.request(url, null).GET().build());
    assertThat(fromB.statusCode()).isEqualTo(200);
    assertThat(fromB.body()).isEqualTo(fromA);
    assertThat(Files.readAllBytes(dirB.resolve("media").resolve(name))).isEqualTo(fromA);

    // An item using a clip made on a, its bulletin prepared on b.
    JsonNode other = a.uploadSettled(TestServer.tone(work, "policy.wav", 3), TestServer.ADMIN);
    var item =
        b.postJson(
            "/api/v1/items",
            TestServer.ADMIN,
            Map.of(
                "kind",
                "policy",
                "title",
                "村里政策",
                "body",
                "正文",
                "areas",
                List.of(VILLAGE),
                "date",
                DATE,
                "clipId",
                other.get("id").asText()));
    assertThat(item.statusCode()).as(item.body()).isEqualTo(201);
    String itemId = TestServer.json(item.body()).get("id").asText();
    assertThat(
            b.send(
                    b.request("/api/v1/items/" + itemId + "/approve", TestServer.ADMIN)
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build())
                .statusCode())
        .isEqualTo(200);
    var prepared =
        b.postJson("/api/v1/bulletins", TestServer.ADMIN, Map.of("date", DATE, "area", VILLAGE));
    assertThat(prepared.statusCode()).as(prepared.body()).isEqualTo(201);
    AtomicReference<JsonNode> done = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              done.set(
                  TestServer.json(b.get("/api/v1/bulletins/" + DATE + "/" + VILLAGE, null).body()));
              return !"preparing".equals(done.get().get("status").asText());
            });
    assertThat(done.get().get("status").asText()).as(done.get().toString()).isEqualTo("ready");
    assertThat(done.get().at("/audio/durationMs").asLong()).isGreaterThan(2500L);
  }
}
