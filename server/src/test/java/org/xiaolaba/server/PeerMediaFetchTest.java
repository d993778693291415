package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;

/**
 * How a node asks the others for a rendition: real Redis ({@code media:nodes}), real HTTP peers.
 */
class PeerMediaFetchTest {
  static final String SELF = "http://127.0.0.1:1";

  @TempDir Path dir;
  TestServer node;
  RedisHandle redis;
  final List<HttpServer> peers = new ArrayList<>();

  @BeforeEach
  void start() {
    node = TestServer.start(dir.resolve("node"));
    redis =
        RedisHandle.open(
            TestSettings.forDataDir(
                dir.resolve("peer-media"),
                Map.of(
                    "XIAOLABA_REDIS_URL",
                    node.redisUrl(),
                    // Not the node's prefix: its own announcements stay out of these tests.
                    "XIAOLABA_REDIS_KEY_PREFIX",
                    "peers-test:")));
  }

  @AfterEach
  void stop() {
    peers.forEach(p -> p.stop(0));
    if (redis != null) redis.close();
    if (node != null) node.close();
  }

  @Test
  void aPeersErrorPageLeavesNothingInTheFileTheNextPeerFills() throws Exception {
    String lost = peer(404, "x".repeat(4096));
    String holder = peer(200, "ID3 audio");
    long now = System.currentTimeMillis();
    // The node heard of last is asked first: the one without the file.
    heard(holder, now - 2_000);
    heard(lost, now - 1_000);
    Path target = dir.resolve("rendition.part");
    try (PeerMedia media = new PeerMedia(redis, SELF, Clock.systemUTC())) {
      assertThat(media.others()).containsExactly(lost, holder);
      assertThat(media.fetch("c_1.loudspeaker.mp3", target)).isTrue();
    }
    assertThat(Files.readString(target)).isEqualTo("ID3 audio");
  }

  @Test
  void noPeerWithTheFileLeavesTheFileEmpty() throws Exception {
    heard(peer(404, "not here"), System.currentTimeMillis());
    Path target = dir.resolve("rendition.part");
    try (PeerMedia media = new PeerMedia(redis, SELF, Clock.systemUTC())) {
      assertThat(media.fetch("c_1.loudspeaker.mp3", target)).isFalse();
    }
    assertThat(!Files.exists(target) || Files.size(target) == 0).isTrue();
  }

  @Test
  void nodesLongGoneAreForgottenAndThisOneWithdrawsWhenClosed() throws Exception {
    long now = System.currentTimeMillis();
    heard("http://10.0.0.9:8080", now - Duration.ofDays(2).toMillis());
    heard("http://10.0.0.8:8080", now - Duration.ofHours(1).toMillis());
    try (PeerMedia media = new PeerMedia(redis, SELF, Clock.systemUTC())) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> !nodes().containsKey("http://10.0.0.9:8080"));
      assertThat(nodes()).containsKeys(SELF, "http://10.0.0.8:8080");
      // Not heard of for an hour: kept in the hash but not asked.
      assertThat(media.others()).isEmpty();
    }
    assertThat(nodes()).containsOnlyKeys("http://10.0.0.8:8080");
  }

  private Map<String, String> nodes() {
    return redis.client().hgetAll(redis.key("media:nodes"));
  }

  private void heard(String url, long millis) {
    redis.client().hset(redis.key("media:nodes"), url, Long.toString(millis));
  }

  /** A node answering every {@code /media/} request with {@code status} and {@code body}. */
  private String peer(int status, String body) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    s.createContext(
        "/media/",
        exchange -> {
          exchange.sendResponseHeaders(status, bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        });
    s.start();
    peers.add(s);
    return "http://127.0.0.1:" + s.getAddress().getPort();
  }
}
