package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.Settings;

/**
 * Makes every rendition of a clip: one ffmpeg run per profile, all started together, each trimming,
 * shaping (channel layout, high-pass), applying the linear gain to target and the true-peak limiter
 * and encoding into a temporary file; the run of the cheapest rendition also measures the input's
 * true peak. Then every file is measured, again all at once, by decoding it: a rendition that
 * missed its target by more than half a LU (the limiter took more than expected) is encoded and
 * measured once more with the difference added. Then each file is moved into place atomically.
 *
 * <p>Why one run per rendition rather than one run writing them all: ffmpeg 4.4 encodes the outputs
 * of one run one after the other on one thread, so separate runs finish in the time of the longest
 * one where there are cores for them, for the price of decoding the input once more per rendition
 * (the cheapest step). A clip never runs more ffmpeg processes at once than it has profiles.
 *
 * <p>Why the files are decoded to be measured rather than measured on a branch of the encoding run:
 * the encoders change the loudness. LAME scales its input by 0.95 in CBR up to 160 kbps (0.45 dB
 * less), and every encoder's low-pass takes some of the highs; what goes into the encoder can be
 * half a LU off what comes out. docs/BENCHMARKS.md has the figures.
 */
final class RenditionEncoder {
  private static final Logger log = LoggerFactory.getLogger(RenditionEncoder.class);

  /** A rendition further than this from its target is encoded once more with corrected gain. */
  private static final double CORRECT_ABOVE_LU = 0.5;

  /** The limiter works on samples; this headroom keeps true (inter-sample) peaks under target. */
  private static final double LIMITER_MARGIN_DB = 1.0;

  /** Shares of the progress span: the encodes, then measuring; a correction takes the rest. */
  private static final double ENCODE_SHARE = 0.75;

  private static final double MEASURE_SHARE = 0.15;

  /**
   * The renditions in place, by profile; how long the clip plays (as the first profile's run
   * encoded it); the input's true peak (null when it was -inf).
   */
  record Rendered(Map<String, Rendition> renditions, double seconds, Double inputTruePeakDb) {}

  /** A finished rendition file as measured. */
  private record Measured(double lufs, double seconds, FfmpegLog.AudioStream stream) {}

  private final FfmpegSteps ffmpeg;
  private final MediaDirectories directories;

  RenditionEncoder(FfmpegSteps ffmpeg, MediaDirectories directories) {
    this.ffmpeg = ffmpeg;
    this.directories = directories;
  }

  /** Renders every profile, reporting progress from {@code from} over {@code span} points. */
  Rendered renderAll(
      ClipJob job,
      Path source,
      LoudnessAnalysis.Result analysis,
      List<RenditionProfile> profiles,
      double from,
      double span)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    List<Pending> all = new ArrayList<>();
    for (RenditionProfile profile : profiles) {
      double gain = profile.settings().targetLufs() - analysis.profileLufs().get(profile.name());
      Path tmp = job.temporaryFile(profile.name(), profile.encoding().extension());
      all.add(new Pending(profile, profile.channelsFor(analysis.channels()), tmp, gain));
    }
    // the fewest bits to encode: its run has time to spare while the others finish
    Pending measuresPeak =
        all.stream().min(Comparator.comparingLong(Pending::encodingCost)).orElseThrow();
    double encodeSpan = span * ENCODE_SHARE;
    double measureSpan = span * MEASURE_SHARE;
    List<FfmpegSteps.Step> steps =
        encode(job, source, analysis, all, measuresPeak, from, encodeSpan);
    Double truePeak = truePeak(steps.get(all.indexOf(measuresPeak)));
    measure(job, all, analysis.playSeconds(), from + encodeSpan, measureSpan);

    double done = encodeSpan + measureSpan;
    correct(job, source, analysis, all, from + done, span - done);

