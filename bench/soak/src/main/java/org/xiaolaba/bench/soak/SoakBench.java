package org.xiaolaba.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Issue 7's soak: one server node under steady mixed load for a number of minutes, sampled every 30
 * s, with a Markdown report and a verdict at the end. See bench/soak/run.sh and docs/BENCHMARKS.md.
 */
public final class SoakBench {
  static final String ADMIN_TOKEN = "bench-soak-admin-5e8b1d4f7a0c3e6b9d2f5a8c";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern HEAP = Pattern.compile("heap\\s+total (\\d+)K, used (\\d+)K");
  private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");

  /** Timer for delayed work (reconnects); never blocks. */
  static final ScheduledExecutorService TIMER =
      Executors.newScheduledThreadPool(
          1,
          r -> {
            Thread t = new Thread(r, "soak-timer");
            t.setDaemon(true);
            return t;
          });

  static void after(long delay, TimeUnit unit, Runnable task) {
    TIMER.schedule(task, delay, unit);
  }

  // Options
  private int minutes = 30;
  private int connections = 500;
  private double pushRate = 2;
  private Path jar = Path.of("server/target/xiaolaba-server.jar");
  private String nodeJavaOpts = "-Xmx1g";
  private Path report = Path.of("bench/soak/target/run/report.md");
  private final Path work = Path.of("bench/soak/target/run").toAbsolutePath();

  private final Counters counters = new Counters();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final ScheduledExecutorService load =
      Executors.newScheduledThreadPool(
          4,
          r -> {
            Thread t = new Thread(r, "soak-load");
            t.setDaemon(true);
            return t;
          });
  private Process node;
  private int port;
  private String county;
  private final Map<String, List<String>> villagesByTown = new LinkedHashMap<>();
  private final List<String> villages = new ArrayList<>();
  private final List<Resident> residents = new ArrayList<>();
  private final ConcurrentLinkedQueue<Push> pushes = new ConcurrentLinkedQueue<>();
  private final Deque<String> programs = new ArrayDeque<>();
  private final Deque<String> readyClips = new ArrayDeque<>();
  private final AtomicInteger seq = new AtomicInteger();
  private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
  private long startNanos;
  private String loadBefore;

  /** A push sent: when its POST started, and the villages it covers. */
  record Push(String id, String area, long sentNanos, Set<String> villages) {}

  /** One sample of the node. */
  record Sample(
      double minutes,
      long heapUsedKib,
      long heapTotalKib,
      long rssKib,
      long fds,
      long threads,
      long wsConnections,
      long redisRssKib,
      long dataDirKib,
      String load1) {}

  public static void main(String[] args) throws Exception {
    SoakBench b = new SoakBench();
    b.parse(args);
    int rc = b.run();
    System.exit(rc);
  }

