package org.xiaolaba.media;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what ffmpeg logs on stderr (run with {@code -loglevel level+info}, so every message starts
 * with its level) and keeps what the pipeline needs: the input's container, declared duration and
 * first audio stream, errors, the EBU R128 summaries of named {@code ebur128} instances, and the
 * silences {@code silencedetect} found. ffmpeg alone does all probing; there is no ffprobe.
 *
 * <p>Patterns are anchored on ffmpeg's exact indentation so that text taken from the file (tags,
 * which ffmpeg prints indented further, continuation lines starting with spaces) cannot pose as a
 * duration, a stream or a loudness figure.
 */
final class FfmpegLog implements Consumer<String> {
  private static final Pattern INPUT = Pattern.compile("^\\[info\\] Input #0, (.+?), from '");
  private static final Pattern OUTPUT = Pattern.compile("^\\[info\\] Output #0, ");
  private static final Pattern DURATION =
      Pattern.compile("^\\[info\\] {3}Duration: (?:N/A|(\\d+):(\\d{2}):(\\d{2}(?:\\.\\d+)?))");
  private static final Pattern STREAM =
      Pattern.compile(
          "^\\[info\\] {3}Stream #0:\\d+(?:\\[0x[0-9a-f]+\\])?(?:\\([^)]*\\))?:"
              + " (Audio|Video|Subtitle|Data|Attachment): (.*)$");
  private static final Pattern CODEC = Pattern.compile("^([A-Za-z0-9_]+)");
  private static final Pattern RATE_LAYOUT = Pattern.compile("(\\d+) Hz, ([^,]+)");
  private static final Pattern BITRATE = Pattern.compile(", (\\d+) kb/s");
  private static final Pattern LEVEL =
      Pattern.compile("^(?:\\[([^\\]]+?) @ 0x[0-9a-f]+\\] )?\\[(error|fatal|warning)\\] (.*)$");
  private static final Pattern PROTOCOL_REFUSED =
      Pattern.compile("^Protocol '([^']*)' not on whitelist");
  private static final Pattern SUMMARY =
      Pattern.compile("^\\[([^\\]]+?) @ 0x[0-9a-f]+\\] \\[info\\] Summary:");
  private static final Pattern SUMMARY_I =
      Pattern.compile("^\\s+I:\\s+(-inf|-?\\d+(?:\\.\\d+)?) LUFS");
  private static final Pattern SUMMARY_PEAK =
      Pattern.compile("^\\s+Peak:\\s+(-inf|-?\\d+(?:\\.\\d+)?) dBFS");
  private static final Pattern PEAK_LEVEL =
      Pattern.compile(
          "^\\[astats@([^\\] ]+) @ 0x[0-9a-f]+\\] \\[info\\] Peak level dB: (-?inf|-?\\d+(?:\\.\\d+)?)$");
  private static final Pattern SILENCE_START =
      Pattern.compile(
          "^\\[silencedetect @ 0x[0-9a-f]+\\] \\[info\\] silence_start: (-?[0-9.e+-]+)");
  private static final Pattern SILENCE_END =
      Pattern.compile("^\\[silencedetect @ 0x[0-9a-f]+\\] \\[info\\] silence_end: ([0-9.e+-]+)");

  /** The first audio stream of the input, as ffmpeg describes it. */
  record AudioStream(String codec, int sampleRate, int channels, Integer bitrate) {}

  /** One ebur128 instance's final summary. */
  record Loudness(double integratedLufs, Double peakDb) {}

  private enum Section {
    NONE,
    INPUT,
    AFTER_INPUT
  }

  private Section section = Section.NONE;
  private String inputFormat;
  private Double declaredSeconds;
  private boolean durationEstimated;
  private boolean hasVideo;
  private AudioStream audio;
  private int errorCount;
  private String firstError;
  private String refusedFormat;
  private String refusedProtocol;
  private boolean diskFull;
  private final Map<String, Loudness> summaries = new HashMap<>();
  private final Map<String, Double> peakLevels = new HashMap<>();
  private String summaryOf;
  private Double summaryI;
  private Double summaryPeak;
  private Double leadingSilenceEnd;
  private Double openSilenceStart;
  private Double lastSilenceStart;
  private Double lastSilenceEnd;
  private boolean firstSilenceSeen;

  @Override
  public synchronized void accept(String line) {
    if (summaryOf != null) {
      if (!line.startsWith("[")) {
        Matcher m = SUMMARY_I.matcher(line);
        if (m.find()) summaryI = number(m.group(1));
        m = SUMMARY_PEAK.matcher(line);
        if (m.find()) summaryPeak = number(m.group(1));
        return;
      }
      endSummary();
    }
    Matcher m;
    if ((m = SUMMARY.matcher(line)).find()) {
      summaryOf = m.group(1);
      summaryI = null;
      summaryPeak = null;
      return;
    }
    if ((m = PEAK_LEVEL.matcher(line)).find()) {
      peakLevels.put(m.group(1), number(m.group(2)));
      return;
    }
    if ((m = SILENCE_START.matcher(line)).find()) {
      silenceStart(number(m.group(1)));
      return;
    }
    if ((m = SILENCE_END.matcher(line)).find()) {
      silenceEnd(number(m.group(1)));
      return;
    }
    if ((m = INPUT.matcher(line)).find()) {
      section = Section.INPUT;
      inputFormat = m.group(1);
      return;
    }
    if (OUTPUT.matcher(line).find() || line.startsWith("[info] Stream mapping:")) {
      section = Section.AFTER_INPUT;
      return;
    }
    if (section == Section.INPUT) {
      if ((m = DURATION.matcher(line)).find()) {
        if (m.group(1) != null) {
          declaredSeconds =
              Integer.parseInt(m.group(1)) * 3600.0
                  + Integer.parseInt(m.group(2)) * 60.0
                  + Double.parseDouble(m.group(3));
        }
        return;
      }
      if ((m = STREAM.matcher(line)).find()) {
        stream(m.group(1), m.group(2));
        return;
      }
    }
    if ((m = LEVEL.matcher(line)).find()) {
      level(m.group(1), m.group(2), m.group(3));
    }
  }

