package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one Redis, each with its own disk: a clip deleted on one node goes from the other's
 * disk too (the copy it fetched), and its media URLs answer 404 on both, to listeners and to peers
 * alike; a node that was down when the clip was deleted removes its copy when it starts, and a copy
 * that is still on a disk is never served.
 */
class PeerMediaDeletionTest {
  @TempDir Path dirA;
  @TempDir Path dirB;
  @TempDir Path work;
  TestServer a;
  TestServer b;

  @BeforeEach
  void start() {
    a = TestServer.start(dirA);
    b = startB();
  }

  private TestServer startB() {
    return TestServer.start(dirB, Map.of("XIAOLABA_REDIS_URL", a.redisUrl()));
  }

  @AfterEach
  void stop() {
    if (b != null) b.close();
    if (a != null) a.close();
  }

  /** The rendition URLs of a clip uploaded on a, each fetched once by b (which keeps a copy). */
  private List<String> clipOnAFetchedByB(JsonNode clip) {
    assertThat(clip.get("status").asText()).as(clip.toString()).isEqualTo("ready");
    List<String> urls = new ArrayList<>();
    for (JsonNode r : clip.get("renditions")) {
      String url = r.get("url").asText();
      HttpResponse<byte[]> fromB = b.sendBytes(b.request(url, null).GET().build());
      assertThat(fromB.statusCode()).as(url).isEqualTo(200);
      assertThat(copyOnB(url)).exists();
      urls.add(url);
    }
    return urls;
  }

  private Path copyOnB(String url) {
    return fileIn(dirB, url);
  }

  private static Path fileIn(Path dataDir, String url) {
    return dataDir.resolve("media").resolve(url.substring(url.lastIndexOf('/') + 1));
  }

  private void deleteOnA(JsonNode clip) {
    String path = "/api/v1/clips/" + clip.get("id").asText();
    HttpResponse<String> deleted = a.send(a.request(path, TestServer.ADMIN).DELETE().build());
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
  }

  private static int status(TestServer node, String url, boolean asPeer) {
    var request = node.request(url, null).GET();
    if (asPeer) request.header("X-Xiaolaba-Peer", "1");
    return node.sendBytes(request.build()).statusCode();
  }

  /** Every node answers 404 for these URLs, to listeners and to peers. */
  private void goneEverywhere(List<String> urls) {
    for (String url : urls) {
      for (TestServer node : List.of(a, b)) {
        assertThat(status(node, url, false)).as(url).isEqualTo(404);
        assertThat(status(node, url, true)).as("as a peer: " + url).isEqualTo(404);
      }
    }
  }

  @Test
  void aClipDeletedOnOneNodeGoesFromTheDiskOfTheNodeThatFetchedItAndIsNotFoundOnEither()
      throws Exception {
    JsonNode clip = a.uploadSettled(TestServer.tone(work, "notice.wav", 1), TestServer.ADMIN);
    List<String> urls = clipOnAFetchedByB(clip);
    byte[] copy = Files.readAllBytes(copyOnB(urls.get(0)));

    deleteOnA(clip);

    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> assertThat(urls).allSatisfy(u -> assertThat(copyOnB(u)).doesNotExist()));
    goneEverywhere(urls);
    assertThat(urls).allSatisfy(u -> assertThat(copyOnB(u)).doesNotExist());
    assertThat(urls).allSatisfy(u -> assertThat(fileIn(dirA, u)).doesNotExist());

    // A copy still on a disk (a node that has not removed it yet) is not served either.
    Files.write(copyOnB(urls.get(0)), copy);
    assertThat(status(b, urls.get(0), false)).isEqualTo(404);
    assertThat(status(b, urls.get(0), true)).isEqualTo(404);
  }

  @Test
  void aNodeThatWasDownWhenTheClipWasDeletedRemovesItsCopyWhenItStarts() throws Exception {
    JsonNode clip = a.uploadSettled(TestServer.tone(work, "policy.wav", 1), TestServer.ADMIN);
    List<String> urls = clipOnAFetchedByB(clip);
    b.close();
    b = null;

    deleteOnA(clip);
    assertThat(urls).allSatisfy(u -> assertThat(copyOnB(u)).exists());

    b = startB();

    assertThat(urls).allSatisfy(u -> assertThat(copyOnB(u)).doesNotExist());
    goneEverywhere(urls);
  }
}
