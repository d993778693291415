package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.xiaolaba.config.testing.TestSettings;

/**
 * Test audio made by ffmpeg itself, uploads placed where the server puts them, and an independent
 * measurement of what the library produced (plain {@code ffmpeg -i ... -af ebur128}).
 */
final class MediaFixtures {
  private MediaFixtures() {}

  /** Runs ffmpeg with {@code args} (inputs, options) writing {@code dir/name}. */
  static Path generate(Path dir, String name, String... args) {
    Path out = dir.resolve(name);
    List<String> command = new ArrayList<>();
    command.add(ffmpeg());
    command.addAll(List.of("-nostdin", "-hide_banner", "-v", "error", "-y"));
    command.addAll(List.of(args));
    command.add(out.toString());
    run(command);
    return out;
  }

  /** A sine tone; {@code extra} are output options (codec, channels, ...). */
  static Path tone(Path dir, String name, double seconds, String... extra) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=" + seconds));
    args.addAll(List.of(extra));
    return generate(dir, name, args.toArray(String[]::new));
  }

  static String ffmpeg() {
    return TestSettings.ffmpeg().ffmpeg().toString();
  }

  private static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ffmpeg finished: %s", command).isTrue();
      assertThat(p.exitValue()).as("ffmpeg %s failed: %s", command, out).isZero();
      return out;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Copies a fixture into the library's incoming directory, as the server does with uploads. */
  static Path upload(ClipLibrary library, Path fixture) {
    try {
      Path part = library.incomingDir().resolve("upload-" + UUID.randomUUID() + ".part");
      return Files.copy(fixture, part);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Clip awaitFinished(ClipLibrary library, String id) {
    await()
        .atMost(Duration.ofSeconds(40))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> library.find(id).map(c -> c.status() != ClipStatus.PROCESSING).orElse(false));
    return library.find(id).orElseThrow();
  }

  static List<Path> filesIn(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** What a plain ffmpeg says about an audio file: its stream, duration and EBU R128 figures. */
  record Measurement(
      String codec,
      int sampleRate,
      String layout,
      Integer kbps,
      double integratedLufs,
      double truePeakDb,
      String container) {}

  private static final Pattern STREAM =
      Pattern.compile(
          "Stream #0:0.*?: Audio: (\\w+).*?, (\\d+) Hz, ([^,]+), [^,]+(?:, (\\d+) kb/s)?");
  private static final Pattern INPUT = Pattern.compile("Input #0, ([^ ]+), from");
  private static final Pattern I = Pattern.compile("I:\\s+(-?[\\d.]+|-inf) LUFS");
  private static final Pattern PEAK = Pattern.compile("Peak:\\s+(-?[\\d.]+|-inf) dBFS");

  /** Measures {@code file} on its own; clips under half a second are measured looped. */
  static Measurement measure(Path file, boolean loop) {
    List<String> command = new ArrayList<>(List.of(ffmpeg(), "-nostdin", "-hide_banner"));
    if (loop) command.addAll(List.of("-stream_loop", "9"));
    command.addAll(
        List.of(
            "-i",
            file.toString(),
            "-map",
            "0:a:0",
            "-af",
            "ebur128=peak=true:framelog=verbose",
            "-f",
            "null",
            "-"));
    String out = run(command);
    Matcher s = STREAM.matcher(out);
    assertThat(s.find()).as("stream line in %s", out).isTrue();
    Matcher in = INPUT.matcher(out);
    assertThat(in.find()).isTrue();
    int summary = out.lastIndexOf("Summary:");
    String tail = out.substring(summary);
    Matcher i = I.matcher(tail);
    Matcher p = PEAK.matcher(tail);
    assertThat(i.find() && p.find()).as("loudness summary in %s", tail).isTrue();
    return new Measurement(
        s.group(1),
        Integer.parseInt(s.group(2)),
        s.group(3).trim(),
        Optional.ofNullable(s.group(4)).map(Integer::parseInt).orElse(null),
        number(i.group(1)),
        number(p.group(1)),
        in.group(1));
  }

  private static double number(String s) {
    return s.equals("-inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(s);
  }

  private static final Pattern SILENCE = Pattern.compile("silence_duration: ([\\d.]+)");

  /** The lengths of the silences (below -50 dB, at least {@code minSeconds}) in {@code file}. */
  static List<Double> silences(Path file, double minSeconds) {
    String out =
        run(
            List.of(
                ffmpeg(),
                "-nostdin",
                "-hide_banner",
                "-i",
                file.toString(),
                "-map",
                "0:a:0",
                "-af",
                "silencedetect=n=-50dB:d=" + minSeconds,
                "-f",
                "null",
                "-"));
    List<Double> found = new ArrayList<>();
    Matcher m = SILENCE.matcher(out);
    while (m.find()) found.add(Double.parseDouble(m.group(1)));
    return found;
  }

  /** A named pipe: opening it for writing blocks until someone opens it for reading. */
  static Path fifo(Path dir, String name) {
    Path p = dir.resolve(name);
    run(List.of("mkfifo", p.toString()));
    return p;
  }
}