  private void stream(String type, String details) {
    if (type.equals("Video") && !details.contains("(attached pic)")) {
      hasVideo = true;
    }
    if (!type.equals("Audio") || audio != null) return;
    Matcher codec = CODEC.matcher(details);
    Matcher rl = RATE_LAYOUT.matcher(details);
    Matcher br = BITRATE.matcher(details);
    boolean hasRate = rl.find();
    audio =
        new AudioStream(
            codec.find() ? codec.group(1) : "unknown",
            hasRate ? Integer.parseInt(rl.group(1)) : 0,
            hasRate ? channels(rl.group(2).trim()) : 0,
            br.find() ? Integer.parseInt(br.group(1)) * 1000 : null);
  }

  private void level(String context, String level, String message) {
    if (message.contains("Estimating duration from bitrate")) {
      durationEstimated = true;
    }
    if (message.contains("No space left on device")) {
      diskFull = true;
    }
    if (level.equals("warning")) return;
    if (message.startsWith("Format not on whitelist") && context != null) {
      refusedFormat = context;
    }
    Matcher p = PROTOCOL_REFUSED.matcher(message);
    if (p.find()) {
      refusedProtocol = p.group(1);
    }
    errorCount++;
    if (firstError == null) {
      firstError = message.trim();
    }
  }

  private void endSummary() {
    if (summaryI != null) {
      summaries.put(summaryOf, new Loudness(summaryI, summaryPeak));
    }
    summaryOf = null;
  }

  private void silenceStart(double at) {
    openSilenceStart = at;
    lastSilenceStart = at;
  }

  private void silenceEnd(double at) {
    if (!firstSilenceSeen && openSilenceStart != null && openSilenceStart <= 0.05) {
      leadingSilenceEnd = at;
    }
    firstSilenceSeen = true;
    lastSilenceEnd = at;
    openSilenceStart = null;
  }

  /** Ends an unterminated summary once ffmpeg has exited. */
  synchronized void finish() {
    if (summaryOf != null) endSummary();
  }

  static int channels(String layout) {
    String l = layout.toLowerCase(Locale.ROOT);
    int paren = l.indexOf('(');
    String base = paren > 0 ? l.substring(0, paren).trim() : l;
    switch (base) {
      case "mono":
        return 1;
      case "stereo":
      case "downmix":
        return 2;
      case "quad":
        return 4;
      case "hexagonal":
        return 6;
      case "octagonal":
        return 8;
      default:
        break;
    }
    Matcher n = Pattern.compile("^(\\d+) channels").matcher(base);
    if (n.find()) return Integer.parseInt(n.group(1));
    Matcher dotted = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(base);
    if (dotted.find()) {
      return Integer.parseInt(dotted.group(1)) + Integer.parseInt(dotted.group(2));
    }
    return 0;
  }

  private static double number(String text) {
    if (text.equals("-inf")) return Double.NEGATIVE_INFINITY;
    return text.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(text);
  }

  synchronized boolean inputOpened() {
    return inputFormat != null;
  }

  synchronized String inputFormat() {
    return inputFormat;
  }

  /** The duration the container declares, unless it is missing or only estimated. */
  synchronized Optional<Double> declaredSeconds() {
    return durationEstimated ? Optional.empty() : Optional.ofNullable(declaredSeconds);
  }

  /** The declared or estimated duration: good enough for progress. */
  synchronized Optional<Double> roughSeconds() {
    return Optional.ofNullable(declaredSeconds);
  }

  synchronized boolean hasVideo() {
    return hasVideo;
  }

  synchronized Optional<AudioStream> audio() {
    return Optional.ofNullable(audio);
  }

  synchronized int errorCount() {
    return errorCount;
  }

  synchronized Optional<String> firstError() {
    return Optional.ofNullable(firstError);
  }

  synchronized Optional<String> refusedFormat() {
    return Optional.ofNullable(refusedFormat);
  }

  synchronized Optional<String> refusedProtocol() {
    return Optional.ofNullable(refusedProtocol);
  }

  synchronized boolean diskFull() {
    return diskFull;
  }

  synchronized Optional<Loudness> loudness(String instance) {
    return Optional.ofNullable(summaries.get(instance));
  }

  /** The overall peak level a named {@code astats} instance found, in dBFS. */
  synchronized Optional<Double> peakLevel(String instance) {
    return Optional.ofNullable(peakLevels.get(instance));
  }

  /** Where the sound starts, when the input opens with silence. */
  synchronized Optional<Double> leadingSilenceEnd() {
    return Optional.ofNullable(leadingSilenceEnd);
  }

  /**
   * Where the trailing silence starts: a silence still open at the end, or one whose end is the end
   * of the input ({@code decodedSeconds}).
   */
  synchronized Optional<Double> trailingSilenceStart(double decodedSeconds) {
    if (openSilenceStart != null) return Optional.of(openSilenceStart);
    if (lastSilenceStart != null
        && lastSilenceEnd != null
        && lastSilenceEnd >= decodedSeconds - 0.15
        && lastSilenceStart > 0.05) {
      return Optional.of(lastSilenceStart);
    }
    return Optional.empty();
  }
}
