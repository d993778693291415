package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.xiaolaba.config.testing.TestSettings;

/**
 * A server node in a process of its own ({@code org.xiaolaba.server.Main} on this JVM's class
 * path), for tests of several nodes on one Redis that kill a node as an operator's {@code kill -9}
 * would.
 */
final class NodeProcess implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private NodeProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts a node with its own port and data directory on {@code redisUrl}; waits until ready. */
  static NodeProcess start(Path dataDir, String redisUrl, Map<String, String> env)
      throws IOException {
    int port = freePort();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "org.xiaolaba.server.Main"));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Path log = dataDir.resolve("node.log");
    java.nio.file.Files.createDirectories(dataDir);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> e = pb.environment();
    e.put("XIAOLABA_PORT", Integer.toString(port));
    e.put("XIAOLABA_DATA_DIR", dataDir.toString());
    e.put("XIAOLABA_REDIS_URL", redisUrl);
    e.put("XIAOLABA_ADMIN_TOKEN", TestServer.ADMIN);
    e.put("XIAOLABA_FFMPEG_FFMPEG_PATH", TestSettings.ffmpeg().ffmpeg().toString());
    e.putAll(env);
    NodeProcess node = new NodeProcess(pb.start(), port, log);
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              if (!node.process.isAlive()) {
                throw new AssertionError(
                    "node exited: " + java.nio.file.Files.readString(node.log));
              }
              return node.get("/readyz", null).statusCode() == 200;
            });
    return node;
  }

  int port() {
    return port;
  }

  HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
    return http.send(request(path, token).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> postJson(String path, String token, Object body)
      throws IOException, InterruptedException {
    return http.send(
        request(path, token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(TestServer.write(body)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> delete(String path, String token) throws IOException, InterruptedException {
    return http.send(request(path, token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode postFile(String path, String token, Path file) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            request(path, token).POST(HttpRequest.BodyPublishers.ofFile(file)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return TestServer.json(r.body());
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(20));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return b;
  }

  /** A resident's WebSocket to this node. */
  TestServer.WsRecorder connect() {
    TestServer.WsRecorder rec = new TestServer.WsRecorder();
    rec.socket =
        http.newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), rec)
            .join();
    return rec;
  }

  /** {@code kill -9}: no shutdown hook, no goodbye to clients or Redis. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
  }

  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) return;
    process.destroy(); // SIGTERM: graceful
    if (!process.waitFor(30, TimeUnit.SECONDS)) kill();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
