package org.xiaolaba.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xiaolaba.server.fuzz.FuzzSupport.NODES;
import static org.xiaolaba.server.fuzz.FuzzSupport.VILLAGE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.xiaolaba.server.RawWebSocket;
import org.xiaolaba.server.TestServer;

/**
 * Random and malformed WebSocket frames over a raw socket, from a resident, an admin and a
 * terminal: bad and huge declared lengths, fragments out of order, control frames too long or
 * fragmented, reserved bits and opcodes, binary and unmasked frames, bad close frames, random
 * bytes, and random JSON messages with unknown or malformed ops. The server answers with {@code
 * error} frames or closes with a proper code (or just closes), closes when the client goes away,
 * returns to its baseline of connections, and a fresh client still connects and gets a push. The
 * admin and the terminal authenticate with an {@code auth} first frame, their script following at
 * once; random and malformed {@code auth} frames (first or later) never authenticate anyone.
 * Scripts also hold subscribe lists with duplicates, bursts past the message rate, forged acks and
 * status frames with oversized fields: a channel is answered {@code subscribed} once, and the hub's
 * channel map is back to its baseline after each try.
 */
class FuzzWebSocketFramesTest {
  static final Set<Integer> CLOSE_CODES = Set.of(1000, 1002, 1003, 1007, 1008, 1009, 1013, 4029);
  static final Set<String> TYPES =
      Set.of("authed", "pong", "error", "subscribed", "push", "play", "stop");
  static final Set<String> ERROR_CODES =
      Set.of(
          "bad-json",
          "bad-message",
          "unknown-op",
          "bad-subscribe",
          "bad-channel",
          "bad-offset",
          "too-many-subscriptions",
          "bad-ack",
          "not-a-terminal",
          "bad-status",
          "binary",
          "bad-request",
          "too-many-auth-failures",
          "busy",
          "rate-limited");

  static Path dataDir;
  static TestServer server;
  static String terminal;

  enum Who {
    RESIDENT,
    ADMIN,
    TERMINAL
  }

  @BeforeContainer
  static void start() {
    dataDir = FuzzSupport.tempDir("fuzz-ws-data");
    // Random auth frames fail by the hundred from one address: no throttle in the way of the rest.
    server =
        TestServer.start(
            dataDir, Map.of("XIAOLABA_HTTP_THROTTLE_AUTH_FAILURES_PER_MINUTE", "100000"));
    terminal = server.token("terminal", "1号喇叭", VILLAGE);
    assertThat(connections()).isZero();
  }

  @AfterContainer
  static void stop() {
    if (server != null) server.close();
    FuzzSupport.deleteTree(dataDir);
  }