    Map<String, Rendition> renditions = new LinkedHashMap<>();
    for (Pending p : all) {
      if (Math.abs(p.target() - p.measured.lufs()) > 1.0) {
        log.warn(
            "Clip {} {} rendition ends at {} for a target of {} (limited by its peaks)",
            job.id(),
            p.profile.name(),
            Units.lufs(p.measured.lufs()),
            Units.lufs(p.target()));
      }
      renditions.put(p.profile.name(), place(job, p));
    }
    job.progress(from + span);
    return new Rendered(renditions, all.get(0).measured.seconds(), truePeak);
  }

  /**
   * Encodes and measures once more, with the difference added to the gain, the renditions that
   * missed their target by more than {@value #CORRECT_ABOVE_LU} LU: the limiter took more than the
   * analysis foresaw.
   */
  private void correct(
      ClipJob job,
      Path source,
      LoudnessAnalysis.Result analysis,
      List<Pending> all,
      double from,
      double span)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    List<Pending> off = all.stream().filter(Pending::needsCorrection).toList();
    if (off.isEmpty()) return;
    for (Pending p : off) {
      double correction = p.target() - p.measured.lufs();
      log.info(
          "Clip {} {} rendition measured {} for a target of {}; encoding again with {} dB more",
          job.id(),
          p.profile.name(),
          Units.lufs(p.measured.lufs()),
          Units.lufs(p.target()),
          String.format(Locale.ROOT, "%.1f", correction));
      p.gainDb += correction;
    }
    encode(job, source, analysis, off, null, from, span * 0.8);
    measure(job, off, analysis.playSeconds(), from + span * 0.8, span * 0.2);
  }

  /** The input's true peak as the run measured it; null when it was -inf or not found. */
  private static Double truePeak(FfmpegSteps.Step step) {
    return step.log().peakLevel("truepeak").filter(Double::isFinite).orElse(null);
  }

  /** Runs the encodes of {@code batch} at once; {@code measuresPeak}'s run measures true peak. */
  private List<FfmpegSteps.Step> encode(
      ClipJob job,
      Path source,
      LoudnessAnalysis.Result analysis,
      List<Pending> batch,
      Pending measuresPeak,
      double from,
      double span)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    double expected = analysis.playSeconds();
    double[] reached = new double[batch.size()];
    List<FfmpegSteps.Planned> planned = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      int index = i;
      planned.add(
          new FfmpegSteps.Planned(
              FfmpegCommands.render(source, p.tmp, p.render(analysis, p == measuresPeak)),
              p.doing(),
              us ->
                  job.progress(from + span * averageReached(reached, index, us / 1e6 / expected))));
    }
    List<FfmpegSteps.Step> steps = ffmpeg.runTogether(planned);
    for (int i = 0; i < steps.size(); i++) {
      FfmpegSteps.Step step = steps.get(i);
      if (step.log().diskFull()) throw new ClipRefused(ClipRefused.DISK_FULL);
      if (!step.ok()) throw new ClipRefused(batch.get(i).doing() + " failed" + step.says());
    }
    return steps;
  }

  /** Records one run's share done and answers the share of the whole batch. */
  private static double averageReached(double[] reached, int index, double share) {
    synchronized (reached) {
      reached[index] = Math.min(1, share);
      double sum = 0;
      for (double r : reached) sum += r;
      return sum / reached.length;
    }
  }

  /**
   * Measures the finished files of {@code batch} at once, each decoded on its own; a clip too short
   * for one loudness block is measured again, looped.
   */
  private void measure(ClipJob job, List<Pending> batch, double expected, double from, double span)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    double[] reached = new double[batch.size()];
    AtomicLongArray micros = new AtomicLongArray(batch.size());
    List<FfmpegSteps.Planned> planned = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      int index = i;
      planned.add(
          new FfmpegSteps.Planned(
              FfmpegCommands.measure(p.tmp, 0),
              p.measuring(),
              us -> {
                micros.set(index, us);
                job.progress(from + span * averageReached(reached, index, us / 1e6 / expected));
              }));
    }
    List<FfmpegSteps.Step> steps = ffmpeg.runTogether(planned);
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      FfmpegSteps.Step step = steps.get(i);
      requireDecodes(p, step);
      double seconds = micros.get(i) / 1e6;
      FfmpegLog.Loudness l = step.loudness("ebur128@output");
      if (seconds < LoudnessAnalysis.SHORT_CLIP_SECONDS && l.integratedLufs() <= -70) {
        int loops = LoudnessAnalysis.loopsToMeasure(seconds);
        FfmpegSteps.Step looped = ffmpeg.run(FfmpegCommands.measure(p.tmp, loops), p.measuring());
        requireDecodes(p, looped);
        l = looped.loudness("ebur128@output");
      }
      p.measured = new Measured(l.integratedLufs(), seconds, step.log().audio().orElse(null));
    }
  }

  private static void requireDecodes(Pending p, FfmpegSteps.Step step) {
    if (!step.ok()) {
      // our own output does not decode: a fault of the server, not of the upload
      throw new IllegalStateException(
          "the "
              + p.profile.name()
              + " rendition just written does not decode: "
              + lastChars(step.stderrTail(), 300));
    }
  }

  /** Moves the finished file into place under its content-hash name. */
  private Rendition place(ClipJob job, Pending p) throws IOException {
    Settings.Profile s = p.profile.settings();
    long bytes = Files.size(p.tmp);
    String name = p.profile.fileName(job.clip().contentHash());
    Files.move(
        p.tmp,
        directories.rendition(name),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    job.keep(p.tmp);
    FfmpegLog.AudioStream stream = p.measured.stream();
    return new Rendition(
        Rendition.URL_PREFIX + name,
        name,
        p.profile.encoding().codec(),
        stream != null && stream.channels() > 0 ? stream.channels() : p.channels,
        stream != null && stream.sampleRate() > 0 ? stream.sampleRate() : s.sampleRate(),
        s.bitrate(),
        bytes,
        s.targetLufs(),
        Units.round1(p.measured.lufs()));
  }

  private static String lastChars(String text, int n) {
    return text.length() <= n ? text.strip() : "..." + text.substring(text.length() - n).strip();
  }

  /** One profile's rendition on its way: its file, its gain so far and what its run measured. */
  private static final class Pending {
    final RenditionProfile profile;
    final int channels;
    final Path tmp;
    double gainDb;
    Measured measured;

    Pending(RenditionProfile profile, int channels, Path tmp, double gainDb) {
      this.profile = profile;
      this.channels = channels;
      this.tmp = tmp;
      this.gainDb = gainDb;
    }

    double target() {
      return profile.settings().targetLufs();
    }

    long encodingCost() {
      return (long) channels * profile.settings().bitrate();
    }

    String doing() {
      return "encoding the " + profile.name() + " rendition";
    }

    String measuring() {
      return "measuring the " + profile.name() + " rendition";
    }

    boolean needsCorrection() {
      double lufs = measured.lufs();
      return Double.isFinite(lufs) && Math.abs(target() - lufs) > CORRECT_ABOVE_LU;
    }

    FfmpegCommands.Render render(LoudnessAnalysis.Result analysis, boolean truePeak) {
      int truePeakRate = truePeak ? FfmpegCommands.truePeakRate(analysis.sampleRate()) : 0;
      Settings.Profile p = profile.settings();
      return new FfmpegCommands.Render(
          profile.encoding(),
          channels,
          p.sampleRate(),
          p.bitrate(),
          p.highpassHz(),
          gainDb,
          p.truePeakDb() - LIMITER_MARGIN_DB,
          analysis.trimStart(),
          analysis.trimEnd(),
          truePeakRate);
    }
  }
}
