package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.xiaolaba.config.Settings;

/**
 * The first stage of a clip: a header probe, then one run that decodes the whole file, checking
 * that it decodes and measuring EBU R128 loudness, sample peak, leading and trailing silence
 * ({@code media.silence}), and the loudness each profile's channel layout and filters give. Refuses
 * files that are unreadable, damaged, truncated, too long or silent. The input's true peak is
 * measured later, alongside the renditions ({@link RenditionEncoder}).
 */
final class LoudnessAnalysis {
  /** Clips shorter than this are measured looped: EBU R128 needs 400 ms blocks. */
  static final double SHORT_CLIP_SECONDS = 0.5;

  /**
   * The lowest sample rate taken: below any real recording's (telephone audio is 8 kHz). A header
   * that claims a rate of a few hertz makes a small file hours long, and measuring its loudness
   * (resampled to 48 kHz) takes ffmpeg minutes and gigabytes: 10 GiB for 16 KiB at 1 Hz.
   */
  static final int MIN_SAMPLE_RATE = 4000;

  /** The share of a clip's progress bar the analysis fills; the renditions get the rest. */
  static final double PROGRESS_SHARE = 20;

  /** Silence kept before the first and after the last sound when trimming. */
  private static final double TRIM_PAD_START_SECONDS = 0.1;

  private static final double TRIM_PAD_END_SECONDS = 0.25;

  /** What the analysis found out about an input; a sample rate of 0 is unknown. */
  record Result(
      double decodedSeconds,
      int channels,
      int sampleRate,
      double inputLufs,
      Map<String, Double> profileLufs,
      Double trimStart,
      Double trimEnd) {
    /** How long the clip plays once trimmed. */
    double playSeconds() {
      double end = trimEnd != null ? trimEnd : decodedSeconds;
      double start = trimStart != null ? trimStart : 0;
      return Math.max(0.01, end - start);
    }
  }

  /** What the header probe found. {@code roughSeconds} may be estimated: only for progress. */
  private record Probe(
      int channels,
      int sampleRate,
      Optional<Double> declaredSeconds,
      Double roughSeconds,
      boolean hasVideo) {}

  /** The decode run and how much audio it decoded. */
  private record Decoded(FfmpegSteps.Step step, double seconds) {}

  /**
   * The shaping chains measured as branches of the decode run, and which branch (from 1) measures
   * each profile; a profile that leaves the sound as it is has none and takes the input's figure.
   */
  private record Branches(List<String> chains, Map<String, Integer> byProfile) {}

  /** Where the trimmed clip starts and ends, in the input's seconds; null where not trimmed. */
  private record Trim(Double start, Double end) {}

  private final FfmpegSteps ffmpeg;
  private final List<RenditionProfile> profiles;
  private final double maxSeconds;
  private final Settings.Silence silence;

  LoudnessAnalysis(
      FfmpegSteps ffmpeg,
      List<RenditionProfile> profiles,
      Duration maxDuration,
      Settings.Silence silence) {
    this.ffmpeg = ffmpeg;
    this.profiles = profiles;
    this.maxSeconds = maxDuration.toMillis() / 1000.0;
    this.silence = silence;
  }

  /** How many times to loop a short file so that its loudness can be measured at all. */
  static int loopsToMeasure(double seconds) {
    return (int) Math.min(50, Math.ceil(1.0 / Math.max(seconds, 0.02)));
  }

