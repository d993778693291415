package org.xiaolaba.scheduler;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractPipeline;

/**
 * Issue 4's start-up benchmark: {@code n} programs stored in Redis the way a long-running cluster
 * leaves them (each with a run in its as-run log), then fresh {@link ProgramService}s started on
 * that Redis one after the other, each timed from construction until {@code start()} returns, i.e.
 * until every program is armed in the node's Quartz.
 *
 * <p>The programs are a mix of daily (40%), weekly (25%), cron (15%) and once (20%) rules in
 * Asia/Shanghai, one village each out of thousands. No rule has a run between the seeding and the
 * end of the benchmark, so a start arms them and catches nothing up; what is measured is the
 * rebuild alone.
 */
final class StartupBench {
  /** One start: how long it took and what it armed. */
  record Start(double seconds, double cpuSeconds, int armed, int dispatched) {}

  record Result(int programs, double seedSeconds, List<Start> starts) {}

  private static final String PREFIX = "bench-startup:";
  private static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
  private static final int BATCH = 2_000;

  /** No run falls within this of the seeding, so no start has anything to catch up. */
  private static final Duration QUIET = Duration.ofMinutes(90);

  private final BenchSetup setup;
  private final ObjectMapper json = Json.mapper();
  private final Random random = new Random(4);

  StartupBench(BenchSetup setup) {
    this.setup = setup;
  }

  Result run(int programs, int starts) {
    Settings settings = setup.settings(PREFIX, Map.of());
    long t0 = System.nanoTime();
    List<String> ids = seed(settings, programs);
    double seedSeconds = (System.nanoTime() - t0) / 1e9;
    List<Start> out = new ArrayList<>();
    for (int i = 0; i < starts; i++) out.add(start(settings, ids));
    return new Result(programs, seedSeconds, out);
  }

  private Start start(Settings settings, List<String> ids) {
    AtomicInteger dispatched = new AtomicInteger();
    DispatchPort counting = new CountingDispatch(dispatched);
    try (RedisHandle redis = RedisHandle.open(settings)) {
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      ProgramService node = setup.node(settings, redis, counting);
      node.start();
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpuSeconds = (cpuNanos() - cpu0) / 1e9;
      int armed = 0;
      for (String id : ids) if (node.armedRun(id).isPresent()) armed++;
      node.close();
      return new Start(seconds, cpuSeconds, armed, dispatched.get());
    }
  }

  /** CPU time of this JVM (all threads; not Redis, which is a process of its own). */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Writes the programs, the area index and one past run each, pipelined. */
  private List<String> seed(Settings settings, int n) {
    Instant now = Instant.now();
    Instant created = now.minus(Duration.ofDays(30));
    Instant lastRun = now.minus(Duration.ofMinutes(1));
    List<String> ids = new ArrayList<>(n);
    try (RedisHandle redis = RedisHandle.open(settings)) {
      for (int from = 0; from < n; from += BATCH) {
        try (AbstractPipeline p = redis.client().pipelined()) {
          for (int i = from; i < Math.min(n, from + BATCH); i++) {
            StoredProgram program = program(i, now, created);
            ids.add(program.id());
            p.set(redis.key("program:" + program.id()), write(program));
            p.sadd(redis.key("programs"), program.id());
            p.sadd(
                redis.key("programs:area:" + program.areas().get(0) + ":" + program.priority()),
                program.id());
            p.rpush(redis.key("runs:" + program.id()), write(pastRun(program, lastRun)));
          }
          p.sync();
        }
      }
      // Filed in the area index as a running cluster has them; a start need not file them again.
      redis.client().set(redis.key("programs:index-version"), ProgramStore.INDEX_VERSION);
    }
    return ids;
  }

  private StoredProgram program(int i, Instant now, Instant created) {
    String village = setup.villages.get(i % setup.villages.size());
    int kind = random.nextInt(100);
    Schedule schedule;
    if (kind < 40) {
      schedule = Schedule.daily(quietTime(now).toString());
    } else if (kind < 65) {
      List<String> days = List.of("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN");
      List<String> some = new ArrayList<>();
      for (String d : days) if (random.nextBoolean()) some.add(d);
      if (some.isEmpty()) some.add("MON");
      schedule = Schedule.weekly(some, quietTime(now).toString());
    } else if (kind < 80) {
      LocalTime t = quietTime(now);
      String[] shapes = {"* * ?", "? * MON-FRI", "1,15 * ?"};
      schedule =
          Schedule.cron("0 " + t.getMinute() + " " + t.getHour() + " " + shapes[random.nextInt(3)]);
    } else {
      Instant at = now.plus(Duration.ofDays(1 + random.nextInt(30)));
      schedule =
          Schedule.once(
              at.atZone(ZONE)
                  .with(quietTime(now))
                  .withSecond(0)
                  .withNano(0)
                  .toOffsetDateTime()
                  .toString());
    }
    return new StoredProgram(
        "bench-" + i,
        "节目 " + i,
        BenchSetup.CLIP_ID,
        null,
        List.of(village),
        random.nextInt(10) == 0 ? "high" : "normal",
        ZONE.getId(),
        schedule,
        null,
        null,
        30_000L,
        created);
  }

  /** A wall-clock time at least {@link #QUIET} away from now, either way. */
  private LocalTime quietTime(Instant now) {
    int nowMinute = now.atZone(ZONE).toLocalTime().toSecondOfDay() / 60;
    int quiet = (int) QUIET.toMinutes();
    int minute = (nowMinute + quiet + random.nextInt(24 * 60 - 2 * quiet)) % (24 * 60);
    return LocalTime.of(minute / 60, minute % 60);
  }

  private static ProgramRun pastRun(StoredProgram p, Instant at) {
    return new ProgramRun(
        RunAudio.runId(p.id(), at),
        at.atZone(ZONE).toOffsetDateTime(),
        at.atZone(ZONE).toOffsetDateTime(),
        3,
        3,
        List.of(),
        false,
        false,
        null,
        null);
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Counts plays: a start that has nothing to catch up dispatches none. */
  record CountingDispatch(AtomicInteger plays) implements DispatchPort {
    @Override
    public Delivery play(PlayCommand command) {
      plays.incrementAndGet();
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
