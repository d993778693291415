package org.xiaolaba.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.awaitility.Awaitility;
import org.xiaolaba.server.TestServer;

/**
 * Hostile bodies for {@code POST /api/v1/clips}, sent over real sockets to a real server (embedded
 * Redis, real ffmpeg): small real recordings mutated (bits flipped, cut short, WAV and MP3 header
 * fields set to extreme values, junk before or after), random bytes behind audio magic numbers,
 * empty bodies, multipart envelopes right and wrong, wrong content types; and abuse of the transfer
 * itself: a declared length longer or shorter than the body, chunked bodies cut off or malformed,
 * bodies without a length, bodies over {@code media.maxUploadSize}.
 *
 * <p>Whatever comes: no 5xx but 503 and only documented statuses; every clip answered 202 ends
 * {@code ready} or {@code failed} with a readable error; afterwards nothing is left in {@code
 * incoming/}, {@code tmp/} or {@code sources/}, no file under the media directory is held open and
 * no connection is held; the server's clips are exactly the ones it answered 202 for; it still
 * answers, its queues are empty and its heap stays bounded.
 */
class FuzzUploadsTest {
  /** {@code media.maxUploadSize} here: above every fixture, low enough to go over cheaply. */
  static final int MAX_UPLOAD = 256 * 1024;

  /** What the upload route may answer (openapi.json), besides the 202 of an accepted clip. */
  static final Set<Integer> DOCUMENTED = Set.of(202, 400, 401, 403, 413, 415, 429, 503, 507);

  static Path dataDir;
  static Path work;
  static Path media;
  static TestServer server;
  static String editor;
  static final Map<Base, byte[]> fixtures = new EnumMap<>(Base.class);

  /** Every clip the server answered 202 for, and the rendition files of those that are ready. */
  static final Set<String> accepted = ConcurrentHashMap.newKeySet();

  static final Set<String> renditionFiles = ConcurrentHashMap.newKeySet();
  static final Set<String> settled = ConcurrentHashMap.newKeySet();

  /** A content type that is not sent at all. */
  static final String NONE = "(none)";

  static final AtomicInteger serial = new AtomicInteger();
  static long heapBefore;
  static int connectionsBefore;

  @BeforeContainer
  static void start() throws Exception {
    dataDir = FuzzSupport.tempDir("fuzz-uploads-data");
    work = FuzzSupport.tempDir("fuzz-uploads-work");
    media = dataDir.resolve("media");
    server =
        TestServer.start(
            dataDir,
            Map.of(
                "XIAOLABA_MEDIA_MAX_UPLOAD_SIZE", MAX_UPLOAD / 1024 + "KiB",
                "XIAOLABA_HTTP_THROTTLE_UPLOADS_PER_MINUTE", "0",
                "XIAOLABA_HTTP_THROTTLE_AUTH_FAILURES_PER_MINUTE", "100000"));
    editor = server.token("editor", "镇编辑", FuzzSupport.TOWN);
    fixtures.put(Base.WAV, fixture("a.wav", "-ar", "8000", "-ac", "1"));
    fixtures.put(Base.STEREO_WAV, fixture("b.wav", "-ar", "16000", "-ac", "2"));
    fixtures.put(Base.MP3, fixture("c.mp3", "-ac", "1", "-b:a", "64k"));
    fixtures.put(Base.FLAC, fixture("d.flac", "-ar", "11025", "-ac", "1"));
    for (byte[] f : fixtures.values()) assertThat(f.length).isLessThan(MAX_UPLOAD / 2);
    heapBefore = heapAfterGc();
    connectionsBefore = serverConnections();
  }

  @AfterContainer
  static void stop() {
    try {
      if (server != null) {
        String scrape = FuzzSupport.send(server.port(), "GET", "/metrics", null, null, null).text();
        for (String queue :
            List.of("xiaolaba_blocking_queue", "xiaolaba_ffmpeg_queue", "xiaolaba_ffmpeg_active")) {
          assertThat(FuzzSupport.sample(scrape, queue)).as(queue + " at the end").isZero();
        }
        // Uploads are streamed to disk: a hundred of them must not have grown the heap.
        assertThat(heapAfterGc())
            .as("heap after GC, from %d bytes at the start", heapBefore)
            .isLessThan(heapBefore + 64L * 1024 * 1024);
      }
    } finally {
      if (server != null) server.close();
      FuzzSupport.deleteTree(dataDir);
      FuzzSupport.deleteTree(work);
    }
  }

