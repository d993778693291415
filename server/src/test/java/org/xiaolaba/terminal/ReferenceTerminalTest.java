package org.xiaolaba.terminal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.testing.TestSettings;
import org.xiaolaba.server.TestServer;

/**
 * The reference terminal against a real server (embedded Redis, real ffmpeg, real sockets): it
 * fetches ahead, starts on time by its own clock, reports to the server, keeps playing when the
 * link is gone and comes back when the server does.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReferenceTerminalTest {
  static final String VILLAGE = "320623100201";
  static final Duration ON_TIME = Duration.ofSeconds(1);

  @TempDir static Path serverData;
  @TempDir static Path work;
  static int port;
  static TestServer server;
  static String editor;
  static String broadcaster;
  static String clipId;
  static String audioUrl;
  static long audioBytes;

  ReferenceTerminal terminal;

  @BeforeAll
  static void startServerWithAClip() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    server = startServer();
    editor = server.token("editor", "县台编辑", "320623");
    broadcaster = server.token("broadcaster", "长沙村广播员", List.of("emergency"), VILLAGE);
    Path tone = TestServer.tone(work, "tone.wav", 3);
    clipId = server.upload(tone, "tone", editor);
    JsonNode clip = server.awaitClipSettled(clipId, editor);
    assertThat(clip.get("status").asText()).as(clip.toString()).isEqualTo("ready");
    audioUrl = clip.at("/renditions/loudspeaker/url").asText();
    audioBytes = clip.at("/renditions/loudspeaker/bytes").asLong();
  }

  static TestServer startServer() {
    return TestServer.start(serverData, Map.of("XIAOLABA_PORT", Integer.toString(port)));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) server.close();
  }

  @AfterEach
  void stopTerminal() {
    if (terminal != null) terminal.close();
  }

  ReferenceTerminal startTerminal(String name, Path data) {
    return startTerminalWithToken(server.token("terminal", name, VILLAGE), data);
  }

  ReferenceTerminal startTerminalWithToken(String token, Path data) {
    terminal =
        new ReferenceTerminal(
                new TerminalConfig(URI.create("ws://127.0.0.1:" + port), token, data, 80),
                FfmpegPlaybackSink.discarding(
                    TestSettings.ffmpeg().ffmpeg(), Clock.systemUTC(), data.resolve("tmp")),
                Clock.systemUTC(),
                new ReconnectPolicy(
                    Duration.ofMillis(200),
                    Duration.ofSeconds(1),
                    java.util.random.RandomGenerator.getDefault()))
            .start();
    await().atMost(Duration.ofSeconds(5)).until(terminal::isConnected);
    return terminal;
  }

  /** Schedules the clip once, {@code ahead} from now, on whole seconds; returns the start. */
  static Instant scheduleIn(Duration ahead, String title) {
    OffsetDateTime startAt =
        OffsetDateTime.now(ZoneId.of("Asia/Shanghai"))
            .plus(ahead)
            .truncatedTo(ChronoUnit.SECONDS)
            .plusSeconds(1);
    HttpResponse<String> created =
        server.postJson(
            "/api/v1/programs",
            broadcaster,
            Map.of(
                "title",
                title,
                "clipId",
                clipId,
                "areas",
                List.of(VILLAGE),
                "priority",
                "normal",
                "schedule",
                Map.of("once", startAt.toString())));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return startAt.toInstant();
  }

  ScheduledPlay awaitScheduledAndFetched(Instant startAt) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> terminal.plays().stream().anyMatch(p -> p.startAt().equals(startAt)));
    ScheduledPlay play =
        terminal.plays().stream()
            .filter(p -> p.startAt().equals(startAt))
            .findFirst()
            .orElseThrow();
    await().atMost(Duration.ofSeconds(5)).until(() -> terminal.hasAudio(play));
    assertThat(terminal.audioFile(play)).hasSize(audioBytes);
    return play;
  }

  JsonNode terminalOnServer(String name) {
    for (JsonNode t : TestServer.json(server.get("/api/v1/terminals", editor).body())) {
      if (t.path("name").asText().equals(name)) return t;
    }
    return TestServer.json("{}");
  }

  @Test
  @Order(1)
  void aPlayIsFetchedAheadStartsWithinOneSecondOfStartAtAndTheServerShowsItPlaying(
      @TempDir Path data) {
    startTerminal("一号喇叭", data);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> terminalOnServer("一号喇叭").path("online").asBoolean());
    await().atMost(Duration.ofSeconds(5)).until(() -> terminal.status().clockOffsetMs() != null);
    assertThat(Math.abs(terminal.status().clockOffsetMs()))
        .as("same machine, same clock")
        .isLessThan(100);

    Instant startAt = scheduleIn(Duration.ofSeconds(2), "准时播放");
    ScheduledPlay play = awaitScheduledAndFetched(startAt);
    assertThat(Instant.now()).as("fetched before its start").isBefore(startAt);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> play.runId().equals(terminal.status().nowPlaying()));
    TerminalStatus playing = terminal.status();
    assertThat(playing.state()).isEqualTo("playing");
    assertThat(playing.startErrorMs()).isBetween(0L, ON_TIME.toMillis());
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              JsonNode t = terminalOnServer("一号喇叭");
              assertThat(t.path("state").asText()).isEqualTo("playing");
              assertThat(t.path("nowPlaying").asText()).isEqualTo(play.runId());
            });

    String programId = play.program();
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(
                        TestServer.json(
                                server
                                    .get("/api/v1/programs/" + programId + "/runs", broadcaster)
                                    .body())
                            .path(0)
                            .path("terminalsConfirmed"))
                    .as("the run is confirmed in the as-run log")
                    .hasSize(1));

    // The audio really is decoded in real time: the play lasts as long as the clip.
    await().atMost(Duration.ofSeconds(10)).until(() -> terminal.status().state().equals("idle"));
    assertThat(Instant.now()).isAfter(startAt.plusMillis(play.durationMs() - 500));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> terminalOnServer("一号喇叭").path("state").asText().equals("idle"));
  }

  @Test
  @Order(2)
  void anEmergencyTakesOverAPlayingProgramAndStopsWhenCalledOff(@TempDir Path data) {
    startTerminal("应急喇叭", data);
    Instant startAt = scheduleIn(Duration.ofSeconds(1), "日常节目");
    ScheduledPlay normal = awaitScheduledAndFetched(startAt);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> normal.runId().equals(terminal.status().nowPlaying()));

    HttpResponse<String> created =
        server.postJson(
            "/api/v1/emergency",
            broadcaster,
            Map.of("title", "山洪预警", "areas", List.of(VILLAGE), "clipId", clipId));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String emergencyId = TestServer.json(created.body()).get("id").asText();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> terminal.status().nowPlaying().startsWith(emergencyId + ":"));
    assertThat(terminal.status().startErrorMs()).isBetween(0L, ON_TIME.toMillis());
    ScheduledPlay emergency =
        terminal.plays().stream()
            .filter(p -> p.program().equals(emergencyId))
            .findFirst()
            .orElseThrow();
    assertThat(emergency.priority()).isEqualTo(PlayPriority.EMERGENCY);

    HttpResponse<String> cancelled =
        server.send(
            server.request("/api/v1/emergency/" + emergencyId, broadcaster).DELETE().build());
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(2)).until(() -> terminal.status().state().equals("idle"));
    assertThat(Instant.now()).as("cut off, not played out").isBefore(emergency.endsAt());
  }

  @Test
  @Order(3)
  void aDownloadCutOffHalfWayResumesWithARangeRequestAndEndsWithTheSameBytes(@TempDir Path data)
      throws Exception {
    byte[] whole = server.sendBytes(server.request(audioUrl, null).GET().build()).body();
    List<String> ranges = new CopyOnWriteArrayList<>();
    AtomicInteger requests = new AtomicInteger();
    HttpClient http = HttpClient.newHttpClient();
    // A proxy in front of the real server that cuts the first response off after 2,000 bytes.
    HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    proxy.createContext(
        "/",
        exchange -> {
          String range = exchange.getRequestHeaders().getFirst("Range");
          ranges.add(range == null ? "none" : range);
          HttpRequest.Builder upstream =
              HttpRequest.newBuilder(server.uri(exchange.getRequestURI().getPath())).GET();
          if (range != null) upstream.header("Range", range);
          HttpResponse<byte[]> r;
          try {
            r = http.send(upstream.build(), HttpResponse.BodyHandlers.ofByteArray());
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          r.headers()
              .firstValue("Content-Range")
              .ifPresent(v -> exchange.getResponseHeaders().set("Content-Range", v));
          exchange.sendResponseHeaders(r.statusCode(), r.body().length);
          OutputStream out = exchange.getResponseBody();
          if (requests.incrementAndGet() == 1) {
            out.write(r.body(), 0, 2000);
            out.flush();
            exchange.close(); // fewer bytes than announced: the connection is cut
            return;
          }
          out.write(r.body());
          exchange.close();
        });
    proxy.start();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      AudioFetcher fetcher = new AudioFetcher(http, data, timer, Duration.ofSeconds(5));
      URI url = URI.create("http://127.0.0.1:" + proxy.getAddress().getPort()).resolve(audioUrl);

      assertThatThrownBy(() -> fetcher.fetch(url)).isInstanceOf(IOException.class);
      assertThat(fetcher.isComplete(url)).isFalse();
      Path part = data.resolve(AudioFetcher.fileName(url) + AudioFetcher.PART);
      long kept = Files.size(part);
      assertThat(kept).isPositive().isLessThanOrEqualTo(2000);

      AudioFetcher.Result result = fetcher.fetch(url);
      assertThat(ranges).containsExactly("none", "bytes=" + kept + "-");
      assertThat(result.status()).isEqualTo(206);
      assertThat(result.resumedFrom()).isEqualTo(kept);
      assertThat(Files.readAllBytes(result.file())).isEqualTo(whole);
      assertThat(part).doesNotExist();
    } finally {
      proxy.stop(0);
      timer.shutdownNow();
    }
  }

  @Test
  @Order(4)
  void aTerminalRestartedAfterMissingAPushRecoversItFromItsLastOffset(@TempDir Path data) {
    String channel = "area:" + VILLAGE;
    String token = server.token("terminal", "三号喇叭", VILLAGE);
    startTerminalWithToken(token, data);
    push("停机前的通知");
    await().atMost(Duration.ofSeconds(5)).until(() -> terminal.offsets().containsKey(channel));
    String before = terminal.offsets().get(channel);
    terminal.close();

    push("停机时的通知");
    startTerminalWithToken(token, data);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(LocalSchedule.compareOffsets(terminal.offsets().get(channel), before))
                    .as("replayed after %s", before)
                    .isPositive());
  }

  static void push(String title) {
    HttpResponse<String> r =
        server.postJson(
            "/api/v1/pushes",
            editor,
            Map.of("areas", List.of(VILLAGE), "title", title, "body", title));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  @Test
  @Order(5)
  void theTerminalKeepsPlayingThroughADroppedLinkStartsWithinOneSecondAndReconnects(
      @TempDir Path data) {
    startTerminal("二号喇叭", data);
    Instant startAt = scheduleIn(Duration.ofSeconds(3), "断网照播");
    ScheduledPlay play = awaitScheduledAndFetched(startAt);

    server.close(); // the link drops with the server
    await().atMost(Duration.ofSeconds(5)).until(() -> !terminal.isConnected());
    assertThat(Instant.now()).as("the link is down before startAt").isBefore(startAt);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> play.runId().equals(terminal.status().nowPlaying()));
    assertThat(terminal.isConnected()).as("played from its local copy, link down").isFalse();
    assertThat(terminal.status().state()).isEqualTo("playing");
    assertThat(terminal.status().startErrorMs()).isBetween(0L, ON_TIME.toMillis());
    assertThat(LocalSchedule.open(data).plays())
        .extracting(ScheduledPlay::runId)
        .contains(play.runId());

    int connectsWhileDown = terminal.connects();
    Instant restarted = Instant.now();
    server = startServer();
    await().atMost(Duration.ofSeconds(10)).until(() -> terminal.connects() > connectsWhileDown);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              JsonNode t = terminalOnServer("二号喇叭");
              assertThat(t.path("online").asBoolean()).isTrue();
              assertThat(Instant.parse(t.path("lastSeen").asText())).isAfter(restarted);
              assertThat(t.path("state").asText()).isIn("playing", "idle");
            });
  }
}
