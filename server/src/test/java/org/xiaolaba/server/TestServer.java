package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.testing.TestSettings;
import org.xiaolaba.server.http.Json;

/**
 * A real server for tests: embedded Redis, real ffmpeg, a free port. Requests go over real sockets
 * with the JDK's HTTP and WebSocket clients.
 */
public final class TestServer implements AutoCloseable {
  /**
   * Settings for tests whose programs run every second or two: a lead time of a second, and cron
   * rules allowed to run that often ({@code scheduler.minCronInterval}).
   */
  public static final Map<String, String> RUNS_EVERY_SECOND =
      Map.of("XIAOLABA_SCHEDULER_LEAD_TIME", "1s", "XIAOLABA_SCHEDULER_MIN_CRON_INTERVAL", "1s");

  public static final String ADMIN = "test-admin-4f9c2e7a1b8d3f6c0e5a9b2d7c4f1e8a";

  private final XiaolabaServer server;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  public final Settings settings;

  private TestServer(Settings settings) {
    this.settings = settings;
    this.server = XiaolabaServer.start(settings);
  }

  public static TestServer start(Path dataDir) {
    return start(dataDir, Map.of());
  }

  public static TestServer start(Path dataDir, Map<String, String> env) {
    Map<String, String> all = new java.util.HashMap<>(Map.of("XIAOLABA_ADMIN_TOKEN", ADMIN));
    all.putAll(env);
    return new TestServer(TestSettings.forDataDir(dataDir, all));
  }

  /** This server's Redis, for a second node on it ({@code XIAOLABA_REDIS_URL}). */
  public String redisUrl() {
    return server.redisUri().toString();
  }

  public int port() {
    return server.port();
  }

  /** Every route this server serves, as its router holds them. */
  public List<org.xiaolaba.server.http.Route> routes() {
    return server.routes();
  }

