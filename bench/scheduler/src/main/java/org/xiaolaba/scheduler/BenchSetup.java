package org.xiaolaba.scheduler;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xiaolaba.config.AreaNode;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.media.Rendition;

/**
 * What both benchmarks share: one real embedded redis-server (the server's own, with the AOF fsync
 * policy asked for), a county large enough that programs need not share villages, and a ready clip.
 * Each scenario works under a key prefix of its own.
 */
final class BenchSetup implements AutoCloseable {
  static final String COUNTY = "320623";
  static final String CLIP_ID = "bench-clip";

  final Path dataDir;
  final String appendfsync;
  final AreaTree county;
  final List<String> villages;
  private final RedisHandle server;

  BenchSetup(Path dataDir, String appendfsync, int towns, int villagesPerTown) {
    this.dataDir = dataDir;
    this.appendfsync = appendfsync;
    List<AreaNode> townNodes = new ArrayList<>();
    List<String> codes = new ArrayList<>();
    for (int t = 1; t <= towns; t++) {
      String town = COUNTY + String.format("%03d", t);
      List<AreaNode> vs = new ArrayList<>();
      for (int v = 1; v <= villagesPerTown; v++) {
        String village = town + String.format("%03d", v);
        vs.add(new AreaNode(village, "村 " + village, List.of()));
        codes.add(village);
      }
      townNodes.add(new AreaNode(town, "镇 " + town, vs));
    }
    this.county = AreaTree.of(new AreaNode(COUNTY, "县", townNodes));
    this.villages = List.copyOf(codes);
    this.server =
        RedisHandle.open(
            TestSettings.forDataDir(
                dataDir, Map.of("XIAOLABA_REDIS_EMBEDDED_APPENDFSYNC", appendfsync)));
  }

  /** Settings for one node: this Redis, under {@code prefix}, plus {@code env} overrides. */
  Settings settings(String prefix, Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("XIAOLABA_REDIS_URL", server.uri().toString());
    all.put("XIAOLABA_REDIS_KEY_PREFIX", prefix);
    return TestSettings.forDataDir(dataDir, all);
  }

  /** A scheduler node as the server builds one, on the real Quartz and the system clock. */
  ProgramService node(Settings settings, RedisHandle redis, DispatchPort dispatch) {
    return new ProgramService(
        settings,
        redis,
        county,
        id -> CLIP_ID.equals(id) ? Optional.of(CLIP) : Optional.empty(),
        dispatch,
        Clock.systemUTC(),
        (date, area) -> Optional.empty());
  }

  RedisHandle server() {
    return server;
  }

  static final Clip CLIP =
      new Clip(
          CLIP_ID,
          "早间新闻",
          ClipStatus.READY,
          null,
          "done",
          100,
          30_000L,
          null,
          Map.of(
              ProgramValidator.LOUDSPEAKER,
              new Rendition(
                  "/media/" + CLIP_ID + ".mp3",
                  CLIP_ID + ".mp3",
                  "mp3",
                  1,
                  44100,
                  64000,
                  240_000,
                  -16.0,
                  -16.2)),
          "hash-" + CLIP_ID,
          Instant.now(),
          Instant.now());

  @Override
  public void close() {
    server.close();
  }
}
