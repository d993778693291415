package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process stopped in the middle of an upload, by SIGKILL and by SIGTERM, then started again
 * on the same data directory and Redis: no partial upload is ever visible as a clip, nothing is
 * left behind in the temporary directories, and a clip that was accepted is never stuck in {@code
 * processing}.
 */
class NodeKillTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  NodeCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  void killedOrStoppedMidUploadANodeLeavesNoPartialClipNoTemporaryFileAndNoStuckClip()
      throws Exception {
    cluster = NodeCluster.start(dir);
    Path data = dir.resolve("node");
    NodeProcess node = start(data);
    Path tone = TestServer.tone(dir, "tone.wav", 20);

    // An accepted clip, then an upload cut off half way by kill -9.
    String accepted =
        node.postFile("/api/v1/clips?title=accepted", TestServer.ADMIN, tone).get("id").asText();
    try (Socket upload = new Socket("127.0.0.1", node.port())) {
      sendHalf(upload, tone, "killed");
      Path data0 = data;
      // The half upload is on disk, not yet a clip, when the node is killed.
      await().atMost(WAIT).until(() -> !leftovers(data0).isEmpty());
      node.kill();
    }

    node = start(data);
    // The accepted clip may be transcoding again (resumed) right after the start: its renditions
    // are written in tmp/ then. Once it is ready, nothing is left behind.
    await().atMost(WAIT).until(status(node, accepted)::isReady);
    assertThat(leftovers(data)).isEmpty();
    assertThat(titles(node)).containsExactly("accepted");

    // An upload under way when the node is asked to stop (SIGTERM): it finishes or fails, cleanly.
    try (Socket upload = new Socket("127.0.0.1", node.port())) {
      upload.setSoTimeout(30_000);
      sendHalf(upload, tone, "stopped");
      NodeProcess stopping = node;
      Thread stopper = new Thread(() -> closeQuietly(stopping));
      stopper.start();
      try {
        sendRest(upload, tone);
      } catch (IOException closedUnderneath) {
        // Refused as the node went away: fine, as long as nothing half-written remains.
      }
      stopper.join(60_000);
    }
    node = start(data);
    List<String> titles = titles(node);
    assertThat(titles).contains("accepted").isSubsetOf("accepted", "stopped");
    for (JsonNode clip : clips(node)) {
      String id = clip.get("id").asText();
      await().atMost(WAIT).until(status(node, id)::isSettled);
    }
    assertThat(leftovers(data)).isEmpty();
  }

  private NodeProcess start(Path data) throws IOException {
    return cluster.node(data, Map.of());
  }

  private static void closeQuietly(NodeProcess n) {
    try {
      n.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Files left in the node's temporary media directories. */
  private static List<Path> leftovers(Path data) throws IOException {
    List<Path> out = new ArrayList<>();
    for (String sub : List.of("media/incoming", "media/tmp")) {
      Path d = data.resolve(sub);
      if (!Files.isDirectory(d)) continue;
      try (Stream<Path> files = Files.list(d)) {
        files.forEach(out::add);
      }
    }
    return out;
  }

  private static void sendHalf(Socket s, Path file, String title) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    OutputStream out = s.getOutputStream();
    out.write(
        ("POST /api/v1/clips?title="
                + title
                + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TestServer.ADMIN
                + "\r\nContent-Type: audio/wav\r\nContent-Length: "
                + bytes.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write(bytes, 0, bytes.length / 2);
    out.flush();
  }

  private static void sendRest(Socket s, Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    OutputStream out = s.getOutputStream();
    out.write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
    out.flush();
    InputStream in = s.getInputStream();
    String head = RawWebSocket.readHead(in);
    assertThat(head)
        .as("answered, if at all, with a 2xx or a 503")
        .matches("(?s)HTTP/1.1 (202|503).*|");
  }

  private record Status(NodeProcess node, String id) {
    private String now() throws Exception {
      return TestServer.json(node.get("/api/v1/clips/" + id, TestServer.ADMIN).body())
          .path("status")
          .asText();
    }

    boolean isReady() throws Exception {
      return "ready".equals(now());
    }

    boolean isSettled() throws Exception {
      return !"processing".equals(now());
    }
  }

  private static Status status(NodeProcess node, String id) {
    return new Status(node, id);
  }

  private static List<JsonNode> clips(NodeProcess node) throws Exception {
    JsonNode page = TestServer.json(node.get("/api/v1/clips?limit=50", TestServer.ADMIN).body());
    List<JsonNode> out = new ArrayList<>();
    (page.isArray() ? page : page.path("clips")).forEach(out::add);
    return out;
  }

  private static List<String> titles(NodeProcess node) throws Exception {
    return clips(node).stream().map(c -> c.path("title").asText()).toList();
  }
}