  public java.util.Optional<String> generatedAdminToken() {
    return server.generatedAdminToken();
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  public HttpResponse<String> get(String path, String token) {
    return send(request(path, token).GET().build());
  }

  public HttpResponse<String> postJson(String path, String token, Object body) {
    String json = body instanceof String s ? s : write(body);
    return send(
        request(path, token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  public HttpResponse<String> putJson(String path, String token, Object body) {
    return send(
        request(path, token)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(write(body)))
            .build());
  }

  public HttpResponse<String> send(HttpRequest req) {
    try {
      return http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public HttpResponse<byte[]> sendBytes(HttpRequest req) {
    try {
      return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The status of a GET of {@code path} written byte for byte on a socket: the JDK client would
   * normalise or refuse paths like {@code /console/../x} before sending them.
   */
  public int rawGetStatus(String path) throws IOException {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port())) {
      s.setSoTimeout(5000);
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String line =
          new String(s.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII);
      return Integer.parseInt(line.substring(9, 12));
    }
  }

  public HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return b;
  }

  /** Creates a token of a role for areas, as the admin, and returns its secret. */
  public String token(String role, String name, String... areas) {
    return token(role, name, List.of(), areas);
  }

  /** Creates a token of a role for areas with these permissions, and returns its secret. */
  public String token(String role, String name, List<String> permissions, String... areas) {
    HttpResponse<String> r =
        postJson(
            "/api/v1/tokens",
            ADMIN,
            Map.of(
                "role", role, "name", name, "areas", List.of(areas), "permissions", permissions));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r.body()).get("token").asText();
  }

  /**
   * A ready clip of its own, uploaded by the admin: a second of tone made in {@code dir} with
   * {@code name} in its metadata, so its bytes (and so the clip) differ from every other one.
   */
  public String distinctReadyClip(Path dir, String name) {
    try {
      Path file = tone(dir, name + ".mp3", 1, "-metadata", "title=" + name);
      String id = upload(file, name, ADMIN);
      assertThat(awaitClipSettled(id, ADMIN).get("status").asText()).isEqualTo("ready");
      return id;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Uploads {@code file} as the raw body titled {@code title} with {@code token}; it must be
   * accepted (202). Returns the new clip's id.
   */
  public String upload(Path file, String title, String token) {
    HttpResponse<String> r;
    try {
      r =
          send(
              request("/api/v1/clips?title=" + title, token)
                  .POST(HttpRequest.BodyPublishers.ofFile(file))
                  .build());
    } catch (java.io.FileNotFoundException e) {
      throw new AssertionError(e);
    }
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return json(r.body()).get("id").asText();
  }

  /**
   * Uploads {@code file} as the raw body (title: its name) with {@code token}, and waits until the
   * clip leaves "processing"; returns it as then shown.
   */
  public JsonNode uploadSettled(Path file, String token) {
    return uploadSettled(file, file.getFileName().toString(), token);
  }

  /** Uploads {@code file} titled {@code title}, and waits until the clip leaves "processing". */
  public JsonNode uploadSettled(Path file, String title, String token) {
    return awaitClipSettled(upload(file, title, token), token);
  }

  /** Polls a clip until it leaves "processing"; returns it as then shown. */
  public JsonNode awaitClipSettled(String clipId, String token) {
    java.util.concurrent.atomic.AtomicReference<JsonNode> clip =
        new java.util.concurrent.atomic.AtomicReference<>();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              clip.set(json(get("/api/v1/clips/" + clipId, token).body()));
              return !"processing".equals(clip.get().get("status").asText());
            });
    return clip.get();
  }

  public static JsonNode json(String body) {
    try {
      return Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + body, e);
    }
  }

  public static String write(Object o) {
    try {
      return Json.MAPPER.writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Opens a WebSocket and records every text message it receives. With a token, it sends the auth
   * frame first and waits up to 20 s for {@code authed} (taken from {@link WsRecorder#messages};
   * what follows it stays there); fails if the server closes instead.
   */
  public WsRecorder connect(String token) {
    WsRecorder rec = open("/ws");
    if (token == null) return rec;
    rec.send(Map.of("op", "auth", "token", token));
    rec.awaitAuthed(Duration.ofSeconds(20));
    return rec;
  }

  /** Opens a WebSocket on {@code pathAndQuery} (such as {@code /ws}) and sends nothing. */
  public WsRecorder open(String pathAndQuery) {
    WsRecorder rec = new WsRecorder();
    rec.socket =
        http.newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(URI.create("ws://127.0.0.1:" + port() + pathAndQuery), rec)
            .join();
    return rec;
  }

  /**
   * A resident (no token) subscribed to {@code channel}: waits up to 20 s for {@code subscribed}.
   */
  public WsRecorder subscriber(String channel) throws InterruptedException {
    WsRecorder r = connect(null);
    r.send(Map.of("op", "subscribe", "channels", List.of(channel)));
    r.awaitType("subscribed", Duration.ofSeconds(20));
    return r;
  }

  /** Generates a test tone with the same ffmpeg the server uses. */
  public static Path tone(Path dir, String name, int seconds, String... outputArgs)
      throws Exception {
    Path out = dir.resolve(name);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                TestSettings.ffmpeg().ffmpeg().toString(),
                "-hide_banner",
                "-nostdin",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=" + seconds + ":sample_rate=44100"));
    cmd.addAll(List.of(outputArgs));
    cmd.add(out.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(log).isZero();
    assertThat(Files.size(out)).isPositive();
    return out;
  }

  /**
   * What ffmpeg says about a file's first audio stream, e.g. "Audio: mp3, 44100 Hz, mono, fltp, 64
   * kb/s".
   */
  public static String describeAudio(Path file) throws Exception {
    Process p =
        new ProcessBuilder(
                TestSettings.ffmpeg().ffmpeg().toString(),
                "-hide_banner",
                "-nostdin",
                "-i",
                file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(30, TimeUnit.SECONDS);
    return out.lines().filter(l -> l.contains("Audio:")).findFirst().orElse(out);
  }

  @Override
  public void close() {
    server.close();
  }

  /** Records a WebSocket's messages and close; waits for them with a timeout, never by sleeping. */
  public static final class WsRecorder implements WebSocket.Listener {
    public final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();

    /** The reason of the server's close frame, once {@link #closed} completed with a code. */
    public volatile String closeReason;

    private final StringBuilder partial = new StringBuilder();
    WebSocket socket;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(json(partial.toString()));
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closeReason = reason;
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.completeExceptionally(error);
    }

    public void send(Object message) {
      socket.sendText(message instanceof String s ? s : write(message), true).join();
    }

    public WebSocket socket() {
      return socket;
    }

    /** The next message that matches, skipping others; fails after the timeout. */
    public JsonNode await(Predicate<JsonNode> wanted, Duration timeout)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        JsonNode m = left <= 0 ? null : messages.poll(left, TimeUnit.NANOSECONDS);
        if (m == null) throw new AssertionError("no matching WebSocket message within " + timeout);
        if (wanted.test(m)) return m;
      }
    }

    /**
     * Waits for {@code authed} as the first message; fails at once, naming the close code, if the
     * server closes the connection first.
     */
    public JsonNode awaitAuthed(Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        while (System.nanoTime() < deadline) {
          JsonNode m = messages.poll(50, TimeUnit.MILLISECONDS);
          if (m != null) {
            if (!"authed".equals(m.path("type").asText())) {
              throw new AssertionError("expected authed first, got " + m);
            }
            return m;
          }
          if (closed.isDone()) {
            throw new AssertionError(
                "the server closed instead of authed: " + closed.join() + " " + closeReason);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      throw new AssertionError("no authed within " + timeout);
    }

    public JsonNode awaitType(String type, Duration timeout) throws InterruptedException {
      return await(m -> type.equals(m.path("type").asText()), timeout);
    }

    public void abort() {
      socket.abort();
    }
  }
}
