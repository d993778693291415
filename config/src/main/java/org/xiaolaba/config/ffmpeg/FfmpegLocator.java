package org.xiaolaba.config.ffmpeg;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.Settings;

/**
 * Finds ffmpeg: the configured path, else {@code ffmpeg} on PATH if it actually runs, else the
 * static build shipped in the {@code jave-nativebin-linux64} artifact, unpacked into a bin
 * directory. ffprobe is optional: configured, else on PATH if it runs, else none.
 */
public final class FfmpegLocator {
  private static final Logger log = LoggerFactory.getLogger(FfmpegLocator.class);
  static final String BUNDLED_RESOURCE = "/ws/schild/jave/nativebin/ffmpeg-amd64";
  static final String BUNDLED_NAME = "ffmpeg-jave-3.5.0";

  static final Duration VERSION_TIMEOUT = Duration.ofSeconds(15);

  private final String pathVariable;
  private final Duration versionTimeout;

  public FfmpegLocator() {
    this(System.getenv("PATH"));
  }

  /** For tests: search this PATH instead of the process's. */
  public FfmpegLocator(String pathVariable) {
    this(pathVariable, VERSION_TIMEOUT);
  }

  /** For tests: give up on a binary whose {@code -version} takes longer than this. */
  FfmpegLocator(String pathVariable, Duration versionTimeout) {
    this.pathVariable = pathVariable == null ? "" : pathVariable;
    this.versionTimeout = versionTimeout;
  }

  public FfmpegBinaries locate(Settings.Ffmpeg cfg, Path binDir) {
    FfmpegBinaries found = chooseFfmpeg(cfg, binDir);
    log.info("Using ffmpeg {} ({}): {}", found.ffmpeg(), found.source(), found.version());
    found
        .ffprobe()
        .ifPresentOrElse(
            p -> log.info("Using ffprobe {}", p),
            () -> log.info("No ffprobe available; probing runs through ffmpeg alone"));
    return found;
  }

  private FfmpegBinaries chooseFfmpeg(Settings.Ffmpeg cfg, Path binDir) {
    Optional<Path> ffprobe = chooseFfprobe(cfg);
    if (!blank(cfg.ffmpegPath())) {
      Path p = Path.of(cfg.ffmpegPath());
      String version =
          version(p)
              .orElseThrow(
                  () ->
                      new ConfigException(
                          "config key 'ffmpeg.ffmpegPath' has value '"
                              + p
                              + "': it does not run ('"
                              + p
                              + " -version' failed); "
                              + "expected the path of a working ffmpeg binary"));
      return new FfmpegBinaries(p, ffprobe, version, "configured in ffmpeg.ffmpegPath");
    }
    Optional<Path> onPath = onPath("ffmpeg");
    if (onPath.isPresent()) {
      Optional<String> version = version(onPath.get());
      if (version.isPresent()) {
        return new FfmpegBinaries(onPath.get(), ffprobe, version.get(), "found on PATH");
      }
      log.warn(
          "Skipping {} found on PATH: '-version' does not succeed; falling back to the bundled ffmpeg",
          onPath.get());
    }
    Path bundled = unpackBundled(binDir);
    String version =
        version(bundled)
            .orElseThrow(
                () ->
                    unavailable("the bundled ffmpeg " + bundled + " does not run on this system"));
    return new FfmpegBinaries(
        bundled,
        ffprobe,
        version,
        "bundled static build (no working ffmpeg configured or on PATH)");
  }

  private Optional<Path> chooseFfprobe(Settings.Ffmpeg cfg) {
    if (!blank(cfg.ffprobePath())) {
      Path p = Path.of(cfg.ffprobePath());
      if (version(p).isEmpty()) {
        throw new ConfigException(
            "config key 'ffmpeg.ffprobePath' has value '"
                + p
                + "': it does not run; expected the path of a working ffprobe binary, or leave it empty");
      }
      return Optional.of(p);
    }
    Optional<Path> onPath = onPath("ffprobe");
    if (onPath.isPresent() && version(onPath.get()).isEmpty()) {
      log.warn("Skipping {} found on PATH: '-version' does not succeed", onPath.get());
      return Optional.empty();
    }
    return onPath;
  }

  private Optional<Path> onPath(String name) {
    for (String dir : pathVariable.split(File.pathSeparator)) {
      if (dir.isBlank()) continue;
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate)) return Optional.of(candidate);
    }
    return Optional.empty();
  }

  /**
   * The first line of {@code binary -version}, or empty when it does not run or does not finish in
   * time. The output goes to a file, not a pipe, so a binary that hangs without writing cannot
   * block this past the timeout.
   */
  Optional<String> version(Path binary) {
    Path output = null;
    try {
      output = Files.createTempFile("xiaolaba-ffmpeg-version", ".txt");
      Process p =
          new ProcessBuilder(binary.toString(), "-hide_banner", "-version")
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      p.getOutputStream().close();
      if (!p.waitFor(versionTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        log.warn(
            "'{} -version' did not finish within {}; treating it as not working",
            binary,
            versionTimeout);
        return Optional.empty();
      }
      if (p.exitValue() != 0) return Optional.empty();
      String out;
      try (InputStream in = Files.newInputStream(output)) {
        out = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
      }
      return Optional.of(out.lines().findFirst().orElse("").trim());
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      deleteQuietly(output);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file == null) return;
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.debug("Could not delete {}: {}", file, e.getMessage());
    }
  }

  private static Path unpackBundled(Path binDir) {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      throw unavailable(
          "the bundled ffmpeg is built for linux/amd64 only, this is " + os + "/" + arch);
    }
    Path target = binDir.resolve(BUNDLED_NAME);
    try (InputStream in = FfmpegLocator.class.getResourceAsStream(BUNDLED_RESOURCE)) {
      if (in == null) throw unavailable("the bundled ffmpeg is missing from the classpath");
      if (Files.isExecutable(target)) return target;
      Files.createDirectories(binDir);
      // Unpack beside the target and move it in place, so a crash never leaves half a binary.
      Path tmp = Files.createTempFile(binDir, BUNDLED_NAME, ".part");
      try {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      log.info("Unpacked the bundled ffmpeg into {}", target);
      return target;
    } catch (IOException e) {
      throw unavailable(
          "the bundled ffmpeg cannot be unpacked into " + binDir + ": " + e.getMessage());
    }
  }

  private static ConfigException unavailable(String why) {
    return new ConfigException(
        "no working ffmpeg: "
            + why
            + ". Install ffmpeg (e.g. 'apt install ffmpeg') or set XIAOLABA_FFMPEG_FFMPEG_PATH to a working binary.");
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
