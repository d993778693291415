package org.xiaolaba.config.testing;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.SettingsLoader;
import org.xiaolaba.config.ffmpeg.FfmpegBinaries;
import org.xiaolaba.config.ffmpeg.FfmpegLocator;

/**
 * Settings for tests: the embedded defaults with a private data directory, any free port, and
 * whatever environment overrides a test adds. The bundled ffmpeg is unpacked once per machine into
 * a shared directory so each test does not copy 77 MB.
 */
public final class TestSettings {
  private static volatile FfmpegBinaries ffmpeg;

  private TestSettings() {}

  public static Settings forDataDir(Path dataDir) {
    return forDataDir(dataDir, Map.of());
  }

  public static Settings forDataDir(Path dataDir, Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>();
    env.put("XIAOLABA_DATA_DIR", dataDir.toString());
    env.put("XIAOLABA_PORT", "0");
    env.put("XIAOLABA_FFMPEG_FFMPEG_PATH", ffmpeg().ffmpeg().toString());
    ffmpeg().ffprobe().ifPresent(p -> env.put("XIAOLABA_FFMPEG_FFPROBE_PATH", p.toString()));
    env.putAll(extraEnv);
    return new SettingsLoader().load(Optional.empty(), env);
  }

  /** The ffmpeg the tests use: the same choice the server makes, unpacked into a shared cache. */
  public static FfmpegBinaries ffmpeg() {
    if (ffmpeg == null) {
      synchronized (TestSettings.class) {
        if (ffmpeg == null) {
          Settings defaults = new SettingsLoader().defaults();
          ffmpeg = new FfmpegLocator().locate(defaults.ffmpeg(), sharedBinDir());
        }
      }
    }
    return ffmpeg;
  }

  public static Path sharedBinDir() {
    return Path.of(System.getProperty("java.io.tmpdir"), "xiaolaba-test-bin");
  }
}