  @Property(tries = 250, seed = "7074")
  void hostileFramesAreRefusedCleanlyAndLeaveNothingBehind(
      @ForAll Who who, @ForAll("scripts") List<Action> script) throws Exception {
    String token =
        switch (who) {
          case RESIDENT -> null;
          case ADMIN -> TestServer.ADMIN;
          case TERMINAL -> terminal;
        };
    List<RawWebSocket.Frame> frames;
    boolean answeredProbe;
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      assertThat(RawWebSocket.handshake(s, "/ws")).startsWith("HTTP/1.1 101");
      Reader reader = new Reader(s.getInputStream());
      reader.start();
      OutputStream out = s.getOutputStream();
      try {
        // The script follows the auth frame at once: it is taken after the token was checked.
        if (token != null)
          RawWebSocket.sendText(out, "{\"op\":\"auth\",\"token\":\"" + token + "\"}");
        for (Action a : script) a.send(out);
        RawWebSocket.sendText(out, "{\"op\":\"ping\"}");
      } catch (IOException e) {
        // The server closed while we wrote: what it said is in the reader.
      }
      answeredProbe = reader.awaitPongOrClose(Duration.ofSeconds(1));
      try {
        s.shutdownOutput();
      } catch (IOException e) {
        // already gone
      }
      frames = reader.awaitEnd(Duration.ofSeconds(5), script);
    }
    String shown = who + " " + script + " -> " + describe(frames);
    List<JsonNode> texts = new ArrayList<>();
    for (RawWebSocket.Frame f : frames) {
      switch (f.opcode()) {
        case 0x1 -> {
          JsonNode m = TestServer.json(f.text());
          texts.add(m);
          assertThat(m.path("type").asText()).as(shown).isIn(TYPES);
          if (m.path("type").asText().equals("error")) {
            assertThat(m.path("code").asText()).as(shown).isIn(ERROR_CODES);
          }
        }
        case 0x8 -> assertThat(f.closeCode()).as(shown).isIn(CLOSE_CODES);
        case 0x9, 0xA -> {
          // server ping, or the pong of one of ours
        }
        default -> throw new AssertionError("unexpected opcode " + f.opcode() + ": " + shown);
      }
    }
    neverAuthenticatedByTheScript(who, texts, shown);
    eachChannelSubscribedOnce(who, texts, shown);
    Statistics.label("ending")
        .collect(
            frames.stream()
                .filter(f -> f.opcode() == 0x8)
                .map(f -> "close " + f.closeCode())
                .findFirst()
                .orElse(answeredProbe ? "pong, then closed at our end" : "closed at our end"));
    if (script.stream().allMatch(a -> a.kind().wellFormed)) {
      assertThat(answeredProbe).as("a well-formed script's ping is answered: " + shown).isTrue();
    }
    freshClientGetsAPush();
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(() -> assertThat(connections()).as(shown).isZero());
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(() -> assertThat(channelsWatched()).as(shown).isZero());
  }

  /**
   * Duplicates in a list, or a channel asked for again, are not read again: one {@code subscribed}
   * per channel (a terminal's own areas twice at most: the server's, then its own with an offset).
   */
  private static void eachChannelSubscribedOnce(Who who, List<JsonNode> texts, String shown) {
    Map<String, Long> answers =
        texts.stream()
            .filter(m -> m.path("type").asText().equals("subscribed"))
            .collect(
                java.util.stream.Collectors.groupingBy(
                    m -> m.path("channel").asText(), java.util.stream.Collectors.counting()));
    answers.forEach(
        (channel, n) ->
            assertThat(n)
                .as(channel + " answered: " + shown)
                .isLessThanOrEqualTo(who == Who.TERMINAL ? 2 : 1));
  }

  static double channelsWatched() {
    return FuzzSupport.sample(server.get("/metrics", null).body(), "xiaolaba_push_channels");
  }

  /**
   * Only the real token's auth frame, the first, authenticates: a resident's connection is never
   * answered {@code authed} nor given what needs a token, whatever auth frames its script holds.
   */
  private static void neverAuthenticatedByTheScript(Who who, List<JsonNode> texts, String shown) {
    long authed = texts.stream().filter(m -> m.path("type").asText().equals("authed")).count();
    Statistics.label("auth").collect(who + (authed > 0 ? " authed" : " not authed"));
    if (who == Who.RESIDENT) {
      assertThat(authed).as("a resident is never authed: " + shown).isZero();
      assertThat(texts)
          .as(shown)
          .noneMatch(
              m ->
                  m.path("type").asText().equals("play")
                      || (m.path("type").asText().equals("subscribed")
                          && !m.path("channel").asText().startsWith("area:")));
    } else {
      assertThat(authed)
          .as("authed at most once, by the first frame: " + shown)
          .isLessThanOrEqualTo(1);
      if (authed == 1) {
        JsonNode first = texts.get(0);
        assertThat(first.path("type").asText()).as(shown).isEqualTo("authed");
        assertThat(first.path("role").asText()).as(shown).isEqualTo(who.name().toLowerCase());
      }
    }
  }

  private static void freshClientGetsAPush() throws InterruptedException {
    TestServer.WsRecorder fresh = server.connect(null);
    try {
      fresh.send(Map.of("op", "subscribe", "channels", List.of("area:" + VILLAGE)));
      fresh.awaitType("subscribed", Duration.ofSeconds(5));
      var r =
          server.postJson(
              "/api/v1/pushes",
              TestServer.ADMIN,
              Map.of("areas", List.of(VILLAGE), "title", "fuzz"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      String id = TestServer.json(r.body()).get("id").asText();
      fresh.await(
          m -> "push".equals(m.path("type").asText()) && id.equals(m.at("/data/pushId").asText()),
          Duration.ofSeconds(5));
    } finally {
      fresh.abort();
    }
  }

  static double connections() {
    return FuzzSupport.sample(
        server.get("/metrics", null).body(), "xiaolaba_websocket_connections");
  }

  private static String describe(List<RawWebSocket.Frame> frames) {
    List<String> out = new ArrayList<>();
    for (RawWebSocket.Frame f : frames) {
      out.add(
          f.opcode() == 0x8
              ? "close " + f.closeCode()
              : f.opcode() == 0x1 ? FuzzSupport.abbreviate(f.text()) : "opcode " + f.opcode());
    }
    return out.toString();
  }

  // ---- what the client sends ----

  /** One step of a script: a kind of frame (or junk) and the bytes it carries. */
  record Action(Kind kind, byte[] data, int n) {
    enum Kind {
      TEXT_JSON(true),
      BURST(true),
      FRAGMENTED_TEXT(true),
      PING(true),
      BINARY(true),
      TEXT_BAD_UTF8(false),
      RESERVED_BITS(false),
      RESERVED_OPCODE(false),
      UNMASKED(false),
      CONTROL_TOO_LONG(false),
      CONTROL_FRAGMENTED(false),
      CONTINUATION_FIRST(false),
      TEXT_START_ONLY(false),
      DECLARED_HUGE(false),
      DECLARED_NEGATIVE(false),
      SHORTER_THAN_DECLARED(false),
      OVERSIZED_FRAGMENTS(false),
      BAD_CLOSE(false),
      RANDOM_BYTES(false);

      final boolean wellFormed;

      Kind(boolean wellFormed) {
        this.wellFormed = wellFormed;
      }
    }

    void send(OutputStream out) throws IOException {
      switch (kind) {
        case TEXT_JSON -> RawWebSocket.sendFrame(out, 0x81, true, data.length, data);
        case BURST -> {
          // Well-formed messages past websocket.opBurst (20) at once: rate-limited, close 4029.
          byte[] ping = "{\"op\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
          for (int i = 0; i < 21 + n % 40; i++) {
            RawWebSocket.sendFrame(out, 0x81, true, ping.length, ping);
          }
        }
        case FRAGMENTED_TEXT -> {
          int cut = data.length == 0 ? 0 : n % data.length;
          byte[] a = java.util.Arrays.copyOfRange(data, 0, cut);
          byte[] b = java.util.Arrays.copyOfRange(data, cut, data.length);
          RawWebSocket.sendFrame(out, 0x01, true, a.length, a);
          // A ping may come between the fragments of a message.
          if (n % 2 == 0) RawWebSocket.sendFrame(out, 0x89, true, 1, new byte[] {7});
          RawWebSocket.sendFrame(out, 0x80, true, b.length, b);
        }
        case PING -> RawWebSocket.sendFrame(out, 0x89, true, Math.min(data.length, 125), head(125));
        case BINARY -> RawWebSocket.sendFrame(out, 0x82, true, data.length, data);
        case TEXT_BAD_UTF8 -> {
          byte[] bad = {'{', '"', 'o', (byte) 0xc3, (byte) 0x28, (byte) 0xff, '"', '}'};
          RawWebSocket.sendFrame(out, 0x81, true, bad.length, bad);
        }
        case RESERVED_BITS ->
            RawWebSocket.sendFrame(out, 0x81 | (0x10 << (n % 3)), true, data.length, data);
        case RESERVED_OPCODE -> {
          int[] reserved = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
          RawWebSocket.sendFrame(out, 0x80 | reserved[n % reserved.length], true, 1, new byte[1]);
        }
        case UNMASKED -> RawWebSocket.sendFrame(out, 0x81, false, data.length, data);
        case CONTROL_TOO_LONG -> {
          byte[] p = new byte[126 + n % 200];
          RawWebSocket.sendFrame(out, n % 2 == 0 ? 0x89 : 0x8A, true, p.length, p);
        }
        case CONTROL_FRAGMENTED -> RawWebSocket.sendFrame(out, 0x09, true, 1, new byte[] {1});
        case CONTINUATION_FIRST -> RawWebSocket.sendFrame(out, 0x80, true, data.length, data);
        case TEXT_START_ONLY -> RawWebSocket.sendFrame(out, 0x01, true, data.length, data);
        case DECLARED_HUGE -> {
          long[] sizes = {65_537, 1L << 20, 1L << 31, 1L << 40, Long.MAX_VALUE};
          RawWebSocket.sendFrame(out, 0x81, true, sizes[n % sizes.length], head(64));
        }
        case DECLARED_NEGATIVE -> RawWebSocket.sendFrame(out, 0x81, true, -1L - n, head(8));
        case SHORTER_THAN_DECLARED ->
            RawWebSocket.sendFrame(out, 0x81, true, data.length + 1 + n % 4000, data);
        case OVERSIZED_FRAGMENTS -> {
          byte[] part = new byte[40_000];
          java.util.Arrays.fill(part, (byte) 'a');
          RawWebSocket.sendFrame(out, 0x01, true, part.length, part);
          RawWebSocket.sendFrame(out, 0x00, true, part.length, part);
          RawWebSocket.sendFrame(out, 0x80, true, part.length, part);
        }
        case BAD_CLOSE -> {
          byte[][] payloads = {
            {3},
            {0x03, (byte) 0xe7},
            {0x03, (byte) 0xed},
            {0x13, (byte) 0x88},
            {0x03, (byte) 0xe8, (byte) 0xff}
          };
          byte[] p = payloads[n % payloads.length];
          RawWebSocket.sendFrame(out, 0x88, true, p.length, p);
        }
        case RANDOM_BYTES -> {
          out.write(data);
          out.flush();
        }
      }
    }

    private byte[] head(int max) {
      return java.util.Arrays.copyOf(data, Math.min(data.length, max));
    }

    @Override
    public String toString() {
      return kind + "(" + n + ", " + FuzzSupport.abbreviate(data) + ")";
    }
  }

  @Provide
  Arbitrary<List<Action>> scripts() {
    Arbitrary<Action.Kind> kinds =
        Arbitraries.frequency(
            Tuple.of(12, Action.Kind.TEXT_JSON),
            Tuple.of(3, Action.Kind.BURST),
            Tuple.of(3, Action.Kind.FRAGMENTED_TEXT),
            Tuple.of(2, Action.Kind.PING),
            Tuple.of(2, Action.Kind.BINARY),
            Tuple.of(2, Action.Kind.TEXT_BAD_UTF8),
            Tuple.of(2, Action.Kind.RESERVED_BITS),
            Tuple.of(2, Action.Kind.RESERVED_OPCODE),
            Tuple.of(2, Action.Kind.UNMASKED),
            Tuple.of(2, Action.Kind.CONTROL_TOO_LONG),
            Tuple.of(2, Action.Kind.CONTROL_FRAGMENTED),
            Tuple.of(2, Action.Kind.CONTINUATION_FIRST),
            Tuple.of(2, Action.Kind.TEXT_START_ONLY),
            Tuple.of(2, Action.Kind.DECLARED_HUGE),
            Tuple.of(1, Action.Kind.DECLARED_NEGATIVE),
            Tuple.of(1, Action.Kind.SHORTER_THAN_DECLARED),
            Tuple.of(1, Action.Kind.OVERSIZED_FRAGMENTS),
            Tuple.of(2, Action.Kind.BAD_CLOSE),
            Tuple.of(2, Action.Kind.RANDOM_BYTES));
    Arbitrary<byte[]> payloads =
        Arbitraries.frequencyOf(
            Tuple.of(6, messages().map(s -> s.getBytes(StandardCharsets.UTF_8))),
            Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(300)));
    Arbitrary<Action> action =
        Combinators.combine(kinds, payloads, Arbitraries.integers().between(0, 10_000))
            .as(Action::new);
    return action.list().ofMinSize(1).ofMaxSize(6);
  }

  /** Messages as text: the protocol's ops with fields right and wrong, unknown ops, non-JSON. */
  static Arbitrary<String> messages() {
    Arbitrary<String> op =
        Arbitraries.oneOf(
            Arbitraries.of(
                "subscribe", "ack", "status", "ping", "auth", "SUBSCRIBE", "publish", "", "op"),
            FuzzSupport.hostileStrings().filter(s -> s.length() < 100));
    Arbitrary<String> channel =
        Arbitraries.oneOf(
            Arbitraries.of(
                "area:" + VILLAGE,
                "area:320623",
                "area:320623100",
                "area:999999",
                "area:",
                "terminal:x",
                "clip:nope",
                "clip:",
                "AREA:" + VILLAGE),
            FuzzSupport.hostileStrings().filter(s -> s.length() < 200));
    Arbitrary<JsonNode> subscribe =
        Combinators.combine(
                channel.list().ofMaxSize(70), FuzzSupport.plausibleStrings(), FuzzSupport.values(2))
            .as(
                (chs, offset, junk) -> {
                  ObjectNode m = NODES.objectNode();
                  m.put("op", "subscribe");
                  chs.forEach(m.putArray("channels")::add);
                  ObjectNode since = m.putObject("since");
                  ObjectNode epochs = m.putObject("epochs");
                  for (String c : chs) {
                    since.put(c, offset);
                    epochs.set(c, junk);
                  }
                  return m;
                });
    Arbitrary<JsonNode> withFields =
        Combinators.combine(
                op,
                Combinators.combine(FuzzSupport.keys(), FuzzSupport.values(3))
                    .as(Map::entry)
                    .list()
                    .ofMaxSize(5))
            .as(
                (o, fields) -> {
                  ObjectNode m = NODES.objectNode();
                  m.put("op", o);
                  fields.forEach(e -> m.set(e.getKey(), e.getValue()));
                  return m;
                });
    Arbitrary<JsonNode> token =
        Arbitraries.oneOf(
            FuzzSupport.hostileStrings().map(NODES::textNode),
            Arbitraries.of("", " ", TestServer.ADMIN + "x", "Bearer " + TestServer.ADMIN)
                .map(NODES::textNode),
            Arbitraries.strings().alpha().ofMinLength(200).ofMaxLength(3000).map(NODES::textNode),
            FuzzSupport.values(2));
    Arbitrary<JsonNode> auth =
        Combinators.combine(token, Arbitraries.integers().between(0, 3))
            .as(
                (t, shape) -> {
                  ObjectNode m = NODES.objectNode();
                  m.put("op", shape == 3 ? "AUTH" : "auth");
                  if (shape != 1) m.set("token", t);
                  if (shape == 2) m.put("token2", TestServer.ADMIN.substring(1));
                  return m;
                });
    Arbitrary<String> notJson =
        Arbitraries.oneOf(
            FuzzSupport.hostileStrings(),
            Arbitraries.of("{", "{\"op\":", "[]", "null", "\"ping\"", "{\"op\":\"ping\"} x"),
            Arbitraries.integers().between(1, 3000).map(d -> FuzzSupport.nested(d, d % 2 == 0)));
    Arbitrary<JsonNode> duplicates =
        Combinators.combine(
                Arbitraries.of("area:" + VILLAGE, "area:320623", "area:320623100", "clip:nope")
                    .list()
                    .ofMinSize(2)
                    .ofMaxSize(200),
                Arbitraries.of("0-0", "1-0", "99999999999999-0"))
            .as(
                (chs, offset) -> {
                  ObjectNode m = NODES.objectNode();
                  m.put("op", "subscribe");
                  chs.forEach(m.putArray("channels")::add);
                  if (!offset.equals("0-0")) m.putObject("since").put(chs.get(0), offset);
                  return m;
                });
    Arbitrary<JsonNode> forgedAck =
        Combinators.combine(
                Arbitraries.of("area:" + VILLAGE, "area:320623", "area:999999"),
                Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.longs().between(0, 5))
            .as(
                (ch, ms, seq) -> {
                  ObjectNode m = NODES.objectNode();
                  m.put("op", "ack");
                  m.put("channel", ch);
                  m.put("offset", ms + "-" + seq);
                  return m;
                });
    Arbitrary<JsonNode> oversizedStatus =
        Combinators.combine(
                Arbitraries.of("state", "nowPlaying", "runId", "volume", "clockOffsetMs"),
                Arbitraries.integers().between(1, 60_000))
            .as(
                (field, size) -> {
                  ObjectNode m = NODES.objectNode();
                  m.put("op", "status");
                  m.put("state", "playing");
                  switch (field) {
                    case "volume" -> m.put("volume", size * 1000L);
                    case "clockOffsetMs" -> m.put("clockOffsetMs", (long) size * 1_000_000_000L);
                    default -> m.put(field, "p".repeat(size) + ":1");
                  }
                  return m;
                });
    return Arbitraries.frequencyOf(
        Tuple.of(2, duplicates.map(TestServer::write)),
        Tuple.of(2, forgedAck.map(TestServer::write)),
        Tuple.of(2, oversizedStatus.map(TestServer::write)),
        Tuple.of(3, auth.map(TestServer::write)),
        Tuple.of(3, subscribe.map(TestServer::write)),
        Tuple.of(4, withFields.map(TestServer::write)),
        Tuple.of(2, FuzzSupport.values(3).map(TestServer::write)),
        Tuple.of(2, notJson));
  }

  // ---- what the server sends ----

  /** Reads everything the server sends until it closes, on its own thread. */
  static final class Reader extends Thread {
    private final InputStream in;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final AtomicBoolean ended = new AtomicBoolean();

    Reader(InputStream in) {
      this.in = in;
      setDaemon(true);
      setName("fuzz-ws-reader");
    }

    @Override
    public void run() {
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) >= 0; ) {
          synchronized (bytes) {
            bytes.write(buf, 0, n);
          }
        }
      } catch (IOException e) {
        // reset or closed: the end either way
      } finally {
        ended.set(true);
      }
    }

    List<RawWebSocket.Frame> frames() {
      byte[] all;
      synchronized (bytes) {
        all = bytes.toByteArray();
      }
      return parse(all);
    }

    /** True once the server answered a pong frame or closed; false if it said neither in time. */
    boolean awaitPongOrClose(Duration within) {
      try {
        Awaitility.await()
            .atMost(within)
            .pollInterval(Duration.ofMillis(5))
            .until(
                () ->
                    ended.get()
                        || frames().stream()
                            .anyMatch(
                                f ->
                                    f.opcode() == 0x8
                                        || (f.opcode() == 0x1 && f.text().contains("\"pong\""))));
        return true;
      } catch (ConditionTimeoutException e) {
        return false;
      }
    }

    /** Every frame, once the server closed the connection; fails if it did not. */
    List<RawWebSocket.Frame> awaitEnd(Duration within, List<Action> script) {
      try {
        Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(5)).until(ended::get);
      } catch (ConditionTimeoutException e) {
        throw new AssertionError(
            "the server kept the connection open after the client's end: " + script, e);
      }
      return frames();
    }

    /** Frames from the server (unmasked); a cut-off frame at the end is left out. */
    static List<RawWebSocket.Frame> parse(byte[] b) {
      List<RawWebSocket.Frame> out = new ArrayList<>();
      int i = 0;
      while (i + 2 <= b.length) {
        int opcode = b[i] & 0x0f;
        long len = b[i + 1] & 0x7f;
        int at = i + 2;
        if (len == 126) {
          if (at + 2 > b.length) break;
          len = ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
          at += 2;
        } else if (len == 127) {
          if (at + 8 > b.length) break;
          len = 0;
          for (int k = 0; k < 8; k++) len = (len << 8) | (b[at + k] & 0xff);
          at += 8;
        }
        if (len < 0 || at + len > b.length) break;
        out.add(
            new RawWebSocket.Frame(opcode, java.util.Arrays.copyOfRange(b, at, (int) (at + len))));
        i = (int) (at + len);
      }
      return out;
    }
  }
}
