package org.xiaolaba.scheduler;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;

/**
 * Issue 4's latency benchmark: {@code runs} once-programs, one per village, created through the
 * public API on {@code nodes} scheduler nodes (each its own {@link ProgramService}, Quartz and
 * Redis pool, in this JVM), with their runs spread evenly over {@code window}. Every node fires
 * every run and races for its claim, as in production. The latency of a run is read from the as-run
 * log: its {@code dispatchedAt} minus the instant it was due to go out ({@code scheduledAt -
 * leadTime}).
 */
final class LatencyBench {
  /** What one scenario measured: latencies in microseconds, sorted, and what went wrong. */
  record Result(
      int nodes,
      int runs,
      Duration window,
      List<Long> micros,
      int duplicates,
      int missing,
      int late,
      double createSeconds) {
    long percentile(double p) {
      if (micros.isEmpty()) return -1;
      int i = (int) Math.ceil(p / 100.0 * micros.size()) - 1;
      return micros.get(Math.max(0, Math.min(micros.size() - 1, i)));
    }
  }

  static final Duration LEAD = Duration.ofSeconds(5);

  private final BenchSetup setup;

  LatencyBench(BenchSetup setup) {
    this.setup = setup;
  }

  Result run(int nodes, int runs, Duration window, Duration margin) throws InterruptedException {
    String prefix = "bench-latency-" + nodes + "-" + System.nanoTime() + ":";
    Settings settings =
        setup.settings(prefix, Map.of("XIAOLABA_SCHEDULER_LEAD_TIME", LEAD.toMillis() + "ms"));
    if (runs > setup.villages.size()) {
      throw new IllegalArgumentException(
          "--runs " + runs + " needs as many villages; the bench county has " + setup.villages);
    }
    Map<String, AtomicInteger> plays = new ConcurrentHashMap<>();
    CountDownLatch allPlayed = new CountDownLatch(runs);
    DispatchPort recording = new Recording(plays, allPlayed);
    List<RedisHandle> pools = new ArrayList<>();
    List<ProgramService> services = new ArrayList<>();
    try {
      for (int n = 0; n < nodes; n++) {
        RedisHandle redis = RedisHandle.open(settings);
        pools.add(redis);
        ProgramService node = setup.node(settings, redis, recording);
        services.add(node);
        node.start();
      }
      Instant first = Instant.now().plus(LEAD).plus(margin);
      long stepNanos = window.toNanos() / runs;
      List<String> ids = new ArrayList<>(runs);
      long t0 = System.nanoTime();
      for (int i = 0; i < runs; i++) {
        Instant at = first.plusNanos(stepNanos * i).truncatedTo(ChronoUnit.MILLIS);
        ProgramRequest req =
            new ProgramRequest(
                "节目 " + i,
                BenchSetup.CLIP_ID,
                null,
                List.of(setup.villages.get(i)),
                null,
                null,
                Schedule.once(at.atOffset(ZoneOffset.ofHours(8)).toString()),
                null,
                null);
        ids.add(services.get(i % nodes).create(req).id());
      }
      double createSeconds = (System.nanoTime() - t0) / 1e9;
      if (Instant.now().isAfter(first.minus(LEAD))) {
        throw new IllegalStateException(
            "creating the programs took "
                + createSeconds
                + " s, past the first run's dispatch; raise --margin");
      }
      Duration wait = Duration.between(Instant.now(), first.plus(window)).plusSeconds(60);
      if (!allPlayed.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        System.err.println("Not every run was played within " + wait);
      }
      return measure(nodes, runs, window, services.get(0), ids, plays, createSeconds);
    } finally {
      for (ProgramService s : services) s.close();
      for (RedisHandle r : pools) r.close();
    }
  }

  private Result measure(
      int nodes,
      int runs,
      Duration window,
      ProgramService reader,
      List<String> ids,
      Map<String, AtomicInteger> plays,
      double createSeconds) {
    List<Long> micros = new ArrayList<>(runs);
    int missing = 0;
    int late = 0;
    for (String id : ids) {
      List<ProgramRun> logged = awaitLogged(reader, id);
      if (logged.isEmpty() || logged.get(0).dispatchedAt() == null) {
        missing++;
        continue;
      }
      ProgramRun r = logged.get(0);
      if (r.late()) late++;
      Instant due = r.scheduledAt().toInstant().minus(LEAD);
      micros.add(Duration.between(due, r.dispatchedAt().toInstant()).toNanos() / 1_000);
    }
    micros.sort(null);
    int duplicates = 0;
    for (AtomicInteger c : plays.values()) if (c.get() > 1) duplicates += c.get() - 1;
    return new Result(nodes, runs, window, micros, duplicates, missing, late, createSeconds);
  }

  /** The as-run record is written just after the play went out; give it a moment. */
  private static List<ProgramRun> awaitLogged(ProgramService reader, String id) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    List<ProgramRun> logged = reader.runs(id);
    while (logged.isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      logged = reader.runs(id);
    }
    return logged;
  }

  /** Counts plays per run and signals when every run has gone out once. */
  record Recording(Map<String, AtomicInteger> plays, CountDownLatch allPlayed)
      implements DispatchPort {
    @Override
    public Delivery play(PlayCommand command) {
      if (plays.computeIfAbsent(command.runId(), k -> new AtomicInteger()).incrementAndGet() == 1) {
        allPlayed.countDown();
      }
      return new Delivery(1, 1);
    }

    @Override
    public void stop(StopCommand command) {}

    @Override
    public String push(PushCommand command) {
      return "push";
    }
  }
}
