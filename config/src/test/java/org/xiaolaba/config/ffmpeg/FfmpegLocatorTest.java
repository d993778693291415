package org.xiaolaba.config.ffmpeg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.testing.TestSettings;

/** Runs the real bundled ffmpeg; the shared bin directory unpacks its 77 MB only once. */
class FfmpegLocatorTest {
  @TempDir Path pathDir;

  private static final Path BIN = TestSettings.sharedBinDir();
  private static final Path BUNDLED = BIN.resolve(FfmpegLocator.BUNDLED_NAME);

  private static Settings.Ffmpeg config(String ffmpegPath, String ffprobePath) {
    return new Settings.Ffmpeg(ffmpegPath, ffprobePath, 2, 32, Duration.ofMinutes(10));
  }

  private static Settings.Ffmpeg nothingConfigured() {
    return config("", "");
  }

  private Path script(String name, String body) throws IOException {
    Path p = Files.writeString(pathDir.resolve(name), "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  @Test
  void withNothingOnPathTheBundledBuildIsUnpackedAndRuns() {
    FfmpegBinaries found = new FfmpegLocator("").locate(nothingConfigured(), BIN);

    assertThat(found.ffmpeg()).isEqualTo(BUNDLED);
    assertThat(Files.isExecutable(found.ffmpeg())).isTrue();
    assertThat(found.version()).startsWith("ffmpeg version");
    assertThat(found.source()).startsWith("bundled");
    assertThat(found.ffprobe()).isEmpty();
  }

  @Test
  void anFfmpegOnPathThatDoesNotRunIsSkippedForTheBundledBuild() throws IOException {
    script("ffmpeg", "echo 'error while loading shared libraries' >&2; exit 1");

    FfmpegBinaries found = new FfmpegLocator(pathDir.toString()).locate(nothingConfigured(), BIN);

    assertThat(found.ffmpeg()).isEqualTo(BUNDLED);
    assertThat(found.version()).startsWith("ffmpeg version");
    assertThat(found.source()).startsWith("bundled");
  }

  @Test
  void anFfmpegOnPathThatHangsIsGivenUpOnAfterTheTimeoutAndTheBundledBuildIsUsed()
      throws IOException {
    script("ffmpeg", "exec sleep 60");
    FfmpegLocator locator = new FfmpegLocator(pathDir.toString(), Duration.ofMillis(500));

    long started = System.nanoTime();
    FfmpegBinaries found = locator.locate(nothingConfigured(), BIN);

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(found.ffmpeg()).isEqualTo(BUNDLED);
    assertThat(found.version()).startsWith("ffmpeg version");
  }

  @Test
  void anFfprobeOnPathThatDoesNotRunIsLeftOut() throws IOException {
    script("ffprobe", "exit 127");

    FfmpegBinaries found = new FfmpegLocator(pathDir.toString()).locate(nothingConfigured(), BIN);

    assertThat(found.ffprobe()).isEmpty();
  }

  @Test
  void anFfmpegOnPathThatRunsIsPreferredToTheBundledBuild() throws IOException {
    Path bundled = new FfmpegLocator("").locate(nothingConfigured(), BIN).ffmpeg();
    Path wrapper = script("ffmpeg", "exec '" + bundled + "' \"$@\"");
    Path emptyDir = Files.createDirectory(pathDir.resolve("empty"));

    FfmpegBinaries found =
        new FfmpegLocator(emptyDir + ":" + pathDir).locate(nothingConfigured(), BIN);

    assertThat(found.ffmpeg()).isEqualTo(wrapper);
    assertThat(found.source()).isEqualTo("found on PATH");
    assertThat(found.version()).startsWith("ffmpeg version");
  }

  @Test
  void aConfiguredPathToAWorkingBinaryIsUsedEvenWhenPathHasOne() throws IOException {
    Path bundled = new FfmpegLocator("").locate(nothingConfigured(), BIN).ffmpeg();
    script("ffmpeg", "exec '" + bundled + "' \"$@\"");

    FfmpegBinaries found =
        new FfmpegLocator(pathDir.toString()).locate(config(bundled.toString(), ""), BIN);

    assertThat(found.ffmpeg()).isEqualTo(bundled);
    assertThat(found.source()).startsWith("configured");
    assertThat(found.source()).contains("ffmpeg.ffmpegPath");
    assertThat(found.version()).startsWith("ffmpeg version");
  }

  @Test
  void aConfiguredFfmpegPathThatDoesNotRunStopsStartUpNamingTheKey() throws IOException {
    Path broken = script("ffmpeg", "exit 1");

    assertThatThrownBy(() -> new FfmpegLocator("").locate(config(broken.toString(), ""), BIN))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'ffmpeg.ffmpegPath'")
        .hasMessageContaining(broken.toString())
        .hasMessageContaining("expected the path of a working ffmpeg binary");
  }

  @Test
  void aConfiguredFfmpegPathThatDoesNotExistStopsStartUpNamingTheKey() {
    String missing = pathDir.resolve("no-such-ffmpeg").toString();

    assertThatThrownBy(() -> new FfmpegLocator("").locate(config(missing, ""), BIN))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'ffmpeg.ffmpegPath'")
        .hasMessageContaining(missing);
  }

  @Test
  void aConfiguredFfprobePathThatDoesNotRunStopsStartUpNamingTheKey() throws IOException {
    Path broken = script("ffprobe", "exit 1");

    assertThatThrownBy(() -> new FfmpegLocator("").locate(config("", broken.toString()), BIN))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'ffmpeg.ffprobePath'")
        .hasMessageContaining(broken.toString());
  }

  @Test
  void aConfiguredFfprobeThatRunsIsUsed() throws IOException {
    Path bundled = new FfmpegLocator("").locate(nothingConfigured(), BIN).ffmpeg();
    Path probe = script("ffprobe", "exec '" + bundled + "' \"$@\"");

    FfmpegBinaries found = new FfmpegLocator("").locate(config("", probe.toString()), BIN);

    assertThat(found.ffprobe()).contains(probe);
  }
}