  private static byte[] fixture(String name, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-fflags", "+bitexact", "-map_metadata", "-1"));
    return Files.readAllBytes(TestServer.tone(work, name, 1, all.toArray(String[]::new)));
  }

  // ---- properties ----

  // Every try talks to the one server: a shrunk try run after a failure would mostly show the
  // aftermath of the first, so a failure reports the sample as generated.
  @Property(tries = 36, seed = "7170", shrinking = ShrinkingMode.OFF)
  void hostileAudioIsAcceptedOrRefusedAndEveryAcceptedClipSettles(
      @ForAll("samples") Sample sample, @ForAll("framings") Framing framing) {
    byte[] audio = sample.bytes();
    byte[] body = framing.wrap(audio);
    String what = sample + " as " + framing + " (" + body.length + " bytes)";
    FuzzSupport.Response r =
        FuzzSupport.send(
            server.port(), "POST", framing.target(), editor, body, framing.contentType());
    Statistics.label("status").collect(sample.base(), r.status());
    checkAnswer(what, r, true);
    settle(what);
  }

  @Property(tries = 24, seed = "7171", shrinking = ShrinkingMode.OFF)
  void abusedTransfersAreAnsweredOrDroppedAndLeaveNothingBehind(
      @ForAll("transfers") Transfer transfer) {
    List<FuzzSupport.Response> answers = transfer.run();
    Statistics.label("transfer")
        .collect(
            transfer.kind(),
            answers.stream().map(FuzzSupport.Response::status).toList().toString());
    check(transfer, answers);
  }

  /** Answers after the first are to what followed the upload on the connection: any route's. */
  private static void check(Transfer t, List<FuzzSupport.Response> answers) {
    for (int i = 0; i < answers.size(); i++) checkAnswer(t.toString(), answers.get(i), i == 0);
    t.kind().check(t, answers);
    settle(t.toString());
  }

  /** Each abuse once as the editor, whatever the random tries above happened to pick. */
  @Example
  void everyAbuseOfTheTransferOnce() {
    for (TransferKind kind : TransferKind.values()) {
      Transfer t = new Transfer(kind, Caller.EDITOR, Base.MP3, 500, 1000, 4096, "zz", NONE);
      check(t, t.run());
    }
  }

  /**
   * Regression: a malformed chunk ended the body as if it were complete: the editor's upload was
   * ingested (202), and after another caller's 401 the connection stayed open on a decoder that
   * reads nothing more, so the next request on it was never answered.
   */
  @Example
  void aMalformedChunkIsA400AndNothingIsIngested() throws IOException {
    for (String bad : List.of("zz", "-1", "fffffffffffffffff", "1" + "0".repeat(20))) {
      Transfer t =
          new Transfer(
              TransferKind.CHUNKED_MALFORMED, Caller.EDITOR, Base.WAV, 600, 0, 4096, bad, NONE);
      List<FuzzSupport.Response> answers = t.run();
      assertThat(answers).as(t.toString()).hasSize(1);
      assertThat(answers.get(0).status()).as(t.toString()).isEqualTo(400);
      settle(t.toString());
    }
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(15_000);
      String request =
          "POST /api/v1/clips?title=x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
              + Caller.UNKNOWN_TOKEN.token()
              + "\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nRIFF\r\nzz\r\n";
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = new BufferedInputStream(s.getInputStream());
      FuzzSupport.Response refused = FuzzSupport.read("a malformed chunk after a 401", in);
      assertThat(refused).isNotNull();
      assertThat(refused.status()).isEqualTo(401);
      FuzzSupport.Response next;
      try {
        s.getOutputStream()
            .write("GET /healthz HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        next = FuzzSupport.read("the next request on that connection", in);
      } catch (java.net.SocketException reset) {
        next = null; // closed: the request came after the close and was answered with a reset
      }
      assertThat(next)
          .as("the server closes the connection rather than leave it unable to read")
          .isNull();
    }
    settle("a malformed chunk after a 401");
  }

  // ---- the contract ----

