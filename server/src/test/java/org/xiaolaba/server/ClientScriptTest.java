package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JavaScript client as a browser would get it from {@code GET /client.js}, run for real under
 * Node.js against the real server. Node 20 has a WebSocket behind {@code --experimental-websocket};
 * localStorage is a small file-backed stand-in, so "reloading the page" is starting Node again.
 */
class ClientScriptTest {
  static final String VILLAGE = "320623100201";
  static final String CHANNEL = "area:" + VILLAGE;

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String editor;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
    editor = server.token("editor", "县台编辑", "320623");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void theClientIsServedAsJavaScriptFromTheJar() throws Exception {
    HttpResponse<String> r = server.get("/client.js", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("text/javascript; charset=utf-8");
    assertThat(r.body()).contains("XiaolabaClient").contains("localStorage").contains("since");
    assumeThat(nodeWorks()).as("node is on PATH").isTrue();
    Path script = Files.writeString(work.resolve("client-check.js"), r.body());
    Process check =
        new ProcessBuilder("node", "--check", script.toString()).redirectErrorStream(true).start();
    String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as(out).isZero();
  }

  @Test
  void aClientReceivesAndAcksPushesReconnectsAndAfterAReloadRecoversWhatItMissedFromItsOffset()
      throws Exception {
    assumeThat(nodeHasWebSocket()).as("node with a WebSocket (20 with a flag, 22+)").isTrue();
    Path client =
        Files.writeString(work.resolve("client.js"), server.get("/client.js", null).body());
    Path storage = work.resolve("local-storage.json");

    try (NodeClient first = NodeClient.start(client, storage)) {
      JsonNode subscribed = first.await(e -> e.path("event").asText().equals("subscribed"));
      assertThat(subscribed.path("channel").asText()).isEqualTo(CHANNEL);

      String a = push("第一条通知");
      JsonNode got = first.await(e -> e.path("event").asText().equals("push"));
      assertThat(got.at("/data/pushId").asText()).isEqualTo(a);
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                JsonNode report = TestServer.json(server.get("/api/v1/pushes/" + a, editor).body());
                assertThat(report.path("acknowledged").asLong()).as(report.toString()).isEqualTo(1);
              });

      first.command("drop");
      JsonNode closed = first.await(e -> e.path("event").asText().equals("close"));
      assertThat(closed.path("retryInMs").asLong()).isBetween(100L, 200L);
      first.await(e -> e.path("event").asText().equals("subscribed"));

      String b = push("第二条通知");
      assertThat(
              first.await(e -> e.path("event").asText().equals("push")).at("/data/pushId").asText())
          .isEqualTo(b);
    }

