package org.xiaolaba.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.SettingsLoader;
import org.xiaolaba.config.ffmpeg.FfmpegBinaries;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipLibrary;
import org.xiaolaba.media.ClipStatus;

/**
 * The real thing: a {@link ClipLibrary} with the default settings on a real embedded Redis, taking
 * one upload from {@code ingest} to {@code ready}. Each run gets a fresh media directory and key
 * prefix, so the same bytes are transcoded every time instead of found by their content hash.
 */
final class PipelineRun implements AutoCloseable {
  /** How long one ingest took, and the wall time of each stage the clip went through. */
  record Timed(double seconds, Map<String, Double> stages, Clip clip) {}

  private final Path work;
  private final FfmpegBinaries ffmpeg;
  private final RedisHandle redisServer;
  private int runs;

  PipelineRun(Path work, FfmpegBinaries ffmpeg) {
    this.work = work;
    this.ffmpeg = ffmpeg;
    this.redisServer = RedisHandle.open(settings(work.resolve("redis-data"), Map.of()));
  }

  private Settings settings(Path dataDir, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(extra);
    env.put("XIAOLABA_DATA_DIR", dataDir.toString());
    env.put("XIAOLABA_PORT", "0");
    env.put("XIAOLABA_FFMPEG_FFMPEG_PATH", ffmpeg.ffmpeg().toString());
    return new SettingsLoader().load(Optional.empty(), env);
  }

  /** The settings every run uses: the defaults, on this benchmark's Redis. */
  Settings settings() {
    return settings(work.resolve("runs").resolve("settings"), Map.of());
  }

  Timed ingest(Path clip) throws Exception {
    int run = ++runs;
    Path dataDir = work.resolve("runs").resolve("run-" + run);
    deleteTree(dataDir);
    Settings settings =
        settings(
            dataDir,
            Map.of(
                "XIAOLABA_REDIS_URL",
                redisServer.uri().toString(),
                "XIAOLABA_REDIS_KEY_PREFIX",
                "bench-" + UUID.randomUUID().toString().substring(0, 8) + "-" + run + ":"));
    Map<String, Long> stageStarts = new ConcurrentHashMap<>();
    Map<String, CompletableFuture<Clip>> finished = new ConcurrentHashMap<>();
    try (RedisHandle redis = RedisHandle.open(settings);
        ClipLibrary library = new ClipLibrary(settings, ffmpeg, redis, Clock.systemUTC())) {
      library.addListener(
          c -> {
            stageStarts.putIfAbsent(c.stage(), System.nanoTime());
            if (c.status() != ClipStatus.PROCESSING) {
              finished.computeIfAbsent(c.id(), id -> new CompletableFuture<>()).complete(c);
            }
          });
      library.start();
      Path upload = library.incomingDir().resolve("bench-" + run + ".part");
      Files.copy(clip, upload);

      long t0 = System.nanoTime();
      Clip accepted = library.ingest(upload, "benchmark " + run);
      Clip done =
          finished
              .computeIfAbsent(accepted.id(), id -> new CompletableFuture<>())
              .get(20, TimeUnit.MINUTES);
      double seconds = Ffmpeg.seconds(t0);
      if (done.status() != ClipStatus.READY) {
        throw new IllegalStateException("the benchmark clip failed: " + done.error());
      }
      return new Timed(seconds, stageSeconds(t0, stageStarts), done);
    } finally {
      deleteTree(dataDir);
    }
  }

  /** Each stage's wall time: from its first event to the next stage's ("done" ends the last). */
  private static Map<String, Double> stageSeconds(long t0, Map<String, Long> starts) {
    Map<String, Double> stages = new LinkedHashMap<>();
    var ordered = starts.entrySet().stream().sorted(Map.Entry.comparingByValue()).toList();
    for (int i = 0; i < ordered.size() - 1; i++) {
      long from = i == 0 ? Math.min(t0, ordered.get(0).getValue()) : ordered.get(i).getValue();
      stages.put(ordered.get(i).getKey(), (ordered.get(i + 1).getValue() - from) / 1e9);
    }
    return stages;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  @Override
  public void close() {
    redisServer.close();
  }
}
