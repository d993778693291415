package org.xiaolaba.bench.push;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.embedded.core.ExecutableProvider;

/**
 * The system under test: one redis-server (the binary the server itself embeds) and several server
 * nodes, each a {@code java -jar xiaolaba-server.jar} process with its own port and data directory,
 * all on that Redis. Closing it stops every process it started.
 */
final class Cluster implements AutoCloseable {
  static final String ADMIN_TOKEN = "bench-push-admin-9a2d5f8b1e4c7a0d3f6b9e2c";
  private static final Pattern FFMPEG = Pattern.compile("Using ffmpeg (\\S+) \\(");

  private final Path work;
  private final List<Process> started = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private Process redis;
  private String redisUrl;

  /** One server process. */
  record Node(int index, int port, Process process, Path log) {
    long pid() {
      return process.pid();
    }
  }

  Cluster(Path work) {
    this.work = work;
  }

  List<Node> nodes() {
    return nodes;
  }

  Process redis() {
    return redis;
  }

  void startRedis(String appendfsync) throws IOException {
    Path bin = work.resolve("bin");
    Path dir = work.resolve("redis");
    Files.createDirectories(bin);
    Files.createDirectories(dir);
    String binary = ExecutableProvider.newJarResourceProvider(bin.toFile()).get().getAbsolutePath();
    int port = freePort();
    Path log = work.resolve("redis.log");
    redis =
        start(
            new ProcessBuilder(
                    binary,
                    "--port",
                    Integer.toString(port),
                    "--bind",
                    "127.0.0.1",
                    "--daemonize",
                    "no",
                    "--dir",
                    dir.toString(),
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    appendfsync,
                    "--save",
                    "",
                    "--maxclients",
                    "10000")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile()));
    boolean up =
        Waits.until(
            () -> ProcStats.read(log).contains("Ready to accept connections"),
            System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
    if (!up) throw new IllegalStateException("redis-server did not start; see " + log);
    redisUrl = "redis://127.0.0.1:" + port;
  }

  /** Starts {@code count} nodes: the first alone (it unpacks ffmpeg), then the rest at once. */
  void startNodes(Path jar, int count, List<String> javaOptions) throws IOException {
    Node first = startNode(jar, 0, javaOptions, Map.of());
    awaitReady(first);
    Matcher m = FFMPEG.matcher(ProcStats.read(first.log()));
    Map<String, String> shared =
        m.find() ? Map.of("XIAOLABA_FFMPEG_FFMPEG_PATH", m.group(1)) : Map.of();
    List<Node> rest = new ArrayList<>();
    for (int i = 1; i < count; i++) rest.add(startNode(jar, i, javaOptions, shared));
    for (Node n : rest) awaitReady(n);
  }

  private Node startNode(Path jar, int index, List<String> javaOptions, Map<String, String> env)
      throws IOException {
    Path dir = work.resolve("node" + index);
    Files.createDirectories(dir);
    int port = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(javaOptions);
    cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
    Path log = work.resolve("node" + index + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("XIAOLABA_PORT", Integer.toString(port));
    pb.environment().put("XIAOLABA_DATA_DIR", dir.resolve("data").toString());
    pb.environment().put("XIAOLABA_REDIS_URL", redisUrl);
    pb.environment().put("XIAOLABA_ADMIN_TOKEN", ADMIN_TOKEN);
    Node n = new Node(index, port, start(pb), log);
    nodes.add(n);
    return n;
  }

  private void awaitReady(Node n) {
    boolean ready =
        Waits.until(
            () -> {
              if (!n.process().isAlive()) {
                throw new IllegalStateException(
                    "server node " + n.index() + " exited; see " + n.log());
              }
              return status(n.port(), "/readyz") == 200;
            },
            System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
    if (!ready) throw new IllegalStateException("node " + n.index() + " not ready; see " + n.log());
  }

  private int status(int port, String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private Process start(ProcessBuilder pb) throws IOException {
    Process p = pb.start();
    started.add(p);
    return p;
  }

  /**
   * A port free now, below the ephemeral range (32768-60999): a port the kernel hands out picks one
   * of those, and a node's own Redis connections, started meanwhile, may take it first.
   */
  static int freePort() {
    int first = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(10_000);
    for (int i = 0; i < 2_000; i++) {
      int port = 20_000 + (first - 20_000 + i) % 12_000;
      try (ServerSocket s = new ServerSocket(port)) {
        return s.getLocalPort();
      } catch (IOException taken) {
        // next
      }
    }
    throw new UncheckedIOException(new IOException("no free port in 20000-31999"));
  }

  /** Stops the nodes gracefully (SIGTERM, as Ctrl-C), then Redis; forcibly after 30 s. */
  @Override
  public void close() {
    List<Process> servers = new ArrayList<>(started);
    servers.remove(redis);
    servers.forEach(Process::destroy);
    awaitExit(servers);
    if (redis != null) {
      redis.destroy();
      awaitExit(List.of(redis));
    }
  }

  private static void awaitExit(List<Process> processes) {
    for (Process p : processes) {
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }
}