    String c = push("离线时的通知");
    try (NodeClient reloaded = NodeClient.start(client, storage)) {
      JsonNode subscribed = reloaded.await(e -> e.path("event").asText().equals("subscribed"));
      assertThat(subscribed.path("recovered").asBoolean()).isTrue();
      JsonNode missed = reloaded.await(e -> e.path("event").asText().equals("push"));
      assertThat(missed.at("/data/pushId").asText())
          .as("only what came after the stored offset")
          .isEqualTo(c);
    }
  }

  @Test
  void aClientWithATokenSendsItInTheFirstFrameOfEveryConnectionNeverInTheUrl() throws Exception {
    assumeThat(nodeHasWebSocket()).as("node with a WebSocket (20 with a flag, 22+)").isTrue();
    Path client =
        Files.writeString(work.resolve("client-token.js"), server.get("/client.js", null).body());
    String token = server.token("terminal", "脚本喇叭", VILLAGE);
    try (NodeClient terminal =
        NodeClient.start(client, work.resolve("token-storage.json"), token)) {
      JsonNode open = terminal.await(e -> e.path("event").asText().equals("open"));
      assertThat(open.path("url").asText()).doesNotContain(token).doesNotContain("token");
      JsonNode authed = terminal.await(e -> e.path("event").asText().equals("authed"));
      assertThat(authed.path("role").asText()).isEqualTo("terminal");
      String own = "terminal:" + authed.path("id").asText();
      terminal.await(
          e ->
              e.path("event").asText().equals("subscribed")
                  && own.equals(e.path("channel").asText()));

      terminal.command("drop");
      terminal.await(e -> e.path("event").asText().equals("close"));
      JsonNode again = terminal.await(e -> e.path("event").asText().equals("authed"));
      assertThat(again.path("id").asText()).isEqualTo(authed.path("id").asText());
    }
  }

  static String push(String title) {
    HttpResponse<String> r =
        server.postJson(
            "/api/v1/pushes",
            editor,
            Map.of("areas", List.of(VILLAGE), "title", title, "body", title));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return TestServer.json(r.body()).get("id").asText();
  }

  static boolean nodeWorks() {
    return run("node", "--version");
  }

  static boolean nodeHasWebSocket() {
    return run(
        "node",
        "--experimental-websocket",
        "-e",
        "process.exit(typeof WebSocket === 'function' ? 0 : 1)");
  }

  private static boolean run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A Node process running the client; prints one JSON line per event, takes commands on stdin. */
  static final class NodeClient implements AutoCloseable {
    static final String HARNESS =
        """
        const XiaolabaClient = require(process.argv[2]);
        const fs = require("fs");
        const file = process.argv[3];
        const read = () => { try { return JSON.parse(fs.readFileSync(file, "utf8")); } catch { return {}; } };
        const storage = {
          getItem: (k) => (k in read() ? read()[k] : null),
          setItem: (k, v) => { const all = read(); all[k] = String(v); fs.writeFileSync(file, JSON.stringify(all)); },
          removeItem: (k) => { const all = read(); delete all[k]; fs.writeFileSync(file, JSON.stringify(all)); },
        };
        const client = new XiaolabaClient({ url: process.argv[4], channels: [process.argv[5]], storage,
                                            token: process.argv[6], minDelayMs: 200, maxDelayMs: 1000 });
        for (const e of ["open", "authed", "subscribed", "push", "close", "error"]) {
          client.on(e, (m) => process.stdout.write(JSON.stringify({ event: e, ...m }) + "\\n"));
        }
        client.connect();
        require("readline").createInterface({ input: process.stdin }).on("line", (line) => {
          if (line === "drop") client._ws.close(4000, "test drops the link");
          if (line === "exit") { client.close(); process.exit(0); }
        });
        """;

    private final Process process;
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final List<String> output = new ArrayList<>();

    private NodeClient(Process process) {
      this.process = process;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    synchronized (output) {
                      output.add(line);
                    }
                    if (line.startsWith("{")) events.add(TestServer.json(line));
                  }
                } catch (IOException e) {
                  // the process ended
                }
              },
              "node-client-output");
      reader.setDaemon(true);
      reader.start();
    }

    static NodeClient start(Path client, Path storage) throws IOException {
      return start(client, storage, null);
    }

    /** With a token: the client sends it in the first frame of every connection. */
    static NodeClient start(Path client, Path storage, String token) throws IOException {
      Path harness = client.resolveSibling("harness.js");
      Files.writeString(harness, HARNESS);
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  "node",
                  "--experimental-websocket",
                  "--no-warnings",
                  harness.toString(),
                  client.toString(),
                  storage.toString(),
                  "ws://127.0.0.1:" + server.port() + "/ws",
                  CHANNEL));
      if (token != null) cmd.add(token);
      return new NodeClient(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    JsonNode await(Predicate<JsonNode> wanted) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        long left = deadline - System.nanoTime();
        JsonNode e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
        if (e == null) {
          synchronized (output) {
            throw new AssertionError(
                "no matching event from the Node client; it printed: " + output);
          }
        }
        if (wanted.test(e)) return e;
      }
    }

    void command(String line) throws IOException {
      OutputStream in = process.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    @Override
    public void close() throws InterruptedException {
      try {
        command("exit");
      } catch (IOException e) {
        // already gone
      }
      if (!process.waitFor(5, TimeUnit.SECONDS))
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