  Result run(ClipJob job, Path source)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    Probe probe = probe(source);
    Branches branches = branches(probe.channels());
    // decoding stops just past the maximum: enough to tell the file is too long
    long limit = (long) Math.ceil(maxSeconds) + 1;
    Decoded decoded = decode(job, source, probe, branches, limit);
    FfmpegSteps.Step measured = loudnessRun(source, branches, limit, decoded);
    FfmpegLog.Loudness input = measured.loudness("ebur128@input");
    refuseSilence(input);
    Map<String, Double> profileLufs = profileLoudness(measured, branches, input);
    Trim trim = trim(decoded.step().log(), decoded.seconds());
    job.progress(PROGRESS_SHARE);
    return new Result(
        decoded.seconds(),
        probe.channels(),
        probe.sampleRate(),
        input.integratedLufs(),
        profileLufs,
        trim.start(),
        trim.end());
  }

  /** Opens the file and reads its header: refuses what is not audio before decoding anything. */
  private Probe probe(Path source)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    FfmpegSteps.Step step = ffmpeg.run(FfmpegCommands.probe(source), "checking the file");
    FfmpegLog probe = step.log();
    if (!probe.inputOpened()) throw new ClipRefused(unreadable(step));
    FfmpegLog.AudioStream audio =
        probe
            .audio()
            .orElseThrow(
                () ->
                    new ClipRefused(
                        probe.hasVideo()
                            ? "the file has no audio stream (it is a video without sound)"
                            : "the file has no audio stream"));
    if (audio.sampleRate() > 0 && audio.sampleRate() < MIN_SAMPLE_RATE) {
      throw new ClipRefused(
          "the file's audio has a sample rate of "
              + audio.sampleRate()
              + " Hz, below the "
              + MIN_SAMPLE_RATE
              + " Hz of any recording: its header is damaged; export the recording again");
    }
    Optional<Double> declared = probe.declaredSeconds();
    long bytes = Files.size(source);
    if ("wav".equals(probe.inputFormat())) {
      refuseTruncatedWav(source);
    }
    if (declared.isPresent()
        && declared.get() > maxSeconds
        && bytes * 8 / declared.get() >= 2000) { // a plausible bit rate: not a lying header
      throw new ClipRefused(tooLong(declared.get()));
    }
    int channels = audio.channels() > 0 ? audio.channels() : 2;
    return new Probe(
        channels,
        audio.sampleRate(),
        declared,
        probe.roughSeconds().orElse(null),
        probe.hasVideo());
  }

  /** ffmpeg caps a WAV's declared size to the file, so it would pass a cut-off file as shorter. */
  private static void refuseTruncatedWav(Path source) throws ClipRefused, IOException {
    Optional<RiffHeader.DataChunk> chunk = RiffHeader.dataChunk(source);
    if (chunk.isPresent() && chunk.get().truncated()) {
      throw new ClipRefused(
          "the file is truncated: its header declares "
              + Units.bytes(chunk.get().declared())
              + " of audio data but only "
              + Units.bytes(chunk.get().present())
              + " are there");
    }
  }

  private Branches branches(int sourceChannels) {
    List<String> chains = new ArrayList<>();
    Map<String, Integer> byProfile = new HashMap<>();
    for (RenditionProfile profile : profiles) {
      int out = profile.channelsFor(sourceChannels);
      int highpass = profile.settings().highpassHz();
      if (out != sourceChannels || highpass > 0) {
        String chain = FfmpegCommands.shapingChain(out, 0, highpass);
        int index = chains.indexOf(chain);
        if (index < 0) {
          chains.add(chain);
          index = chains.size() - 1;
        }
        byProfile.put(profile.name(), index + 1);
      }
    }
    return new Branches(chains, byProfile);
  }

  /** Decodes the whole file: damaged, truncated or overlong audio shows only here. */
  private Decoded decode(ClipJob job, Path source, Probe probe, Branches branches, long limit)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    Double rough = probe.roughSeconds();
    AtomicLong decodedMicros = new AtomicLong();
    FfmpegSteps.Step step =
        ffmpeg.run(
            FfmpegCommands.analyze(source, branches.chains(), silence, limit, 0),
            "decoding the file",
            us -> {
              decodedMicros.set(us);
              if (rough != null && rough > 0) {
                job.progress(PROGRESS_SHARE * Math.min(1, us / 1e6 / rough));
              }
            });
    if (!step.ok()) {
      throw new ClipRefused("the audio could not be decoded" + step.says());
    }
    if (step.log().errorCount() > 0) {
      throw new ClipRefused("the file has damaged data that cannot be decoded" + step.says());
    }
    double decoded = decodedMicros.get() / 1e6;
    if (decoded <= 0) {
      throw new ClipRefused("the file contains no audio (its duration is zero)");
    }
    if (decoded > maxSeconds) {
      throw new ClipRefused(tooLong(decoded));
    }
    // a video's container duration may be the video's, longer than its sound
    if (probe.declaredSeconds().isPresent() && !probe.hasVideo()) {
      double expected = probe.declaredSeconds().get();
      if (decoded < expected - Math.max(0.5, expected * 0.01)) {
        throw new ClipRefused(
            "the file is truncated: its audio ends after "
                + Units.seconds(decoded)
                + " but the file declares "
                + Units.seconds(expected));
      }
    }
    return new Decoded(step, decoded);
  }

  /**
   * The run whose loudness figures count: the decode run, or, for a clip with sound but too short
   * for one 400 ms loudness block, a run that measures it looped.
   */
  private FfmpegSteps.Step loudnessRun(Path source, Branches branches, long limit, Decoded decoded)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    FfmpegLog.Loudness input = decoded.step().loudness("ebur128@input");
    boolean unmeasured =
        decoded.seconds() < SHORT_CLIP_SECONDS
            && input.integratedLufs() <= -70
            && input.peakDb() != null
            && input.peakDb() > silence.silentBelowLufs();
    if (!unmeasured) return decoded.step();
    int loops = loopsToMeasure(decoded.seconds());
    return ffmpeg.run(
        FfmpegCommands.analyze(source, branches.chains(), silence, limit, loops),
        "measuring the loudness");
  }

  /** Refuses a silent input (media.silence.silentBelowLufs). */
  private void refuseSilence(FfmpegLog.Loudness input) throws ClipRefused {
    double peak = input.peakDb() == null ? Double.NEGATIVE_INFINITY : input.peakDb();
    if (input.integratedLufs() < silence.silentBelowLufs() || peak == Double.NEGATIVE_INFINITY) {
      throw new ClipRefused(
          "the clip is silent: its integrated loudness, "
              + Units.lufs(input.integratedLufs())
              + ", is below "
              + Units.lufs(silence.silentBelowLufs())
              + " (media.silence.silentBelowLufs). There is nothing to broadcast, and amplifying"
              + " it would only make noise; check the recording and upload it again");
    }
  }

  /** Each profile's loudness before gain; a profile whose filters leave nothing is refused. */
  private Map<String, Double> profileLoudness(
      FfmpegSteps.Step measured, Branches branches, FfmpegLog.Loudness input) throws ClipRefused {
    Map<String, Double> profileLufs = new HashMap<>();
    for (RenditionProfile profile : profiles) {
      Integer branch = branches.byProfile().get(profile.name());
      double value =
          branch == null
              ? input.integratedLufs()
              : measured.loudness("ebur128@b" + branch).integratedLufs();
      if (value < silence.silentBelowLufs()) {
        throw new ClipRefused(
            "the clip has no sound the "
                + profile.name()
                + " rendition can carry (after its "
                + profile.settings().highpassHz()
                + " Hz high-pass filter it is silent)");
      }
      profileLufs.put(profile.name(), value);
    }
    return profileLufs;
  }

  /**
   * Where to cut leading and trailing silence, keeping a little of it; null where nothing is cut.
   */
  private static Trim trim(FfmpegLog analysis, double decoded) {
    Double start =
        analysis
            .leadingSilenceEnd()
            .map(end -> end - TRIM_PAD_START_SECONDS)
            .filter(s -> s > 0.01)
            .orElse(null);
    Double end =
        analysis
            .trailingSilenceStart(decoded)
            .map(s -> s + TRIM_PAD_END_SECONDS)
            .filter(e -> e < decoded)
            .orElse(null);
    if (start != null && end != null && end - start < 0.1) {
      // what is left between the silences is too short to be the clip: keep it all
      return new Trim(null, null);
    }
    return new Trim(start, end);
  }

  private static String unreadable(FfmpegSteps.Step probe) {
    Optional<String> format = probe.log().refusedFormat();
    if (format.isPresent()) {
      return "the file is not an accepted audio or video file: ffmpeg recognised it as '"
          + format.get()
          + "', and playlists, scripts, references to other files and images are refused";
    }
    Optional<String> protocol = probe.log().refusedProtocol();
    if (protocol.isPresent()) {
      return "the file refers to other files or network addresses ('"
          + protocol.get()
          + "'), which is refused; upload the audio itself";
    }
    return "the file is not a recognisable audio or video file" + probe.says();
  }

  private String tooLong(double seconds) {
    return "the clip is longer than the maximum of "
        + Units.duration(Duration.ofMillis(Math.round(maxSeconds * 1000)))
        + " (media.maxDuration): it lasts at least "
        + Units.duration(Duration.ofMillis(Math.round(seconds * 1000)));
  }
}
