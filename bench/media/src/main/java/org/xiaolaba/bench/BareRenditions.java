package org.xiaolaba.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xiaolaba.config.Settings;

/**
 * What plain ffmpeg does for the same renditions without any normalisation: the same codecs,
 * bitrates, channels and sample rates as the configured profiles, nothing else. Also the issue's
 * reference points: one mono MP3 alone, an EBU R128 measurement, and the common two-pass {@code
 * loudnorm} recipe.
 */
final class BareRenditions {
  private final Ffmpeg ffmpeg;
  private final Map<String, Settings.Profile> profiles;
  private final Path outDir;

  BareRenditions(Ffmpeg ffmpeg, Map<String, Settings.Profile> profiles, Path outDir) {
    this.ffmpeg = ffmpeg;
    this.profiles = profiles;
    this.outDir = outDir;
  }

  /** One ffmpeg run that decodes once and writes every rendition. */
  double oneRun(Path input) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("-v", "error", "-i", input.toString()));
    profiles.forEach((name, p) -> args.addAll(output(name, p)));
    return ffmpeg.time(args);
  }

  /** One ffmpeg run per rendition, all started at once. */
  double runPerRendition(Path input) throws IOException, InterruptedException {
    List<List<String>> runs = new ArrayList<>();
    profiles.forEach(
        (name, p) -> {
          List<String> args = new ArrayList<>(List.of("-v", "error", "-i", input.toString()));
          args.addAll(output(name, p));
          runs.add(args);
        });
    return ffmpeg.timeTogether(runs);
  }

  /** One rendition alone (the "mono 64 kbps MP3" figure). */
  double single(Path input, String profile) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("-v", "error", "-i", input.toString()));
    args.addAll(output(profile, profiles.get(profile)));
    return ffmpeg.time(args);
  }

  /** An EBU R128 measurement of the input, with or without true peak. */
  double measure(Path input, boolean truePeak) throws IOException, InterruptedException {
    return ffmpeg.time(
        List.of(
            "-v",
            "error",
            "-i",
            input.toString(),
            "-map",
            "0:a:0",
            "-af",
            truePeak ? "ebur128=peak=true" : "ebur128",
            "-f",
            "null",
            "-"));
  }

  private static final Pattern LOUDNORM_FIELD =
      Pattern.compile("\"(input_i|input_tp|input_lra|input_thresh|target_offset)\" : \"([^\"]+)\"");

  /**
   * The common recipe: {@code loudnorm} measures in a first pass, then a second pass applies it
   * with the measured values (linear mode) while encoding one rendition.
   */
  double loudnormTwoPass(Path input, String profile) throws IOException, InterruptedException {
    Settings.Profile p = profiles.get(profile);
    String target = "loudnorm=I=" + p.targetLufs() + ":TP=" + p.truePeakDb() + ":LRA=11";
    long t0 = System.nanoTime();
    String first =
        ffmpeg.run(
            List.of(
                "-v",
                "info",
                "-i",
                input.toString(),
                "-map",
                "0:a:0",
                "-af",
                target + ":print_format=json",
                "-f",
                "null",
                "-"));
    Matcher m = LOUDNORM_FIELD.matcher(first);
    StringBuilder measured = new StringBuilder(target);
    while (m.find()) {
      String key =
          switch (m.group(1)) {
            case "input_i" -> "measured_I";
            case "input_tp" -> "measured_TP";
            case "input_lra" -> "measured_LRA";
            case "input_thresh" -> "measured_thresh";
            default -> "offset";
          };
      measured.append(':').append(key).append('=').append(m.group(2));
    }
    measured.append(":linear=true");
    List<String> args = new ArrayList<>(List.of("-v", "error", "-i", input.toString()));
    args.addAll(List.of("-af", measured.toString()));
    args.addAll(output(profile, p));
    ffmpeg.run(args);
    return Ffmpeg.seconds(t0);
  }

  private List<String> output(String name, Settings.Profile p) {
    boolean mp3 = p.codec().equalsIgnoreCase("mp3");
    List<String> args =
        new ArrayList<>(
            List.of(
                "-map",
                "0:a:0",
                "-c:a",
                mp3 ? "libmp3lame" : "aac",
                "-ac",
                Integer.toString(Math.min(2, p.channels())),
                "-ar",
                Integer.toString(p.sampleRate()),
                "-b:a",
                Integer.toString(p.bitrate()),
                "-f",
                mp3 ? "mp3" : "mp4"));
    if (!mp3) args.addAll(List.of("-movflags", "+faststart"));
    args.add(outDir.resolve("bare-" + name + (mp3 ? ".mp3" : ".m4a")).toString());
    return args;
  }
}