  private void parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--minutes" -> minutes = Integer.parseInt(args[++i]);
        case "--connections" -> connections = Integer.parseInt(args[++i]);
        case "--push-rate" -> pushRate = Double.parseDouble(args[++i]);
        case "--jar" -> jar = Path.of(args[++i]);
        case "--node-java-opts" -> nodeJavaOpts = args[++i];
        case "--report" -> report = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + a + " (value " + v + ")");
      }
    }
  }

  private int run() throws Exception {
    Runtime.getRuntime().addShutdownHook(new Thread(this::stopNode, "soak-stop"));
    loadBefore = loadAverage();
    startNode();
    readAreas();
    progress(
        "node up on port " + port + ", pid " + node.pid() + "; " + villages.size() + " villages");
    startNanos = System.nanoTime();
    sample();
    openResidents();
    long periodMs = Math.round(1000 / pushRate);
    load.scheduleAtFixedRate(guard(this::push), 500, periodMs, TimeUnit.MILLISECONDS);
    load.scheduleAtFixedRate(guard(this::upload), 1, 15, TimeUnit.SECONDS);
    load.scheduleAtFixedRate(guard(this::program), 20, 20, TimeUnit.SECONDS);
    load.scheduleAtFixedRate(guard(this::churn), 10, 10, TimeUnit.SECONDS);
    load.scheduleAtFixedRate(guard(this::pingAll), 25, 25, TimeUnit.SECONDS);
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(
        guard(
            () -> {
              checkLosses(TimeUnit.SECONDS.toNanos(20));
              sample();
            }),
        30,
        30,
        TimeUnit.SECONDS);
    CountDownLatch done = new CountDownLatch(1);
    CompletableFuture.delayedExecutor(minutes, TimeUnit.MINUTES).execute(done::countDown);
    done.await();
    progress("time is up: stopping the load, then a last check");
    load.shutdownNow();
    load.awaitTermination(60, TimeUnit.SECONDS);
    sampler.shutdown();
    sampler.awaitTermination(120, TimeUnit.SECONDS);
    // Let the last pushes arrive, then check every one sent.
    awaitQuietly(15);
    checkLosses(0);
    sample();
    String md = report();
    Files.createDirectories(report.toAbsolutePath().getParent());
    Files.writeString(report, md);
    System.out.println(md);
    residents.forEach(Resident::close);
    awaitQuietly(2);
    stopNode();
    return 0;
  }

  private static void awaitQuietly(int seconds) throws InterruptedException {
    CountDownLatch l = new CountDownLatch(1);
    CompletableFuture.delayedExecutor(seconds, TimeUnit.SECONDS).execute(l::countDown);
    l.await();
  }

  private Runnable guard(Runnable r) {
    return () -> {
      try {
        r.run();
      } catch (RuntimeException e) {
        // Tasks cut short by the end of the run are not errors.
        if (load.isShutdown()) return;
        counters.requestFailures.incrementAndGet();
        counters.note("task failed: " + e);
      }
    };
  }

  // ---------------------------------------------------------------- node

  private void startNode() throws IOException, InterruptedException {
    Path dir = work.resolve("node");
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(dir);
    port = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String o : nodeJavaOpts.trim().split("\\s+")) if (!o.isEmpty()) cmd.add(o);
    cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
    Path log = work.resolve("node.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().put("XIAOLABA_PORT", Integer.toString(port));
    pb.environment().put("XIAOLABA_DATA_DIR", dir.resolve("data").toString());
    pb.environment().put("XIAOLABA_ADMIN_TOKEN", ADMIN_TOKEN);
    pb.environment().remove("XIAOLABA_REDIS_URL");
    node = pb.start();
    boolean ready =
        until(
            () -> {
              if (!node.isAlive()) throw new IllegalStateException("node exited; see " + log);
              try {
                return send(get("/readyz"), "GET /readyz", false).statusCode() == 200;
              } catch (RuntimeException e) {
                return false;
              }
            },
            180);
    if (!ready) throw new IllegalStateException("node not ready after 180 s; see " + log);
  }

  private void stopNode() {
    Process p = node;
    if (p == null || !p.isAlive()) return;
    List<ProcessHandle> children = p.descendants().toList();
    p.destroy();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    // The embedded redis-server normally goes with the node; make sure of it.
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroy);
  }

  private boolean until(BooleanSupplier ok, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (ok.getAsBoolean()) return true;
      CountDownLatch l = new CountDownLatch(1);
      CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(l::countDown);
      l.await();
    }
    return ok.getAsBoolean();
  }

  private void readAreas() {
    JsonNode root = json(send(get("/api/v1/areas"), "GET /api/v1/areas", true).body());
    county = root.path("code").asText();
    for (JsonNode town : root.path("children")) {
      List<String> vs = new ArrayList<>();
      town.path("children").forEach(v -> vs.add(v.path("code").asText()));
      villagesByTown.put(town.path("code").asText(), vs);
      villages.addAll(vs);
    }
  }

  private Set<String> covered(String area) {
    if (area.equals(county)) return Set.copyOf(villages);
    List<String> vs = villagesByTown.get(area);
    return vs != null ? Set.copyOf(vs) : Set.of(area);
  }

  // ---------------------------------------------------------------- HTTP

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + ADMIN_TOKEN);
  }

  private HttpRequest get(String path) {
    return request(path).GET().build();
  }

  private HttpRequest postJson(String path, String body) {
    return request(path)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  /**
   * Sends a request and, when {@code count}, counts its answer under {@code operation}: 2xx, 409 (a
   * program clash, a clip still played) and 429 are expected, anything else is an error.
   */
  private HttpResponse<String> send(HttpRequest r, String operation, boolean count) {
    try {
      HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
      if (count) {
        int s = res.statusCode();
        boolean ok = s / 100 == 2 || s == 409 || s == 429;
        counters.answer(operation, s, ok);
        if (!ok) counters.note(operation + " answered " + s + ": " + res.body());
      }
      return res;
    } catch (IOException e) {
      if (count) {
        counters.requestFailures.incrementAndGet();
        counters.note(operation + " failed: " + e);
      }
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode json(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- load

  private void openResidents() throws InterruptedException {
    List<HttpClient> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) clients.add(HttpClient.newHttpClient());
    URI uri = URI.create("ws://127.0.0.1:" + port + "/ws");
    for (int i = 0; i < connections; i++) {
      Resident r =
          new Resident(i, villages.get(i % villages.size()), clients.get(i % 4), uri, counters);
      residents.add(r);
      r.connect();
    }
    boolean all = until(() -> residents.stream().allMatch(r -> r.expectingSince != 0), 120);
    progress(
        (all ? "all " : "not all ")
            + connections
            + " residents subscribed to "
            + villages.size()
            + " villages");
  }

  private void push() {
    int n = seq.incrementAndGet();
    String area =
        switch (n % 3) {
          case 0 -> villages.get(ThreadLocalRandom.current().nextInt(villages.size()));
          case 1 ->
              new ArrayList<>(villagesByTown.keySet())
                  .get(ThreadLocalRandom.current().nextInt(villagesByTown.size()));
          default -> county;
        };
    String body =
        "{\"areas\":[\""
            + area
            + "\"],\"kind\":\"notice\",\"title\":\"浸泡测试 "
            + n
            + "\",\"body\":\"明天上午9点至11点停电检修，请提前做好准备。\"}";
    long sent = System.nanoTime();
    HttpResponse<String> r = send(postJson("/api/v1/pushes", body), "POST /api/v1/pushes", true);
    if (r.statusCode() == 202) {
      counters.pushesSent.incrementAndGet();
      pushes.add(new Push(json(r.body()).path("id").asText(), area, sent, covered(area)));
    }
  }

  private void upload() {
    int n = seq.incrementAndGet();
    byte[] wav = wav(2.0, 300 + ThreadLocalRandom.current().nextInt(600), n);
    HttpRequest r =
        request("/api/v1/clips?title=soak-" + n)
            .header("Content-Type", "audio/wav")
            .POST(HttpRequest.BodyPublishers.ofByteArray(wav))
            .build();
    HttpResponse<String> res = send(r, "POST /api/v1/clips", true);
    if (res.statusCode() != 202) return;
    counters.clipsUploaded.incrementAndGet();
    String id = json(res.body()).path("id").asText();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    pollClip(id, deadline);
    // Keep about ten ready clips: delete the oldest one a program does not still need.
    String oldest = null;
    synchronized (readyClips) {
      if (readyClips.size() > 10) oldest = readyClips.pollFirst();
    }
    if (oldest != null) {
      HttpResponse<String> d =
          send(
              request("/api/v1/clips/" + oldest).DELETE().build(),
              "DELETE /api/v1/clips/{id}",
              true);
      if (d.statusCode() == 204) {
        counters.clipsDeleted.incrementAndGet();
      } else {
        synchronized (readyClips) {
          readyClips.addLast(oldest);
        }
      }
    }
  }

  private void pollClip(String id, long deadline) {
    HttpResponse<String> res = send(get("/api/v1/clips/" + id), "GET /api/v1/clips/{id}", true);
    String status = json(res.body()).path("status").asText();
    if ("ready".equals(status)) {
      counters.clipsReady.incrementAndGet();
      synchronized (readyClips) {
        if (!readyClips.contains(id)) readyClips.addLast(id);
      }
    } else if ("failed".equals(status)) {
      counters.clipsFailed.incrementAndGet();
      counters.note("clip " + id + " failed: " + res.body());
    } else if (System.nanoTime() > deadline) {
      counters.clipsFailed.incrementAndGet();
      counters.note("clip " + id + " not ready after 120 s: " + res.body());
    } else {
      load.schedule(guard(() -> pollClip(id, deadline)), 1, TimeUnit.SECONDS);
    }
  }

  private void program() {
    String clip;
    synchronized (readyClips) {
      if (readyClips.isEmpty()) return;
      clip =
          new ArrayList<>(readyClips).get(ThreadLocalRandom.current().nextInt(readyClips.size()));
    }
    int n = seq.incrementAndGet();
    String village = villages.get(ThreadLocalRandom.current().nextInt(villages.size()));
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    String schedule =
        n % 2 == 0
            ? "{\"once\":\""
                + OffsetDateTime.now(ZoneOffset.UTC)
                    .plusSeconds(60 + rnd.nextInt(240))
                    .truncatedTo(ChronoUnit.SECONDS)
                + "\"}"
            : "{\"cron\":\"" + rnd.nextInt(60) + " " + rnd.nextInt(3) + "/3 * * * ?\"}";
    String body =
        "{\"title\":\"soak "
            + n
            + "\",\"clipId\":\""
            + clip
            + "\",\"areas\":[\""
            + village
            + "\"],\"schedule\":"
            + schedule
            + "}";
    HttpResponse<String> r =
        send(postJson("/api/v1/programs", body), "POST /api/v1/programs", true);
    if (r.statusCode() == 201) {
      counters.programsCreated.incrementAndGet();
      programs.addLast(json(r.body()).path("id").asText());
    }
    while (programs.size() > 30) {
      String old = programs.pollFirst();
      HttpResponse<String> d =
          send(
              request("/api/v1/programs/" + old).DELETE().build(),
              "DELETE /api/v1/programs/{id}",
              true);
      if (d.statusCode() == 204) counters.programsDeleted.incrementAndGet();
    }
  }

  private void churn() {
    List<Resident> open = residents.stream().filter(Resident::isOpen).toList();
    List<Resident> pick = new ArrayList<>(open);
    Collections.shuffle(pick);
    int k = Math.min(pick.size(), Math.max(1, connections / 10));
    for (Resident r : pick.subList(0, k)) {
      r.close();
      counters.churned.incrementAndGet();
      after(1000 + ThreadLocalRandom.current().nextInt(4000), TimeUnit.MILLISECONDS, r::connect);
    }
  }

  private void pingAll() {
    residents.forEach(Resident::ping);
  }

  /**
   * Checks off every push sent at least {@code graceNanos} ago: each resident subscribed before it
   * was sent and living in a village it covers must have received it.
   */
  private synchronized void checkLosses(long graceNanos) {
    long limit = System.nanoTime() - graceNanos;
    for (Push p; (p = pushes.peek()) != null && p.sentNanos() <= limit; ) {
      pushes.poll();
      counters.pushesChecked.incrementAndGet();
      for (Resident r : residents) {
        if (!p.villages().contains(r.village)) continue;
        boolean got = r.received.remove(p.id());
        long since = r.expectingSince;
        if (!got && since != 0 && since < p.sentNanos()) {
          if (counters.lost.incrementAndGet() <= 20) {
            counters.note("push " + p.id() + " to " + p.area() + " lost by resident " + r.index);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- sampling

  private void sample() {
    long pid = node.pid();
    jcmd(pid, "GC.run");
    Matcher m = HEAP.matcher(jcmd(pid, "GC.heap_info"));
    long used = -1;
    long total = -1;
    if (m.find()) {
      total = Long.parseLong(m.group(1));
      used = Long.parseLong(m.group(2));
    }
    long redisRss =
        node.descendants()
            .filter(h -> h.info().command().orElse("").contains("redis"))
            .mapToLong(h -> status(h.pid(), "VmRSS:"))
            .sum();
    Sample s =
        new Sample(
            (System.nanoTime() - startNanos) / 60e9,
            used,
            total,
            status(pid, "VmRSS:"),
            openFiles(pid),
            status(pid, "Threads:"),
            wsConnections(),
            redisRss,
            dirKib(work.resolve("node/data")),
            loadAverage().split(" ")[0]);
    samples.add(s);
    progress(
        String.format(
            "t=%.1f min heap %,d KiB rss %,d KiB fds %d threads %d ws %d | pushes %d lost %d"
                + " errors %d",
            s.minutes(),
            s.heapUsedKib(),
            s.rssKib(),
            s.fds(),
            s.threads(),
            s.wsConnections(),
            counters.pushesSent.get(),
            counters.lost.get(),
            counters.errors()));
  }

  private long wsConnections() {
    try {
      String metrics = send(get("/metrics"), "GET /metrics", false).body();
      for (String line : metrics.split("\n")) {
        if (line.startsWith("xiaolaba_websocket_connections")) {
          return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    } catch (RuntimeException e) {
      counters.note("GET /metrics failed: " + e);
    }
    return -1;
  }

  private static long status(long pid, String field) {
    try {
      for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
        if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D", ""));
      }
    } catch (UncheckedIOException e) {
      return -1;
    }
    return -1;
  }

  private static long openFiles(long pid) {
    try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return s.count();
    } catch (IOException e) {
      return -1;
    }
  }

  private static long dirKib(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
              .mapToLong(
                  p -> {
                    try {
                      return Files.size(p);
                    } catch (IOException e) {
                      return 0;
                    }
                  })
              .sum()
          / 1024;
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  static String jcmd(long pid, String command) {
    try {
      Process p =
          new ProcessBuilder(JCMD.toString(), Long.toString(pid), command)
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
      return out;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  static String read(Path p) {
    try (var in = Files.newInputStream(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String loadAverage() {
    String[] f = read(Path.of("/proc/loadavg")).trim().split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A mono 16-bit 16 kHz WAV: a tone at {@code hz} with a short fade in and out. The bits of {@code
   * unique} go into the lowest bit of the first 32 samples: the server de-duplicates uploads by
   * SHA-256 (an identical file gets the existing clip's id), so every upload must differ.
   */
  static byte[] wav(double seconds, int hz, int unique) {
    int rate = 16_000;
    int n = (int) (seconds * rate);
    ByteBuffer b = ByteBuffer.allocate(44 + n * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + n * 2);
    b.put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1);
    b.putShort((short) 1).putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16);
    b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(n * 2);
    for (int i = 0; i < n; i++) {
      double fade = Math.min(1.0, Math.min(i, n - i) / (rate * 0.05));
      int v = (int) (Math.sin(2 * Math.PI * hz * i / rate) * 9000 * fade);
      if (i < 32) v = (v & ~1) | ((unique >>> i) & 1);
      b.putShort((short) v);
    }
    return b.array();
  }

  private static void progress(String s) {
    System.err.println(Instant.now().truncatedTo(ChronoUnit.SECONDS) + " " + s);
  }

  // ---------------------------------------------------------------- report

  /** Least-squares slope of y over minutes, for samples at or after {@code fromMinute}. */
  private static double slope(
      List<Sample> ss, double fromMinute, java.util.function.ToLongFunction<Sample> y) {
    List<Sample> w =
        ss.stream().filter(s -> s.minutes() >= fromMinute && y.applyAsLong(s) >= 0).toList();
    if (w.size() < 3) return Double.NaN;
    double mx = w.stream().mapToDouble(Sample::minutes).average().orElse(0);
    double my = w.stream().mapToDouble(y::applyAsLong).average().orElse(0);
    double num = 0;
    double den = 0;
    for (Sample s : w) {
      num += (s.minutes() - mx) * (y.applyAsLong(s) - my);
      den += (s.minutes() - mx) * (s.minutes() - mx);
    }
    return den == 0 ? Double.NaN : num / den;
  }

  private String report() {
    List<Sample> ss = List.copyOf(samples);
    double end = ss.get(ss.size() - 1).minutes();
    double from = Math.max(0, end - 10);
    StringBuilder sb = new StringBuilder();
    sb.append("# Soak: ").append(minutes).append(" minutes on one node\n\n");
    sb.append(
        String.format(
            "%s, jar `%s`, node `%s`, %d residents (10%% closed and reopened with `since` every"
                + " 10 s), pushes %.1f/s (village, town, county in turn), a program every 20 s"
                + " (once or every-3-minutes cron, at most 30 kept), a 2 s WAV uploaded every 15 s"
                + " (at most 10 ready clips kept). %d cores, load average before %s, at the end %s.%n%n",
            Instant.now().truncatedTo(ChronoUnit.SECONDS),
            jar,
            nodeJavaOpts,
            connections,
            pushRate,
            Runtime.getRuntime().availableProcessors(),
            loadBefore,
            loadAverage()));
    sb.append("## Activity\n\n| what | count |\n|---|---|\n");
    row(sb, "pushes accepted (202)", counters.pushesSent.get());
    row(sb, "pushes checked against every resident they cover", counters.pushesChecked.get());
    row(sb, "push frames received by residents", counters.pushesReceived.get());
    row(sb, "resident closes and reopens (churn)", counters.churned.get());
    row(sb, "`subscribed` received", counters.subscribes.get());
    row(
        sb,
        "programs created / deleted",
        counters.programsCreated.get() + " / " + counters.programsDeleted.get());
    row(
        sb,
        "clips uploaded / ready / deleted",
        counters.clipsUploaded.get()
            + " / "
            + counters.clipsReady.get()
            + " / "
            + counters.clipsDeleted.get());
    sb.append("\n## Answers\n\n| request | status | count |\n|---|---|---|\n");
    counters
        .answers()
        .forEach(
            (k, v) -> {
              int sp = k.lastIndexOf(' ');
              sb.append("| ")
                  .append(k, 0, sp)
                  .append(" | ")
                  .append(k.substring(sp + 1))
                  .append(" | ")
                  .append(v)
                  .append(" |\n");
            });
    sb.append("\n## Errors\n\n| error | count |\n|---|---|\n");
    row(sb, "**lost pushes** (resident-push pairs)", counters.lost.get());
    row(sb, "duplicated or out-of-order pushes", counters.duplicates.get());
    row(sb, "reconnects not `recovered`", counters.notRecovered.get());
    row(sb, "closes by the server", counters.serverCloses.get());
    row(sb, "socket errors", counters.socketErrors.get());
    row(sb, "`error` frames", counters.serverErrors.get());
    row(sb, "WebSocket connect failures", counters.connectFailures.get());
    row(sb, "clips failed or not ready in 120 s", counters.clipsFailed.get());
    row(sb, "unexpected HTTP answers (not 2xx, 409, 429)", counters.unexpectedAnswers.get());
    row(sb, "requests failed (I/O, timeouts)", counters.requestFailures.get());
    if (!counters.notes().isEmpty()) {
      sb.append("\nFirst errors:\n\n```\n");
      counters.notes().forEach(n -> sb.append(n).append('\n'));
      sb.append("```\n");
    }
    sb.append("\n## Samples (every 30 s; heap after a full GC)\n\n");
    sb.append(
        "| min | heap used MiB | heap committed MiB | RSS MiB | fds | threads | WebSockets | fds − WebSockets | redis RSS MiB | data dir MiB | load |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Sample s : ss) {
      sb.append(
          String.format(
              "| %.1f | %.1f | %.0f | %.0f | %d | %d | %d | %d | %.1f | %.1f | %s |%n",
              s.minutes(),
              s.heapUsedKib() / 1024.0,
              s.heapTotalKib() / 1024.0,
              s.rssKib() / 1024.0,
              s.fds(),
              s.threads(),
              s.wsConnections(),
              s.fds() - s.wsConnections(),
              s.redisRssKib() / 1024.0,
              s.dataDirKib() / 1024.0,
              s.load1()));
    }
    sb.append(
        String.format(
            "%n## Summary (slope: least squares over the last 10 minutes, from minute %.1f)%n%n",
            from));
    sb.append(
        "| series | first | last | min | max | slope over last 10 min (per 10 min) |\n|---|---|---|---|---|---|\n");
    summary(sb, ss, from, "heap used after GC (KiB)", Sample::heapUsedKib);
    summary(sb, ss, from, "RSS (KiB)", Sample::rssKib);
    summary(sb, ss, from, "open fds", Sample::fds);
    summary(sb, ss, from, "fds − WebSockets", s -> s.fds() - s.wsConnections());
    summary(sb, ss, from, "threads", Sample::threads);
    summary(sb, ss, from, "WebSockets (server's gauge)", Sample::wsConnections);
    summary(sb, ss, from, "redis-server RSS (KiB)", Sample::redisRssKib);
    summary(sb, ss, from, "data dir (KiB)", Sample::dataDirKib);

    double heapSlope = slope(ss, from, Sample::heapUsedKib) * 10;
    double heapMean =
        ss.stream()
            .filter(s -> s.minutes() >= from)
            .mapToLong(Sample::heapUsedKib)
            .average()
            .orElse(0);
    double fdSlope = slope(ss, from, s -> s.fds() - s.wsConnections()) * 10;
    double threadSlope = slope(ss, from, Sample::threads) * 10;
    boolean heapFlat = heapSlope <= Math.max(2048, heapMean * 0.05);
    boolean fdsFlat = fdSlope <= 5;
    boolean threadsFlat = threadSlope <= 2;
    long errors = counters.errors();
    sb.append("\n## Verdict\n\n");
    sb.append(
        String.format(
            "- heap after GC: %s (%+.0f KiB per 10 min over the last 10 minutes; flat means at most"
                + " max(2 MiB, 5%% of its mean %.0f KiB))%n",
            heapFlat ? "**flat**" : "**GROWING**", heapSlope, heapMean));
    sb.append(
        String.format(
            "- file descriptors (less open WebSockets): %s (%+.1f per 10 min; flat means at most"
                + " +5)%n",
            fdsFlat ? "**flat**" : "**GROWING**", fdSlope));
    sb.append(
        String.format(
            "- threads: %s (%+.1f per 10 min; flat means at most +2)%n",
            threadsFlat ? "**flat**" : "**GROWING**", threadSlope));
    sb.append(String.format("- errors: %s%n", errors == 0 ? "**none**" : "**" + errors + "**"));
    boolean pass = heapFlat && fdsFlat && threadsFlat && errors == 0;
    sb.append(String.format("%n**%s**%n", pass ? "PASS" : "FAIL"));
    return sb.toString();
  }

  private static void row(StringBuilder sb, String what, Object count) {
    sb.append("| ").append(what).append(" | ").append(count).append(" |\n");
  }

  private static void summary(
      StringBuilder sb,
      List<Sample> ss,
      double from,
      String name,
      java.util.function.ToLongFunction<Sample> y) {
    long[] v = ss.stream().mapToLong(y).toArray();
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (long x : v) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    sb.append(
        String.format(
            "| %s | %,d | %,d | %,d | %,d | %+.1f |%n",
            name, v[0], v[v.length - 1], min, max, slope(ss, from, y) * 10));
  }
}