  /**
   * An answer is handled (problem+json, no 5xx but 503), documented for the upload route when it
   * answers one, and a 202 names the clip.
   */
  private static void checkAnswer(String what, FuzzSupport.Response r, boolean upload) {
    String shown = what + " -> " + r.status() + " " + FuzzSupport.abbreviate(r.text());
    if (upload) assertThat(r.status()).as(shown).isIn(DOCUMENTED);
    FuzzSupport.assertHandled(server.port(), what, r);
    if (r.status() == 202) {
      JsonNode clip = TestServer.json(r.text());
      assertThat(r.headers().get("location")).as(shown).endsWith(clip.get("id").asText());
      accepted.add(clip.get("id").asText());
    }
  }

  /**
   * After each case: every accepted clip ends ready or failed (with an error a person can read),
   * nothing is left behind or held open, and the server lists exactly the clips it accepted.
   */
  private static void settle(String what) {
    for (String id : accepted) {
      if (settled.contains(id)) continue;
      JsonNode clip = awaitSettled(id);
      String status = clip.get("status").asText();
      assertThat(status).as(what + ": clip " + clip).isIn("ready", "failed");
      if (status.equals("failed")) {
        String error = clip.path("error").asText();
        assertThat(error).as(what + ": clip " + clip).isNotBlank();
        assertThat(error)
            .as(what + ": an internal error, or a path, is not readable for an editor: " + clip)
            .doesNotContain("internal error")
            .doesNotContain(dataDir.toString())
            .doesNotContain("Exception");
        assertThat(clip.path("renditions").isMissingNode() || clip.path("renditions").isNull())
            .as(what + ": clip " + clip)
            .isTrue();
      } else {
        assertThat(clip.path("renditions").size()).as(what + ": clip " + clip).isEqualTo(2);
        clip.get("renditions")
            .forEach(rendition -> renditionFiles.add(rendition.get("file").asText()));
      }
      settled.add(id);
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              assertThat(filesIn(media.resolve("incoming"))).as(what + ": incoming/").isEmpty();
              assertThat(filesIn(media.resolve("tmp"))).as(what + ": tmp/").isEmpty();
              assertThat(filesIn(media.resolve("sources"))).as(what + ": sources/").isEmpty();
              assertThat(filesIn(media))
                  .as(what + ": the media directory holds only renditions of accepted clips")
                  .allMatch(name -> name.equals("node-id") || renditionFiles.contains(name));
              assertThat(openFilesUnder(media)).as(what + ": files held open").isEmpty();
              assertThat(serverConnections())
                  .as(what + ": connections the server still holds")
                  .isLessThanOrEqualTo(connectionsBefore);
            });
    assertThat(listedClips()).as(what + ": the clips the server lists").isEqualTo(accepted);
  }

  private static JsonNode awaitSettled(String id) {
    AtomicReference<JsonNode> clip = new AtomicReference<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              clip.set(get("/api/v1/clips/" + id));
              return !"processing".equals(clip.get().get("status").asText());
            });
    return clip.get();
  }

  private static JsonNode get(String target) {
    FuzzSupport.Response r = FuzzSupport.send(server.port(), "GET", target, editor, null, null);
    assertThat(r.status()).as(target + " -> " + r.text()).isEqualTo(200);
    return TestServer.json(r.text());
  }

  private static Set<String> listedClips() {
    JsonNode page = get("/api/v1/clips?limit=200");
    assertThat(page.has("nextCursor")).isFalse();
    Set<String> ids = new HashSet<>();
    page.get("clips").forEach(c -> ids.add(c.get("id").asText()));
    return ids;
  }

  private static List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).toList();
    }
  }

  /** Files under {@code dir} this JVM (the server runs in it) has open, deleted ones included. */
  private static List<String> openFilesUnder(Path dir) throws IOException {
    Path fds = Path.of("/proc/self/fd");
    if (!Files.isDirectory(fds)) return List.of();
    List<String> open = new ArrayList<>();
    try (Stream<Path> all = Files.list(fds)) {
      for (Path fd : all.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(dir.toString())) open.add(target);
        } catch (IOException gone) {
          // closed meanwhile
        }
      }
    }
    return open;
  }

  /** The server's open TCP connections (established, or closed by the client but not by it). */
  private static int serverConnections() {
    String port = String.format("%04X", server.port());
    int n = 0;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      if (!Files.isReadable(file)) continue;
      try {
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
          String[] f = line.trim().split("\\s+");
          boolean local = f[1].endsWith(":" + port);
          if (local && (f[3].equals("01") || f[3].equals("08"))) n++;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return n;
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ---- what is sent ----

  /** The recording a body starts from; the last ones are not recordings at all. */
  enum Base {
    WAV,
    STEREO_WAV,
    MP3,
    FLAC,
    MAGIC_NOISE,
    EMPTY
  }

  /** Magic numbers of audio (and audio-like) files, put before random bytes. */
  static final List<byte[]> MAGICS =
      Stream.of(
              "RIFF\u00ff\u00ff\u00ff\u007fWAVEfmt \u0010\u0000\u0000\u0000\u0001\u0000\u0001\u0000",
              "RIFF\u0024\u0000\u0000\u0000WAVE",
              "ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000",
              "ID3\u0003\u0000\u0000\u007f\u007f\u007f\u007f",
              "\u00ff\u00fb\u0090\u0064",
              "\u00ff\u00f3\u0018\u00c4",
              "OggS\u0000\u0002",
              "fLaC\u0000\u0000\u0000\"",
              "\u0000\u0000\u0000\u0020ftypM4A \u0000\u0000\u0000\u0000",
              "FORM\u0000\u0000\u0010\u0000AIFFCOMM",
              ".snd\u0000\u0000\u0000\u0018",
              "caff\u0000\u0001\u0000\u0000",
              "#!AMR\n",
              "\u001aE\u00df\u00a3",
              "#EXTM3U\n#EXTINF:1,\n",
              "ffconcat version 1.0\nfile ")
          .map(s -> s.getBytes(StandardCharsets.ISO_8859_1))
          .toList();

  /** A body: a recording (or magic and noise) with mutations applied in turn. */
  record Sample(Base base, int magic, int seed, int length, List<Mutation> mutations) {
    byte[] bytes() {
      byte[] b =
          switch (base) {
            case MAGIC_NOISE -> {
              byte[] m = MAGICS.get(magic % MAGICS.size());
              byte[] out = Arrays.copyOf(m, m.length + length);
              byte[] noise = new byte[length];
              new Random(seed).nextBytes(noise);
              System.arraycopy(noise, 0, out, m.length, length);
              yield out;
            }
            case EMPTY -> new byte[0];
            default -> fixtures.get(base).clone();
          };
      for (Mutation m : mutations) b = m.apply(b);
      return b;
    }

    @Override
    public String toString() {
      String from =
          switch (base) {
            case MAGIC_NOISE ->
                "magic "
                    + FuzzSupport.abbreviate(
                            new String(
                                MAGICS.get(magic % MAGICS.size()), StandardCharsets.ISO_8859_1))
                        .replaceAll("\\p{Cntrl}", "?")
                    + " + "
                    + length
                    + " random bytes (seed "
                    + seed
                    + ")";
            default -> base.name();
          };
      return from + " " + mutations;
    }
  }

  /** One change to a file's bytes; {@code value} seeds whatever is random in it. */
  record Mutation(Kind kind, int position, long value, int length) {
    enum Kind {
      FLIP_BITS,
      TRUNCATE,
      WAV_FIELD,
      MP3_FRAME_HEADER,
      HEADER_BYTES,
      APPEND_JUNK,
      PREPEND_JUNK
    }

    /** WAV header fields: offset within the chunk that holds them (-1: RIFF header), width. */
    enum WavField {
      RIFF_SIZE("RIFF", 4, 4),
      FMT_SIZE("fmt ", 4, 4),
      FORMAT_TAG("fmt ", 8, 2),
      CHANNELS("fmt ", 10, 2),
      SAMPLE_RATE("fmt ", 12, 4),
      BYTE_RATE("fmt ", 16, 4),
      BLOCK_ALIGN("fmt ", 20, 2),
      BITS_PER_SAMPLE("fmt ", 22, 2),
      DATA_SIZE("data", 4, 4);

      final String chunk;
      final int offset;
      final int width;

      WavField(String chunk, int offset, int width) {
        this.chunk = chunk;
        this.offset = offset;
        this.width = width;
      }
    }

    byte[] apply(byte[] in) {
      if (in.length == 0 && kind != Kind.APPEND_JUNK && kind != Kind.PREPEND_JUNK) return in;
      Random random = new Random(value);
      byte[] out = in.clone();
      switch (kind) {
        case FLIP_BITS -> {
          // half the time within the first 128 bytes, where the headers are
          int span = position % 2 == 0 ? Math.min(128, out.length) : out.length;
          for (int i = 0; i <= length % 32; i++) {
            out[random.nextInt(span)] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case TRUNCATE -> {
          return Arrays.copyOf(out, position % out.length);
        }
        case WAV_FIELD -> {
          WavField field = WavField.values()[position % WavField.values().length];
          int chunk = field.chunk.equals("RIFF") ? 0 : indexOf(out, field.chunk);
          if (chunk < 0 || chunk + field.offset + field.width > out.length) return out;
          put(out, chunk + field.offset, field.width, value, ByteOrder.LITTLE_ENDIAN);
        }
        case MP3_FRAME_HEADER -> {
          List<Integer> syncs = mp3Syncs(out);
          if (syncs.isEmpty()) return out;
          int at = syncs.get(position % syncs.size());
          // version and layer, then bitrate, sample rate, padding, then mode and emphasis
          out[at + 1] = (byte) (0xe0 | (value & 0x1f));
          out[at + 2] = (byte) (value >> 8);
          out[at + 3] = (byte) (value >> 16);
        }
        case HEADER_BYTES -> {
          int width = new int[] {1, 2, 4}[length % 3];
          int at = position % Math.max(1, Math.min(64, out.length - width + 1));
          if (at + width > out.length) return out;
          put(
              out,
              at,
              width,
              value,
              position % 2 == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        }
        case APPEND_JUNK, PREPEND_JUNK -> {
          byte[] junk = junk(random, 1 + length % 8192);
          byte[] joined = new byte[out.length + junk.length];
          boolean after = kind == Kind.APPEND_JUNK;
          System.arraycopy(out, 0, joined, after ? 0 : junk.length, out.length);
          System.arraycopy(junk, 0, joined, after ? out.length : 0, junk.length);
          return joined;
        }
      }
      return out;
    }

    /** Random bytes, a run of one byte, or MP3 frame headers over and over. */
    private static byte[] junk(Random random, int n) {
      byte[] junk = new byte[n];
      switch (random.nextInt(3)) {
        case 0 -> random.nextBytes(junk);
        case 1 -> Arrays.fill(junk, (byte) random.nextInt(256));
        default -> {
          byte[] frame = {(byte) 0xff, (byte) 0xfb, (byte) 0x90, (byte) 0x64};
          for (int i = 0; i < n; i++) junk[i] = frame[i % 4];
        }
      }
      return junk;
    }

    private static void put(byte[] b, int at, int width, long v, ByteOrder order) {
      ByteBuffer buf = ByteBuffer.wrap(b).order(order);
      switch (width) {
        case 1 -> buf.put(at, (byte) v);
        case 2 -> buf.putShort(at, (short) v);
        default -> buf.putInt(at, (int) v);
      }
    }

    /** Where MP3 frames seem to start, after any ID3v2 tag. */
    private static List<Integer> mp3Syncs(byte[] b) {
      int from = 0;
      if (b.length > 10 && b[0] == 'I' && b[1] == 'D' && b[2] == '3') {
        from = 10 + ((b[6] & 0x7f) << 21 | (b[7] & 0x7f) << 14 | (b[8] & 0x7f) << 7 | b[9] & 0x7f);
      }
      List<Integer> syncs = new ArrayList<>();
      for (int i = from; i + 4 <= b.length && syncs.size() < 64; i++) {
        if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xe0) == 0xe0) syncs.add(i);
      }
      return syncs;
    }
  }

  static int indexOf(byte[] haystack, String ascii) {
    byte[] needle = ascii.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) continue outer;
      }
      return i;
    }
    return -1;
  }

  /** How the audio is put in the request: raw under some content type, or in a multipart form. */
  record Framing(Kind kind, String rawType, boolean titled, String field, int cut) {
    enum Kind {
      RAW,
      MULTIPART,
      MULTIPART_CUT_SHORT,
      MULTIPART_UNCLOSED,
      MULTIPART_OTHER_BOUNDARY
    }

    static final String BOUNDARY = "----xiaolaba-fuzz-7f3a";

    String target() {
      return "/api/v1/clips" + (titled ? "?title=fuzz-" + serial.incrementAndGet() : "");
    }

    String contentType() {
      return switch (kind) {
        case RAW -> NONE.equals(rawType) ? null : rawType;
        case MULTIPART_OTHER_BOUNDARY -> "multipart/form-data; boundary=something-else";
        default -> "multipart/form-data; boundary=" + BOUNDARY;
      };
    }

    byte[] wrap(byte[] audio) {
      if (kind == Kind.RAW) return audio;
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      String head =
          "--"
              + BOUNDARY
              + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n多媒体 fuzz\r\n"
              + "--"
              + BOUNDARY
              + "\r\nContent-Disposition: form-data; name=\""
              + field
              + "\"; filename=\"clip.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n";
      b.writeBytes(head.getBytes(StandardCharsets.UTF_8));
      b.writeBytes(audio);
      if (kind != Kind.MULTIPART_UNCLOSED) {
        b.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
      }
      byte[] all = b.toByteArray();
      return kind == Kind.MULTIPART_CUT_SHORT
          ? Arrays.copyOf(all, (int) ((long) all.length * cut / 1000))
          : all;
    }
  }

  /** Who uploads: the editor, or a caller answered 401 (whose body is then read and dropped). */
  enum Caller {
    EDITOR,
    UNKNOWN_TOKEN,
    NO_TOKEN;

    String token() {
      return switch (this) {
        case EDITOR -> editor;
        case UNKNOWN_TOKEN -> "not-a-token-0123456789";
        case NO_TOKEN -> null;
      };
    }
  }

  /** Abuse of the transfer; each knows what it must be answered. */
  enum TransferKind {
    /** Content-Length promises more than is sent; the client then goes away. */
    DECLARED_LONGER_THEN_GONE,
    /** Content-Length promises less than is sent: the rest reads as a (bad) next request. */
    DECLARED_SHORTER,
    /** A chunked body that stops partway (possibly mid-chunk); the client then goes away. */
    CHUNKED_CUT_OFF,
    /** A chunked body with a chunk-size line that is not one. */
    CHUNKED_MALFORMED,
    /** A whole chunked body in chunks of some size. */
    CHUNKED_WHOLE,
    /** Neither Content-Length nor chunked: a request has no body then, and the bytes follow. */
    NO_LENGTH,
    /** A Content-Length over the limit: 413 before the body is read. */
    DECLARED_OVER_LIMIT,
    /** A chunked body that grows past the limit: 413 once it does. */
    CHUNKED_OVER_LIMIT;

    void check(Transfer t, List<FuzzSupport.Response> answers) {
      List<Integer> statuses = answers.stream().map(FuzzSupport.Response::status).toList();
      String what = t + " -> " + statuses;
      switch (this) {
        case DECLARED_LONGER_THEN_GONE, CHUNKED_CUT_OFF ->
            assertThat(statuses).as(what).doesNotContain(202);
        case CHUNKED_MALFORMED -> {
          assertThat(statuses).as(what).doesNotContain(202).isNotEmpty();
          if (t.caller() == Caller.EDITOR) assertThat(statuses).as(what).containsOnly(400);
        }
        case DECLARED_OVER_LIMIT, CHUNKED_OVER_LIMIT -> {
          if (t.caller() == Caller.EDITOR) assertThat(statuses).as(what).containsExactly(413);
          else assertThat(statuses).as(what).isNotEmpty().doesNotContain(202);
        }
        case DECLARED_SHORTER, CHUNKED_WHOLE, NO_LENGTH ->
            assertThat(statuses).as(what).isNotEmpty();
      }
    }
  }

  /**
   * One abused transfer of a recording: {@code cut} (per mille) is where it stops or what it
   * declares, {@code extra} how far past the limit it goes, {@code chunk} the chunk size; {@code
   * badChunk} the chunk-size line of a malformed body.
   */
  record Transfer(
      TransferKind kind,
      Caller caller,
      Base base,
      int cut,
      int extra,
      int chunk,
      String badChunk,
      String contentType) {

    /** Sends it and reads whatever answers come until the server closes or the client leaves. */
    List<FuzzSupport.Response> run() {
      byte[] audio = fixtures.get(base);
      int part = (int) ((long) audio.length * cut / 1000);
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      StringBuilder head = new StringBuilder();
      head.append("POST /api/v1/clips?title=transfer-")
          .append(serial.incrementAndGet())
          .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      if (caller.token() != null) {
        head.append("Authorization: Bearer ").append(caller.token()).append("\r\n");
      }
      if (!NONE.equals(contentType)) {
        head.append("Content-Type: ").append(contentType).append("\r\n");
      }
      boolean leave = false;
      switch (kind) {
        case DECLARED_LONGER_THEN_GONE -> {
          head.append("Content-Length: ").append(part + 1 + extra).append("\r\n");
          body.writeBytes(Arrays.copyOf(audio, part));
          leave = true;
        }
        case DECLARED_SHORTER -> {
          head.append("Content-Length: ").append(Math.min(part, audio.length - 1)).append("\r\n");
          body.writeBytes(audio);
        }
        case CHUNKED_CUT_OFF -> {
          head.append("Transfer-Encoding: chunked\r\n");
          byte[] chunked = chunked(audio, chunk, true);
          body.write(chunked, 0, (int) ((long) (chunked.length - 5) * cut / 1000));
          leave = true;
        }
        case CHUNKED_MALFORMED -> {
          head.append("Transfer-Encoding: chunked\r\n");
          byte[] good = chunked(Arrays.copyOf(audio, part), chunk, false);
          body.writeBytes(good);
          body.writeBytes((badChunk + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          body.writeBytes(Arrays.copyOfRange(audio, part, audio.length));
        }
        case CHUNKED_WHOLE -> {
          head.append("Transfer-Encoding: chunked\r\n");
          body.writeBytes(chunked(audio, chunk, true));
        }
        case NO_LENGTH -> body.writeBytes(audio);
        case DECLARED_OVER_LIMIT -> {
          head.append("Content-Length: ").append(MAX_UPLOAD + 1 + extra).append("\r\n");
          body.writeBytes(Arrays.copyOf(audio, part));
        }
        case CHUNKED_OVER_LIMIT -> {
          head.append("Transfer-Encoding: chunked\r\n");
          byte[] big = new byte[MAX_UPLOAD + 1 + extra];
          for (int i = 0; i < big.length; i += audio.length) {
            System.arraycopy(audio, 0, big, i, Math.min(audio.length, big.length - i));
          }
          body.writeBytes(chunked(big, chunk, true));
        }
      }
      head.append("\r\n");
      return exchange(head.toString().getBytes(StandardCharsets.UTF_8), body.toByteArray(), leave);
    }

    /**
     * Writes the head and body, and then either leaves at once (half the time closing, half the
     * time only shutting its side and reading until the server closes), or reads the first answer
     * before shutting its side and reading every other answer until the server closes. (The server
     * takes a client's shutdown for a close, as most do, and drops the answers it had not sent.) A
     * write the server cut off by closing is not an error: what it answered is read all the same.
     */
    private List<FuzzSupport.Response> exchange(byte[] head, byte[] body, boolean leave) {
      List<FuzzSupport.Response> answers = new ArrayList<>();
      try (Socket s = new Socket("127.0.0.1", server.port())) {
        s.setSoTimeout(15_000);
        OutputStream out = s.getOutputStream();
        out.write(head);
        try {
          for (int i = 0; i < body.length; i += 64 * 1024) {
            out.write(body, i, Math.min(64 * 1024, body.length - i));
          }
          out.flush();
        } catch (IOException closedByServer) {
          // answered (413, say) and closed before the body was all sent
        }
        if (leave && cut % 2 == 0) return answers;
        InputStream in = new BufferedInputStream(s.getInputStream());
        try {
          FuzzSupport.Response first = leave ? null : FuzzSupport.read(toString(), in);
          if (first != null) answers.add(first);
          s.shutdownOutput();
          for (FuzzSupport.Response r; (r = FuzzSupport.read(toString(), in)) != null; ) {
            answers.add(r);
          }
        } catch (java.net.SocketException reset) {
          // the server reset the connection after its last answer (unread bytes were left)
        }
        return answers;
      } catch (IOException e) {
        throw new UncheckedIOException(toString(), e);
      }
    }

    /** The body in chunks of {@code size}, ended by the last chunk when {@code end}. */
    static byte[] chunked(byte[] data, int size, boolean end) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int i = 0; i < data.length; i += size) {
        int n = Math.min(size, data.length - i);
        out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(data, i, n);
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      if (end) out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      return out.toByteArray();
    }
  }

  // ---- generators ----

  @Provide
  Arbitrary<Sample> samples() {
    Arbitrary<Base> base =
        Arbitraries.frequencyOf(
            Tuple.of(4, Arbitraries.of(Base.WAV, Base.STEREO_WAV)),
            Tuple.of(3, Arbitraries.just(Base.MP3)),
            Tuple.of(1, Arbitraries.just(Base.FLAC)),
            Tuple.of(2, Arbitraries.just(Base.MAGIC_NOISE)),
            Tuple.of(1, Arbitraries.just(Base.EMPTY)));
    return Combinators.combine(
            base,
            Arbitraries.integers().between(0, MAGICS.size() - 1),
            Arbitraries.integers(),
            Arbitraries.integers().between(0, 32 * 1024),
            mutation().list().ofMaxSize(3))
        .as(Sample::new);
  }

  /** Values for header fields: the edges of bytes, shorts and ints, and real sample rates. */
  static final Long[] EXTREMES =
      Arrays.stream(
              ("0 1 2 3 7 8 127 128 255 256 32767 32768 65535 4000 8000 44100 96000 192000"
                      + " 2147483647 2147483648 4294967295")
                  .split(" "))
          .map(Long::valueOf)
          .toArray(Long[]::new);

  private static Arbitrary<Mutation> mutation() {
    Arbitrary<Long> extreme =
        Arbitraries.oneOf(Arbitraries.of(EXTREMES), Arbitraries.longs().between(0, 0xffff_ffffL));
    return Combinators.combine(
            Arbitraries.of(Mutation.Kind.class),
            Arbitraries.integers().between(0, 100_000),
            extreme,
            Arbitraries.integers().between(0, 100_000))
        .as(Mutation::new);
  }

  @Provide
  Arbitrary<Framing> framings() {
    Arbitrary<String> rawType =
        Arbitraries.of(
            NONE,
            "application/octet-stream",
            "audio/mpeg",
            "audio/wav",
            "application/json",
            "text/plain; charset=utf-8",
            "image/png",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=x; charset=no-such-charset",
            "multipart/form-data; boundary=\"unterminated",
            "multipart/mixed; boundary=zz",
            "multipart/form-data; boundary=" + "b".repeat(300),
            "");
    Arbitrary<Framing.Kind> kind =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.just(Framing.Kind.RAW)),
            Tuple.of(2, Arbitraries.just(Framing.Kind.MULTIPART)),
            Tuple.of(1, Arbitraries.of(Framing.Kind.class)));
    return Combinators.combine(
            kind,
            rawType,
            Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.just(true)), Tuple.of(1, Arbitraries.just(false))),
            Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.just("file")), Tuple.of(1, Arbitraries.of("audio", ""))),
            Arbitraries.integers().between(0, 999))
        .as(Framing::new);
  }

  @Provide
  Arbitrary<Transfer> transfers() {
    Arbitrary<Caller> caller =
        Arbitraries.frequencyOf(
            Tuple.of(5, Arbitraries.just(Caller.EDITOR)),
            Tuple.of(1, Arbitraries.of(Caller.UNKNOWN_TOKEN, Caller.NO_TOKEN)));
    Arbitrary<String> badChunk =
        Arbitraries.of(
            "zz",
            "-1",
            "0x10",
            "fffffffffffffffff",
            "1" + "0".repeat(20),
            " ",
            "1;" + "x".repeat(9000));
    Arbitrary<String> contentType =
        Arbitraries.of(
            NONE, "application/octet-stream", "audio/wav", "multipart/form-data; boundary=x");
    return Combinators.combine(
            Arbitraries.of(TransferKind.class),
            caller,
            Arbitraries.of(Base.WAV, Base.STEREO_WAV, Base.MP3, Base.FLAC),
            Arbitraries.integers().between(0, 999),
            Arbitraries.integers().between(0, 2 * MAX_UPLOAD),
            Arbitraries.integers().between(1, 40_000),
            badChunk,
            contentType)
        .as(Transfer::new);
  }
}
