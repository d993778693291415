package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.Settings;

/**
 * Makes one profile's rendition of a clip: encodes it (trim, channel layout, high-pass, linear gain
 * to target, limiter) into a temporary file, measures the result, encodes once more with corrected
 * gain when it missed the target, and moves it into place atomically.
 */
final class RenditionEncoder {
  private static final Logger log = LoggerFactory.getLogger(RenditionEncoder.class);

  /** A rendition further than this from its target is encoded once more with corrected gain. */
  private static final double CORRECT_ABOVE_LU = 0.5;

  /** The limiter works on samples; this headroom keeps true (inter-sample) peaks under target. */
  private static final double LIMITER_MARGIN_DB = 1.0;

  /** The share of a rendition's progress the encode fills; measuring takes the rest. */
  private static final double ENCODE_SHARE = 0.85;

  /** A rendition in place, and how long it plays as measured. */
  record Rendered(Rendition rendition, double seconds) {}

  /** A finished rendition file as measured. */
  private record Measured(double lufs, double seconds, FfmpegLog.AudioStream stream) {}

  private final FfmpegSteps ffmpeg;
  private final MediaDirectories directories;

  RenditionEncoder(FfmpegSteps ffmpeg, MediaDirectories directories) {
    this.ffmpeg = ffmpeg;
    this.directories = directories;
  }

  /**
   * Renders the clip for one profile, reporting progress from {@code from} over {@code span}
   * points.
   */
  Rendered render(
      ClipJob job,
      Path source,
      LoudnessAnalysis.Result analysis,
      RenditionProfile profile,
      double from,
      double span)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    Settings.Profile p = profile.settings();
    int channels = profile.channelsFor(analysis.channels());
    Path tmp = job.temporaryFile(profile.name(), profile.encoding().extension());
    Measured m = encodeToTarget(job, source, tmp, analysis, profile, channels, from, span);
    job.progress(from + span);

    long bytes = Files.size(tmp);
    String name = profile.fileName(job.clip().contentHash());
    Files.move(
        tmp,
        directories.rendition(name),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    job.keep(tmp);
    FfmpegLog.AudioStream s = m.stream();
    Rendition rendition =
        new Rendition(
            Rendition.URL_PREFIX + name,
            name,
            profile.encoding().codec(),
            s != null && s.channels() > 0 ? s.channels() : channels,
            s != null && s.sampleRate() > 0 ? s.sampleRate() : p.sampleRate(),
            p.bitrate(),
            bytes,
            p.targetLufs(),
            Units.round1(m.lufs()));
    return new Rendered(rendition, m.seconds());
  }

  /**
   * Encodes with the gain the analysis predicts and, when the limiter or the encoder moved the
   * loudness off target, once more with the difference added; the second try reports its progress
   * in the second half of the span.
   */
  private Measured encodeToTarget(
      ClipJob job,
      Path source,
      Path tmp,
      LoudnessAnalysis.Result analysis,
      RenditionProfile profile,
      int channels,
      double from,
      double span)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    double target = profile.settings().targetLufs();
    double gain = target - analysis.profileLufs().get(profile.name());
    Measured m = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      double encodeFrom = from + (attempt == 0 ? 0 : span * 0.5);
      double encodeSpan = span * ENCODE_SHARE / (attempt == 0 ? 1 : 2);
      encode(job, source, tmp, profile, channels, gain, analysis, encodeFrom, encodeSpan);
      m = measure(tmp, profile.name());
      double off = target - m.lufs();
      if (Math.abs(off) <= CORRECT_ABOVE_LU || !Double.isFinite(m.lufs())) break;
      log.info(
          "Clip {} {} rendition measured {} for a target of {}; encoding again with {} dB more",
          job.id(),
          profile.name(),
          Units.lufs(m.lufs()),
          Units.lufs(target),
          String.format(Locale.ROOT, "%.1f", off));
      gain += off;
    }
    if (Math.abs(target - m.lufs()) > 1.0) {
      log.warn(
          "Clip {} {} rendition ends at {} for a target of {} (limited by its peaks)",
          job.id(),
          profile.name(),
          Units.lufs(m.lufs()),
          Units.lufs(target));
    }
    return m;
  }

  private void encode(
      ClipJob job,
      Path source,
      Path tmp,
      RenditionProfile profile,
      int channels,
      double gainDb,
      LoudnessAnalysis.Result analysis,
      double from,
      double span)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    Settings.Profile p = profile.settings();
    List<String> args =
        FfmpegCommands.encode(
            source,
            tmp,
            profile.encoding(),
            channels,
            p.sampleRate(),
            p.bitrate(),
            p.highpassHz(),
            gainDb,
            p.truePeakDb() - LIMITER_MARGIN_DB,
            analysis.trimStart(),
            analysis.trimEnd());
    double expected = analysis.playSeconds();
    String doing = "encoding the " + profile.name() + " rendition";
    FfmpegSteps.Step step =
        ffmpeg.run(args, doing, us -> job.progress(from + span * Math.min(1, us / 1e6 / expected)));
    if (step.log().diskFull()) {
      throw new ClipRefused(ClipRefused.DISK_FULL);
    }
    if (!step.ok()) {
      throw new ClipRefused(doing + " failed" + step.says());
    }
  }

  private Measured measure(Path file, String profile)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    String doing = "measuring the " + profile + " rendition";
    AtomicLong micros = new AtomicLong();
    FfmpegSteps.Step step = ffmpeg.run(FfmpegCommands.measure(file, 0), doing, micros::set);
    if (!step.ok()) {
      // our own output does not decode: a fault of the server, not of the upload
      throw new IllegalStateException(
          "the "
              + profile
              + " rendition just written does not decode: "
              + lastChars(step.stderrTail(), 300));
    }
    double seconds = micros.get() / 1e6;
    FfmpegLog.Loudness l = step.loudness("ebur128@output");
    if (seconds < LoudnessAnalysis.SHORT_CLIP_SECONDS && l.integratedLufs() <= -70) {
      int loops = LoudnessAnalysis.loopsToMeasure(seconds);
      l = ffmpeg.run(FfmpegCommands.measure(file, loops), doing).loudness("ebur128@output");
    }
    return new Measured(l.integratedLufs(), seconds, step.log().audio().orElse(null));
  }

  private static String lastChars(String text, int n) {
    return text.length() <= n ? text.strip() : "..." + text.substring(text.length() - n).strip();
  }
}
