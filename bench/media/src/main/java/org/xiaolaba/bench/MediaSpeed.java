package org.xiaolaba.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.SettingsLoader;
import org.xiaolaba.config.ffmpeg.FfmpegBinaries;
import org.xiaolaba.config.ffmpeg.FfmpegLocator;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.Rendition;

/**
 * Issue 3's speed benchmark: a long stereo MP3 goes through a full {@code ClipLibrary} ingest
 * (check, measure, both renditions, to ready), and side by side, in the same run and interleaved,
 * bare ffmpeg makes the same two renditions without normalisation. Prints a Markdown report.
 *
 * <pre>
 * bench/media-speed.sh [--runs N] [--minutes M] [--skip-loudnorm] [--work DIR]
 * </pre>
 */
public final class MediaSpeed {
  private int runs = 3;
  private double minutes = 10;
  private boolean loudnorm = true;
  private Path work = Path.of("bench", "media", "target", "media-speed");

  private final Series oneRun = new Series("(a) bare ffmpeg: one run writing both renditions");
  private final Series perRendition =
      new Series("(a′) bare ffmpeg: one run per rendition, started together");
  private final Series ingest =
      new Series("(b) ClipLibrary: ingest to ready (check, measure, both renditions)");
  private final Map<String, List<Double>> stages = new LinkedHashMap<>();
  private final List<Series> reference = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    MediaSpeed bench = new MediaSpeed();
    bench.parse(args);
    bench.run();
    System.exit(0); // the embedded Redis and the library are closed; nothing left to wait for
  }

  private void parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--minutes" -> minutes = Double.parseDouble(args[++i]);
        case "--skip-loudnorm" -> loudnorm = false;
        case "--work" -> work = Path.of(args[++i]);
        default ->
            throw new IllegalArgumentException(
                "unknown option '"
                    + args[i]
                    + "': use --runs N, --minutes M, --skip-loudnorm, --work DIR");
      }
    }
    if (runs < 1) throw new IllegalArgumentException("--runs must be at least 1");
  }

  private void run() throws Exception {
    work = work.toAbsolutePath();
    Files.createDirectories(work);
    String loadBefore = Machine.load();
    Settings defaults = new SettingsLoader().defaults();
    FfmpegBinaries binaries = new FfmpegLocator().locate(defaults.ffmpeg(), work.resolve("bin"));
    Ffmpeg ffmpeg = new Ffmpeg(binaries.ffmpeg());
    log("making the %s-minute input", minutes);
    Path input = LongClip.make(ffmpeg, work.resolve("input"), minutes * 60);
    Path warmUpInput = LongClip.make(ffmpeg, work.resolve("input"), 20);
    Path out = Files.createDirectories(work.resolve("bare"));

    Clip clip = null;
    try (PipelineRun pipeline = new PipelineRun(work, binaries)) {
      BareRenditions bare = new BareRenditions(ffmpeg, pipeline.settings().media().profiles(), out);
      log("warming up on a 20 s clip");
      bare.oneRun(warmUpInput);
      pipeline.ingest(warmUpInput);
      for (int i = 1; i <= runs; i++) {
        log("run %d of %d: bare ffmpeg, one run", i, runs);
        oneRun.measure(() -> bare.oneRun(input));
        log("run %d of %d: bare ffmpeg, one run per rendition at once", i, runs);
        perRendition.measure(() -> bare.runPerRendition(input));
        log("run %d of %d: ClipLibrary ingest", i, runs);
        double cpuBefore = Machine.childCpuSeconds();
        PipelineRun.Timed timed = pipeline.ingest(input);
        ingest.add(timed.seconds(), Machine.childCpuSeconds() - cpuBefore);
        timed.stages().forEach((s, v) -> stages.computeIfAbsent(s, k -> new ArrayList<>()).add(v));
        clip = timed.clip();
      }
      log("reference points");
      once("bare ffmpeg, the loudspeaker MP3 alone", () -> bare.single(input, "loudspeaker"));
      once("bare ffmpeg, the app AAC alone", () -> bare.single(input, "app"));
      once("ebur128 measurement", () -> bare.measure(input, false));
      once("ebur128 measurement with true peak", () -> bare.measure(input, true));
      if (loudnorm) {
        log("two-pass loudnorm (half a minute or more)");
        once(
            "two-pass loudnorm recipe, the loudspeaker MP3 alone",
            () -> bare.loudnormTwoPass(input, "loudspeaker"));
      }
    }
    System.out.println(report(binaries, input, loadBefore, clip));
  }

  private void once(String name, Series.Run run) throws Exception {
    Series s = new Series(name);
    s.measure(run);
    reference.add(s);
  }

  private String report(FfmpegBinaries binaries, Path input, String loadBefore, Clip clip)
      throws Exception {
    double bare = oneRun.wall();
    StringBuilder r = new StringBuilder();
    r.append("## Media pipeline speed, ")
        .append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
        .append("\n\n- machine: ")
        .append(Machine.cores())
        .append(" cores, ")
        .append(Machine.cpuModel())
        .append(", ")
        .append(Machine.memory())
        .append(" RAM\n- load average (1, 5, 15 min): before ")
        .append(loadBefore)
        .append(", after ")
        .append(Machine.load())
        .append("\n- ffmpeg: ")
        .append(binaries.version().replaceFirst(" Copyright.*", "").trim())
        .append(" (")
        .append(binaries.source())
        .append(")\n")
        .append(
            String.format(
                Locale.ROOT,
                "- input: %s min stereo MP3, 192 kbps, 44.1 kHz, %.1f MB; runs of each: %d,"
                    + " interleaved\n\n",
                minutes == Math.rint(minutes)
                    ? String.valueOf((long) minutes)
                    : String.valueOf(minutes),
                Files.size(input) / 1e6,
                runs));
    r.append("| what | runs, wall (s) | median wall (s) | × (a) | median CPU (s) |\n");
    r.append("|---|---|---|---|---|\n");
    for (Series s : List.of(oneRun, perRendition, ingest)) row(r, s, s.walls(), bare);
    r.append(
        String.format(
            Locale.ROOT,
            "\n**(b) / (a) = %.2f×** (goal ≤ 1.5×, aim 1.2×); (b) / (a′) = %.2f×\n\n",
            ingest.wall() / bare,
            ingest.wall() / perRendition.wall()));
    r.append("Ingest stages (median wall time, from a stage's first event to the next's):\n\n");
    r.append("| stage | median (s) |\n|---|---|\n");
    stages.forEach(
        (s, v) -> r.append(String.format(Locale.ROOT, "| %s | %.2f |\n", s, Series.median(v))));
    r.append("\nThe clip: input ")
        .append(clip.loudness().inputLufs())
        .append(" LUFS, true peak ")
        .append(clip.loudness().inputTruePeakDb())
        .append(" dBTP");
    for (Map.Entry<String, Rendition> e : clip.renditions().entrySet()) {
      r.append("; ").append(e.getKey()).append(' ').append(e.getValue().outputLufs());
      r.append(" LUFS");
    }
    r.append("\n\nReference points (one run each):\n\n");
    r.append("| what | wall (s) | × (a) | CPU (s) |\n|---|---|---|---|\n");
    for (Series s : reference) {
      r.append(
          String.format(
              Locale.ROOT,
              "| %s | %.2f | %.2f | %.2f |\n",
              s.name,
              s.wall(),
              s.wall() / bare,
              s.cpu()));
    }
    return r.toString();
  }

  private static void row(StringBuilder r, Series s, String each, double bare) {
    r.append(
        String.format(
            Locale.ROOT,
            "| %s | %s | %.2f | %.2f | %.2f |\n",
            s.name,
            each,
            s.wall(),
            s.wall() / bare,
            s.cpu()));
  }

  private static void log(String format, Object... args) {
    System.err.printf(
        Locale.ROOT,
        "[bench] %s (load %s)%n",
        String.format(Locale.ROOT, format, args),
        Machine.load());
  }
}
