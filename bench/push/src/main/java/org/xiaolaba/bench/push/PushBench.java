package org.xiaolaba.bench.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The push hub's load harness. The driver starts one Redis, several server nodes and several client
 * worker processes (each below the per-process open-files limit), then runs the scenarios and
 * prints a Markdown report. {@code worker} is the client process the driver starts itself.
 */
@Command(
    name = "push-bench",
    mixinStandardHelpOptions = true,
    subcommands = PushBench.WorkerCommand.class,
    description = "Load harness of the push hub: idle, broadcast, sustained, storm.")
public final class PushBench implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(15);

  @Option(names = "--connections", description = "resident connections in all (default 100000)")
  int connections = 100_000;

  @Option(
      names = "--per-process",
      description = "most connections per server node and per client process (default 17000)")
  int perProcess = 17_000;

  @Option(names = "--nodes", description = "server nodes (default: connections / per-process)")
  int nodes;

  @Option(names = "--workers", description = "client processes (default: as many as nodes)")
  int workers;

  @Option(
      names = "--client-threads",
      description =
          "event loop threads of each client process (default 1: the clients share the cores"
              + " with the nodes they measure, and more threads only take turns on them)")
  int clientThreads = 1;

  @Option(names = "--jar", description = "the server jar")
  Path jar = Path.of("server/target/xiaolaba-server.jar");

  @Option(names = "--work", description = "working directory (deleted first)")
  Path work = Path.of("bench/push/target/run");

  @Option(
      names = "--node-java-opts",
      description = "JVM options of each node (default -Xmx2g -XX:+UseParallelGC, as deploy/ has)")
  String nodeJavaOpts = "-Xmx2g -XX:+UseParallelGC";

  @Option(names = "--worker-java-opts", description = "JVM options of each client process")
  String workerJavaOpts = "-Xmx1g -XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled";

  @Option(names = "--fsync", description = "appendfsync of the bench's Redis (default always)")
  String fsync = "always";

  @Option(
      names = "--scenarios",
      split = ",",
      description = "any of idle, broadcast, sustained, storm (default all)")
  Set<String> scenarios = Set.of("idle", "broadcast", "sustained", "storm");

  @Option(names = "--broadcasts", description = "measured pushes per target (default 5)")
  int broadcasts = 5;

  @Option(
      names = "--warmups",
      description =
          "broadcast: county pushes before (default 20: fresh JVMs are still compiling after 10)")
  int warmups = 20;

  @Option(names = "--rate", description = "sustained: pushes a second to the county (default 2)")
  double rate = 2;

  @Option(names = "--duration", description = "sustained: seconds (default 20)")
  int duration = 20;

  @Option(names = "--storm", description = "storm: residents that drop (default 20000)")
  int storm = 20_000;

  @Option(names = "--away", description = "storm: seconds they are away (default 10)")
  int away = 10;

  @Option(names = "--storm-rate", description = "storm: pushes a second meanwhile (default 2)")
  double stormRate = 2;

  @Option(names = "--smoke", description = "1,000 connections, short scenarios (under a minute)")
  boolean smoke;

  @Option(names = "--report", description = "also write the report to this file")
  Path reportFile;

  private final StringBuilder report = new StringBuilder();
  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicInteger pushSeq = new AtomicInteger();
  private Cluster cluster;
  private List<WorkerProcess> clients = new ArrayList<>();
  private Areas areas;
  private int[] perWorker;

  /** Every stats() call drains the workers' latency recorders into this; reset per scenario. */
  private Histogram sentAtLatency = new Histogram(3);

  public static void main(String[] args) {
    System.exit(new CommandLine(new PushBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (smoke) {
      connections = 1000;
      broadcasts = 3;
      duration = 5;
      storm = 500;
      away = 3;
    }
    if (nodes <= 0) nodes = Math.max(1, (connections + perProcess - 1) / perProcess);
    if (workers <= 0) workers = nodes;
    // Nodes run in their own directories: every path handed to them must be absolute.
    work = work.toAbsolutePath();
    deleteTree(work);
    Files.createDirectories(work);
    Instant began = Instant.now();
    line("# Push hub load harness");
    line("");
    machine();
    try (Cluster c = new Cluster(work)) {
      cluster = c;
      progress("starting redis-server and " + nodes + " server nodes");
      c.startRedis(fsync);
      c.startNodes(jar, nodes, List.of(nodeJavaOpts.trim().split("\\s+")));
      areas = Areas.read(http, c.nodes().get(0).port());
      long[][] baseline = heapBaseline();
      try {
        startWorkers();
        connect();
        if (scenarios.contains("idle")) idle(baseline);
        if (scenarios.contains("broadcast")) broadcast();
        if (scenarios.contains("sustained")) sustained();
        if (scenarios.contains("storm")) storm();
        serverLogs();
      } finally {
        for (WorkerProcess w : clients) w.close();
      }
    }
    line("");
    line(
        "Finished in "
            + Duration.between(began, Instant.now()).toSeconds()
            + " s; load average after: "
            + ProcStats.read(Path.of("/proc/loadavg")).trim()
            + ".");
    System.out.print(report);
    if (reportFile != null) Files.writeString(reportFile, report);
    Files.writeString(work.resolve("report.md"), report);
    return 0;
  }

  // ---- set-up ----

  private void machine() {
    String cpu =
        ProcStats.read(Path.of("/proc/cpuinfo"))
            .lines()
            .filter(l -> l.startsWith("model name"))
            .findFirst()
            .map(l -> l.substring(l.indexOf(':') + 2))
            .orElse("?");
    String limits =
        ProcStats.read(Path.of("/proc/self/limits"))
            .lines()
            .filter(l -> l.startsWith("Max open files"))
            .findFirst()
            .orElse("?")
            .replaceAll("\\s+", " ");
    line(
        "Started "
            + Instant.now().truncatedTo(ChronoUnit.SECONDS)
            + ": "
            + connections
            + " connections over "
            + nodes
            + " server nodes and "
            + workers
            + " client processes; Redis appendfsync "
            + fsync
            + "; node JVM `"
            + nodeJavaOpts
            + "`.");
    line("");
    line(
        "Machine: "
            + Runtime.getRuntime().availableProcessors()
            + " cores ("
            + cpu
            + "), "
            + ProcStats.read(Path.of("/proc/meminfo")).lines().findFirst().orElse("?")
            + ", Java "
            + System.getProperty("java.version")
            + ". "
            + limits
            + ". ip_local_port_range "
            + sysctl("net/ipv4/ip_local_port_range")
            + ", somaxconn "
            + sysctl("net/core/somaxconn")
            + ", load average before: "
            + ProcStats.read(Path.of("/proc/loadavg")).trim()
            + ".");
  }

  private static String sysctl(String key) {
    return ProcStats.read(Path.of("/proc/sys", key)).trim().replaceAll("\\s+", "-");
  }

  /** Per node: heap after a full GC and RSS, both KiB, before any resident connects. */
  private long[][] heapBaseline() {
    progress("baseline heap of each node after a full GC");
    long[][] base = new long[nodes][2];
    for (Cluster.Node n : cluster.nodes()) {
      base[n.index()][0] = ProcStats.heapUsedAfterGcKib(n.pid());
      base[n.index()][1] = ProcStats.rssKib(n.pid());
    }
    return base;
  }

  private void startWorkers() throws IOException {
    perWorker = new int[workers];
    for (int w = 0; w < workers; w++) {
      perWorker[w] = connections / workers + (w < connections % workers ? 1 : 0);
      clients.add(
          WorkerProcess.start(
              w,
              work.resolve("worker" + w + ".log"),
              List.of(workerJavaOpts.trim().split("\\s+")),
              clientThreads));
    }
  }

  private void connect() {
    progress("connecting " + connections + " residents");
    long start = System.nanoTime();
    List<JsonNode> replies =
        WorkerProcess.all(
            clients,
            w -> {
              ObjectNode cmd = WorkerProcess.command("connect");
              cluster.nodes().forEach(n -> cmd.withArray("ports").add(n.port()));
              areas.villageChannels().forEach(ch -> cmd.withArray("channels").add(ch));
              int first = 0;
              for (int i = 0; i < w; i++) first += perWorker[i];
              return cmd.put("first", first).put("count", perWorker[w]).put("inFlight", 200);
            },
            COMMAND_TIMEOUT);
    long connected = replies.stream().mapToLong(r -> r.path("connected").asLong()).sum();
    double secs = (System.nanoTime() - start) / 1e9;
    line("");
    line("## Connecting");
    line("");
    line(
        String.format(
            "%,d of %,d residents connected and subscribed (one village channel each, %d villages) in"
                + " %.1f s (%.0f a second, at most 200 handshakes in flight per client process);"
                + " connect failures %d, closes %d.",
            connected,
            connections,
            areas.villageChannels().size(),
            secs,
            connected / secs,
            replies.stream().mapToLong(r -> r.path("connectFailures").asLong()).sum(),
            replies.stream().mapToLong(r -> r.path("unexpectedCloses").asLong()).sum()));
  }

  // ---- scenario 1: idle connections ----

  private void idle(long[][] baseline) throws IOException {
    progress("idle: settling, then a full GC on each node");
    Waits.pause(5_000);
    line("");
    line("## 1. Idle resident connections");
    line("");
    line(
        "| node | connections | heap after GC before (KiB) | with connections (KiB) | heap per"
            + " connection | RSS before / with (MiB) | RSS per connection | open files |");
    line("|---|---|---|---|---|---|---|---|");
    long heapDelta = 0;
    long rss = 0;
    long rssDelta = 0;
    for (Cluster.Node n : cluster.nodes()) {
      int conns = connectionsOn(n.index());
      long heap = ProcStats.heapUsedAfterGcKib(n.pid());
      long rssKib = ProcStats.rssKib(n.pid());
      long[] base = baseline[n.index()];
      heapDelta += heap - base[0];
      rss += rssKib;
      rssDelta += rssKib - base[1];
      line(
          String.format(
              "| %d | %,d | %,d | %,d | %,d B | %,d / %,d | %,d B | %,d |",
              n.index(),
              conns,
              base[0],
              heap,
              conns == 0 ? 0 : (heap - base[0]) * 1024 / conns,
              base[1] / 1024,
              rssKib / 1024,
              conns == 0 ? 0 : (rssKib - base[1]) * 1024 / conns,
              ProcStats.openFiles(n.pid())));
    }
    line("");
    line(
        String.format(
            "All nodes: **%,d B heap per idle connection** (live heap after a full GC with the"
                + " connections minus before, divided by %,d); **RSS %,d B per connection** (RSS"
                + " growth since the nodes were idle; %,d MiB in all, %,d B per connection with"
                + " each JVM's own footprint).",
            heapDelta * 1024 / connections,
            connections,
            rssDelta * 1024 / connections,
            rss / 1024,
            rss * 1024 / connections));
    Cluster.Node first = cluster.nodes().get(0);
    String histo = ProcStats.histogram(first.pid(), 30);
    Files.writeString(work.resolve("histogram-node0.txt"), histo);
    line("");
    line(
        "Live-object histogram of node 0 with "
            + String.format("%,d", connectionsOn(0))
            + " connections (`jcmd PID GC.class_histogram`, as `jmap -histo:live`), top 30:");
    line("");
    line("```");
    report.append(histo);
    line("```");
  }

  private int connectionsOn(int node) {
    return connections / nodes + (node < connections % nodes ? 1 : 0);
  }

  // ---- scenario 2: one broadcast ----

  private void broadcast() throws Exception {
    progress("broadcast: warm-up, then county and town pushes");
    setTracking(true);
    String county = areas.county();
    String town = areas.largestTown();
    for (int i = 0; i < warmups; i++) measurePush(county, areas.villageChannels());
    line("");
    line("## 2. One broadcast");
    line("");
    line(
        "Latency from the instant the POST /api/v1/pushes was sent to each resident's receipt"
            + " (one clock: all processes on one machine), after "
            + warmups
            + " warm-up pushes to the county (a fresh JVM compiles the fan-out path during the"
            + " first few).");
    line("");
    line("| push | residents reached | of | p50 / p90 / p99 / max (ms) | POST answered (ms) |");
    line("|---|---|---|---|---|");
    broadcastRows("county " + county, county, areas.villageChannels());
    broadcastRows("town " + town, town, areas.villagesOf(town));
    setTracking(false);
  }

  private void broadcastRows(String label, String area, List<String> channels) throws Exception {
    Histogram all = new Histogram(3);
    long reached = 0;
    long expected = 0;
    for (int i = 0; i < broadcasts; i++) {
      PushResult r = measurePush(area, channels);
      all.add(r.latency);
      reached += r.latency.getTotalCount();
      expected += r.expected;
      line(
          String.format(
              "| %s #%d | %,d | %,d | %s | %s |",
              label,
              i + 1,
              r.latency.getTotalCount(),
              r.expected,
              Histograms.millis(r.latency),
              Histograms.ms(r.postMicros)));
      Waits.pause(1_000);
    }
    line(
        String.format(
            "| **%s, all %d** | %,d | %,d | **%s** | |",
            label, broadcasts, reached, expected, Histograms.millis(all)));
  }

  private record PushResult(Histogram latency, long expected, long postMicros) {}

  private PushResult measurePush(String area, List<String> channels) throws Exception {
    long t0 = nowMicros();
    String id = post(area);
    long postMicros = nowMicros() - t0;
    List<JsonNode> replies =
        WorkerProcess.all(
            clients,
            w -> {
              ObjectNode cmd =
                  WorkerProcess.command("receipts").put("pushId", id).put("t0Micros", t0);
              channels.forEach(ch -> cmd.withArray("channels").add(ch));
              return cmd.put("timeoutSec", 30);
            },
            COMMAND_TIMEOUT);
    Histogram h = new Histogram(3);
    long expected = 0;
    for (JsonNode r : replies) {
      h.add(Histograms.decode(r.path("histogram").asText()));
      expected += r.path("expected").asLong();
    }
    return new PushResult(h, expected, postMicros);
  }

  private void setTracking(boolean on) {
    WorkerProcess.all(clients, w -> WorkerProcess.command("track").put("on", on), COMMAND_TIMEOUT);
  }

  // ---- scenario 3: sustained fan-out ----

  /**
   * Waits until every resident is subscribed and no push has arrived for 3 s, so that one
   * scenario's backlog does not count in the next; says in the report if it never got there.
   */
  private void quiesce(String before) {
    long[] last = {-1, System.nanoTime()};
    boolean quiet =
        Waits.until(
            () -> {
              Stats s = stats();
              if (s.pushes != last[0] || s.subscribed < connections) last[1] = System.nanoTime();
              last[0] = s.pushes;
              return System.nanoTime() - last[1] >= TimeUnit.SECONDS.toNanos(3);
            },
            System.nanoTime() + TimeUnit.SECONDS.toNanos(180));
    if (!quiet) {
      Stats s = stats();
      line("");
      line(
          String.format(
              "(Before %s: not quiet after 180 s: %,d of %,d residents subscribed.)",
              before, s.subscribed, connections));
    }
  }

  private void sustained() throws Exception {
    quiesce("the sustained fan-out");
    progress("sustained: " + rate + " county pushes a second for " + duration + " s");
    long before = stats().pushes;
    sentAtLatency = new Histogram(3);
    double[] cpu0 = serverCpu();
    long start = System.nanoTime();
    Pusher pusher = new Pusher(areas.county(), rate);
    Waits.pause(duration * 1000L);
    long windowDelivered = stats().pushes - before;
    double[] cpu1 = serverCpu();
    double window = (System.nanoTime() - start) / 1e9;
    int sent = pusher.stop();
    long expected = (long) sent * connections;
    Waits.until(
        () -> stats().pushes - before >= expected,
        System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    Stats after = stats();
    double nodeCpu = cpu1[0] - cpu0[0];
    double redisCpu = cpu1[1] - cpu0[1];
    double clientCpu = cpu1[2] - cpu0[2];
    line("");
    line("## 3. Sustained fan-out");
    line("");
    line(
        String.format(
            "%d county pushes (%.1f a second, %d failed) to %,d subscribers over %.1f s.",
            sent, rate, pusher.failures.get(), connections, window));
    line("");
    line("| figure | value |");
    line("|---|---|");
    line(String.format("| delivered in the window | %,d |", windowDelivered));
    line(
        String.format("| **delivered messages a second** | **%,.0f** |", windowDelivered / window));
    line(
        String.format(
            "| server nodes' CPU (all nodes, user+sys) | %.1f s = %.2f cores (kernel %.0f%%) |",
            nodeCpu, nodeCpu / window, nodeCpu == 0 ? 0 : 100 * (cpu1[3] - cpu0[3]) / nodeCpu));
    line(
        String.format(
            "| **delivered a second per server core used** | **%,.0f** |",
            nodeCpu == 0 ? 0 : windowDelivered / nodeCpu));
    line(String.format("| Redis CPU | %.2f cores |", redisCpu / window));
    line(String.format("| client processes' CPU | %.2f cores |", clientCpu / window));
    line(
        String.format(
            "| delivered after draining (expected %,d) | %,d |", expected, after.pushes - before));
    line(
        "| latency sentAt to receipt p50 / p90 / p99 / max (ms) | "
            + Histograms.millis(after.sentAtLatency)
            + " |");
    line(
        String.format(
            "| duplicates / closes by the server | %d / %d |",
            after.duplicates, after.unexpectedCloses));
  }

  /** CPU seconds so far of the nodes, Redis and the client processes. */
  private double[] serverCpu() {
    double nodesCpu = 0;
    double nodesSystem = 0;
    for (Cluster.Node n : cluster.nodes()) {
      double[] t = ProcStats.cpuUserSystem(n.pid());
      nodesCpu += t[0] + t[1];
      nodesSystem += t[1];
    }
    double clientCpu = 0;
    for (WorkerProcess w : clients) clientCpu += ProcStats.cpuSeconds(w.pid());
    return new double[] {
      nodesCpu, ProcStats.cpuSeconds(cluster.redis().pid()), clientCpu, nodesSystem
    };
  }

  // ---- scenario 4: reconnect storm ----

  private void storm() throws Exception {
    quiesce("the storm");
    int dropping = Math.min(storm, connections);
    progress("storm: " + dropping + " residents drop, " + away + " s away, then all reconnect");
    int[] drops = new int[workers];
    for (int w = 0; w < workers; w++)
      drops[w] = (int) ((long) dropping * perWorker[w] / connections);
    drops[0] += dropping - java.util.Arrays.stream(drops).sum();
    Stats before = stats();
    WorkerProcess.all(
        clients,
        w -> WorkerProcess.command("reset").put("target", Integer.MAX_VALUE),
        COMMAND_TIMEOUT);
    WorkerProcess.all(
        clients, w -> WorkerProcess.command("drop").put("count", drops[w]), COMMAND_TIMEOUT);
    Pusher pusher = new Pusher(areas.county(), stormRate);
    Waits.pause(away * 1000L);
    int missed = pusher.sent.get();
    long start = System.nanoTime();
    List<JsonNode> replies =
        WorkerProcess.all(
            clients,
            w ->
                WorkerProcess.command("reconnect")
                    .put("count", drops[w])
                    .put("target", missed)
                    .put("timeoutSec", 60),
            COMMAND_TIMEOUT);
    double wall = (System.nanoTime() - start) / 1e9;
    int sent = pusher.stop();
    List<JsonNode> verified =
        WorkerProcess.all(
            clients,
            w -> WorkerProcess.command("verify").put("expect", sent).put("timeoutSec", 30),
            COMMAND_TIMEOUT);
    Stats after = stats();
    Histogram caughtUp = new Histogram(3);
    long notCaughtUp = 0;
    long notRecovered = 0;
    for (JsonNode r : replies) {
      caughtUp.add(Histograms.decode(r.path("histogram").asText()));
      notCaughtUp += r.path("notCaughtUp").asLong();
      notRecovered += r.path("notRecovered").asLong();
    }
    long lost = verified.stream().mapToLong(v -> v.path("lost").asLong()).sum();
    long extra = verified.stream().mapToLong(v -> v.path("extra").asLong()).sum();
    long dups = verified.stream().mapToLong(v -> v.path("duplicates").asLong()).sum();
    long shortResidents = verified.stream().mapToLong(v -> v.path("residentsShort").asLong()).sum();
    line("");
    line("## 4. Reconnect storm");
    line("");
    line(
        String.format(
            "%,d of %,d residents closed their sockets at once; %d county pushes went out while"
                + " they were away (%.1f a second, going on during the reconnect: %d in all);"
                + " then all %,d reconnected at once with `since` = their last offset.",
            dropping, connections, missed, stormRate, sent, dropping));
    line("");
    line("| figure | value |");
    line("|---|---|");
    line(
        String.format(
            "| **all subscribed with recovered:true and holding every missed push** | **%s** |",
            notCaughtUp == 0
                ? String.format("%.1f s", caughtUp.getMaxValue() / 1e6)
                : String.format("no: %,d not caught up after 60 s", notCaughtUp)));
    line("| per resident p50 / p90 / p99 / max (ms) | " + Histograms.millis(caughtUp) + " |");
    line(String.format("| reconnect phase wall time | %.1f s |", wall));
    line(String.format("| subscribed with recovered:false | %,d |", notRecovered));
    line(
        String.format(
            "| **lost** (pushes missing at the end, all %,d residents) | **%,d** (%,d residents short) |",
            connections, lost, shortResidents));
    line(String.format("| **duplicated** (offset not after the last) | **%,d** |", dups));
    line(String.format("| more pushes than sent | %,d |", extra));
    line(
        String.format(
            "| closes by the server / connect failures during the storm | %,d / %,d |",
            after.unexpectedCloses - before.unexpectedCloses,
            after.connectFailures - before.connectFailures));
    if (!after.closeReasons.isBlank()) line("| close frames seen | " + after.closeReasons + " |");
  }

  // ---- server logs ----

  private void serverLogs() throws IOException {
    line("");
    line("## Server logs");
    line("");
    for (Cluster.Node n : cluster.nodes()) {
      List<String> bad =
          Files.readAllLines(n.log()).stream()
              .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("Exception"))
              .toList();
      line(
          String.format(
              "- node %d: %d warning/error lines%s",
              n.index(), bad.size(), bad.isEmpty() ? "" : "; first: `" + bad.get(0) + "`"));
    }
  }

  // ---- helpers ----

  /** Sums of the workers' counters. */
  private record Stats(
      long subscribed,
      long pushes,
      long duplicates,
      long unexpectedCloses,
      long connectFailures,
      String closeReasons,
      Histogram sentAtLatency) {}

  private Stats stats() {
    List<JsonNode> r =
        WorkerProcess.all(clients, w -> WorkerProcess.command("stats"), COMMAND_TIMEOUT);
    r.forEach(n -> sentAtLatency.add(Histograms.decode(n.path("sentAtLatency").asText())));
    Histogram h = sentAtLatency;
    return new Stats(
        r.stream().mapToLong(n -> n.path("subscribed").asLong()).sum(),
        r.stream().mapToLong(n -> n.path("pushes").asLong()).sum(),
        r.stream().mapToLong(n -> n.path("duplicates").asLong()).sum(),
        r.stream().mapToLong(n -> n.path("unexpectedCloses").asLong()).sum(),
        r.stream().mapToLong(n -> n.path("connectFailures").asLong()).sum(),
        String.join(" ", r.stream().map(n -> n.path("closeReasons").asText()).distinct().toList())
            .trim(),
        h);
  }

  /**
   * Sends county pushes at a steady rate, each to the next node in turn, without waiting for the
   * previous answer (at most 64 in flight: a busy node's slow answers do not lower the rate).
   */
  private final class Pusher {
    final AtomicInteger sent = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService posts = Executors.newFixedThreadPool(64);

    Pusher(String area, double perSecond) {
      timer.scheduleAtFixedRate(
          () ->
              posts.execute(
                  () -> {
                    try {
                      post(area);
                      sent.incrementAndGet();
                    } catch (Exception e) {
                      if (failures.incrementAndGet() <= 3) progress("push failed: " + e);
                    }
                  }),
          0,
          (long) (1_000_000 / perSecond),
          TimeUnit.MICROSECONDS);
    }

    int stop() throws InterruptedException {
      timer.shutdown();
      timer.awaitTermination(30, TimeUnit.SECONDS);
      posts.shutdown();
      posts.awaitTermination(60, TimeUnit.SECONDS);
      return sent.get();
    }
  }

  /** POST /api/v1/pushes to the next node in turn; returns the push id. */
  private String post(String area) throws IOException, InterruptedException {
    int n = pushSeq.incrementAndGet();
    Cluster.Node node = cluster.nodes().get(n % cluster.nodes().size());
    String body =
        "{\"areas\":[\""
            + area
            + "\"],\"kind\":\"notice\",\"title\":\"压力测试 "
            + n
            + "\",\"body\":\"明天上午9点至11点停电检修，请提前做好准备。\"}";
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/api/v1/pushes"))
                .header("Authorization", "Bearer " + Cluster.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 202)
      throw new IllegalStateException("push answered " + r.statusCode() + ": " + r.body());
    return JSON.readTree(r.body()).path("id").asText();
  }

  static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
  }

  private void line(String s) {
    report.append(s).append('\n');
  }

  private static void progress(String s) {
    System.err.println(Instant.now().truncatedTo(ChronoUnit.SECONDS) + " " + s);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
    }
  }

  /** The client process the driver starts: {@code push-bench worker}. */
  @Command(name = "worker", description = "A client process; speaks JSON lines with the driver.")
  static final class WorkerCommand implements Callable<Integer> {
    @Option(names = "--threads", description = "event loop threads")
    int threads = 2;

    @Override
    public Integer call() throws Exception {
      Worker.run(threads);
      return 0;
    }
  }
}
