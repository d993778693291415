package org.xiaolaba.media;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.bramp.ffmpeg.builder.FFmpegBuilder;
import net.bramp.ffmpeg.builder.FFmpegOutputBuilder;
import org.xiaolaba.config.Settings;

/**
 * The ffmpeg command lines of the pipeline, built with ffmpeg-cli-wrapper's {@link FFmpegBuilder}.
 * The builder places its own extra arguments before {@code -i}, so they act as input options: every
 * input is opened with the {@code file} protocol only and an allow-list of audio (and audio-bearing
 * video) demuxers. Playlists, scripts and reference formats (hls, concat, sdp, rtp, image2, ...)
 * are not on it, so an upload can never make ffmpeg open another file or a connection.
 */
final class FfmpegCommands {
  /** Demuxers an upload may be read with: audio containers and video containers with audio. */
  static final List<String> ALLOWED_FORMATS =
      List.of(
          "mp3",
          "aac",
          "loas",
          "ac3",
          "eac3",
          "dts",
          "mov",
          "mp4",
          "m4a",
          "3gp",
          "3g2",
          "asf",
          "ogg",
          "flac",
          "wav",
          "w64",
          "amr",
          "amrnb",
          "amrwb",
          "matroska",
          "webm",
          "avi",
          "aiff",
          "caf",
          "au",
          "mpeg",
          "mpegts",
          "flv",
          "wv",
          "ape",
          "tta",
          "mpc",
          "mpc8",
          "voc");

  static final String FORMAT_WHITELIST = String.join(",", ALLOWED_FORMATS);

  private FfmpegCommands() {}

  /** The options every run starts with: quiet banner, levels on each line, progress on stdout. */
  private static FFmpegBuilder base(Path input, int loops) {
    FFmpegBuilder b =
        new FFmpegBuilder()
            .addExtraArgs(
                "-nostdin",
                "-hide_banner",
                "-nostats",
                "-loglevel",
                "level+info",
                "-progress",
                "pipe:1",
                "-protocol_whitelist",
                "file",
                "-format_whitelist",
                FORMAT_WHITELIST);
    if (loops > 0) {
      b.addExtraArgs("-stream_loop", Integer.toString(loops));
    }
    return b.setInput(fileUrl(input));
  }

  static String fileUrl(Path path) {
    return "file:" + path.toAbsolutePath();
  }

  /** Opens the input and decodes one audio frame: container, declared duration, streams. */
  static List<String> probe(Path input) {
    FFmpegBuilder b = base(input, 0);
    b.addOutput("-")
        .setFormat("null")
        .disableVideo()
        .disableSubtitle()
        .addExtraArgs("-dn", "-map", "0:a:0?", "-frames:a", "1")
        .done();
    return b.build();
  }

  /**
   * The one run that decodes the whole input: it checks it decodes, measures integrated loudness
   * and sample peak ({@code ebur128@input}), finds leading and trailing silence, and measures the
   * loudness each profile's channel layout and filters give ({@code ebur128@b1}, ...), so that each
   * rendition gets the gain it needs. Decoding stops at {@code limitSeconds}. The true peak is
   * measured by an encoding run instead, beside the longer encodes (see {@link #render}).
   */
  static List<String> analyze(
      Path input,
      List<String> branchChains,
      Settings.Silence silence,
      long limitSeconds,
      int loops) {
    StringBuilder graph = new StringBuilder("[0:a:0]");
    String main =
        String.format(
            Locale.ROOT,
            "silencedetect=n=%.2fdB:d=%s,ebur128@input=peak=sample:framelog=verbose[out]",
            silence.thresholdDb(),
            seconds(silence.minDuration().toMillis() / 1000.0));
    if (branchChains.isEmpty()) {
      graph.append(main);
    } else {
      graph.append("asplit=").append(branchChains.size() + 1).append("[m0]");
      for (int i = 1; i <= branchChains.size(); i++) graph.append("[m").append(i).append(']');
      graph.append(";[m0]").append(main);
      for (int i = 1; i <= branchChains.size(); i++) {
        graph
            .append(";[m")
            .append(i)
            .append(']')
            .append(branchChains.get(i - 1))
            .append(",ebur128@b")
            .append(i)
            .append("=framelog=verbose,anullsink");
      }
    }
    FFmpegBuilder b = base(input, loops).setComplexFilter(graph.toString());
    b.addOutput("-")
        .setFormat("null")
        .disableVideo()
        .disableSubtitle()
        .addExtraArgs("-dn", "-map", "[out]", "-t", Long.toString(limitSeconds))
        .done();
    return b.build();
  }

  /**
   * Measures a finished rendition on its own, by decoding it: its integrated loudness and what its
   * stream is. Clips too short for one 400 ms loudness block are measured {@code loops} times over.
   */
  static List<String> measure(Path file, int loops) {
    FFmpegBuilder b = base(file, loops);
    b.addOutput("-")
        .setFormat("null")
        .disableVideo()
        .disableSubtitle()
        .setAudioFilter("ebur128@output=framelog=verbose")
        .addExtraArgs("-dn", "-map", "0:a:0")
        .done();
    return b.build();
  }

  /**
   * The channel layout and filters that shape a profile's sound before the gain: the same chain is
   * measured in the analysis and applied in the encode, so the gain lands on target.
   */
  static String shapingChain(int channels, int sampleRate, int highpassHz) {
    StringBuilder chain = new StringBuilder("aformat=sample_fmts=dbl");
    if (sampleRate > 0) chain.append(":sample_rates=").append(sampleRate);
    chain.append(":channel_layouts=").append(channels == 1 ? "mono" : "stereo");
    if (highpassHz > 0) chain.append(",highpass=f=").append(highpassHz);
    return chain.toString();
  }

  /**
   * What one rendition run makes: the encoding, the shaping, the gain and limit, the trim (null
   * where not trimmed) and the rate to oversample the input to for its true peak (0: not measured).
   */
  record Render(
      Encoding encoding,
      int channels,
      int sampleRate,
      int bitrate,
      int highpassHz,
      double gainDb,
      double limitDb,
      Double trimStart,
      Double trimEnd,
      int truePeakRate) {}

  /**
   * One rendition run: trim, shape, gain and true-peak limiter, then the encoder. With a {@code
   * truePeakRate}, a branch measures the input's true peak ({@code astats@truepeak}, see {@link
   * #truePeakRate}); in the run of the cheapest rendition it takes time that run would otherwise
   * spend waiting for the others.
   */
  static List<String> render(Path input, Path output, Render r) {
    StringBuilder graph = new StringBuilder("[0:a:0]");
    if (r.truePeakRate() > 0) {
      graph
          .append("asplit=2[tp][in];[tp]aresample=")
          .append(r.truePeakRate())
          .append(":filter_size=16:osf=fltp,")
          .append("astats@truepeak=measure_perchannel=none:measure_overall=Peak_level,anullsink;")
          .append("[in]");
    }
    List<String> filters = new ArrayList<>();
    if (r.trimStart() != null || r.trimEnd() != null) {
      List<String> parts = new ArrayList<>();
      if (r.trimStart() != null) parts.add("start=" + seconds(r.trimStart()));
      if (r.trimEnd() != null) parts.add("end=" + seconds(r.trimEnd()));
      filters.add("atrim=" + String.join(":", parts));
      filters.add("asetpts=PTS-STARTPTS");
    }
    filters.add(shapingChain(r.channels(), r.sampleRate(), r.highpassHz()));
    filters.add(String.format(Locale.ROOT, "volume=%.2fdB", r.gainDb()));
    double limit = Math.min(1.0, Math.max(0.0625, Math.pow(10, r.limitDb() / 20)));
    filters.add(
        String.format(
            Locale.ROOT, "alimiter=limit=%.4f:attack=5:release=50:level=disabled", limit));
    graph.append(String.join(",", filters)).append("[out]");
    FFmpegBuilder b = base(input, 0).setComplexFilter(graph.toString());
    FFmpegOutputBuilder out =
        b.addOutput(fileUrl(output))
            .setFormat(r.encoding().muxer())
            .setAudioCodec(r.encoding().encoder())
            .setAudioChannels(r.channels())
            .setAudioSampleRate(r.sampleRate())
            .setAudioBitRate(r.bitrate())
            .disableVideo()
            .disableSubtitle()
            .addExtraArgs("-dn", "-map", "[out]", "-map_metadata", "-1", "-map_chapters", "-1");
    if (r.encoding() == Encoding.AAC) {
      out.addExtraArgs("-movflags", "+faststart");
    }
    out.done();
    return b.build();
  }

  /**
   * The rate the true peak is measured at: the input oversampled four times up to 48 kHz, twice up
   * to 96 kHz (ITU-R BS.1770-4, annex 2), in floating point so that peaks over full scale show.
   * This costs under half of {@code ebur128=peak=true}, which first resamples to 48 kHz, then to
   * 192 kHz with longer filters, and measures loudness besides.
   */
  static int truePeakRate(int inputRate) {
    if (inputRate <= 0) return 192_000;
    if (inputRate <= 48_000) return inputRate * 4;
    if (inputRate <= 96_000) return inputRate * 2;
    return inputRate;
  }

  static String seconds(double s) {
    return String.format(Locale.ROOT, "%.3f", Math.max(0, s));
  }

  /** What a profile's codec means for ffmpeg: encoder, container and file extension. */
  enum Encoding {
    MP3("mp3", "libmp3lame", "mp3", "mp3"),
    AAC("aac", "aac", "mp4", "m4a");

    private final String codec;
    private final String encoder;
    private final String muxer;
    private final String extension;

    Encoding(String codec, String encoder, String muxer, String extension) {
      this.codec = codec;
      this.encoder = encoder;
      this.muxer = muxer;
      this.extension = extension;
    }

    static Encoding forCodec(String codec) {
      for (Encoding e : values()) {
        if (e.codec.equalsIgnoreCase(codec)) return e;
      }
      throw new IllegalArgumentException(
          "unsupported rendition codec '" + codec + "': expected mp3 or aac");
    }

    String codec() {
      return codec;
    }

    String encoder() {
      return encoder;
    }

    String muxer() {
      return muxer;
    }

    String extension() {
      return extension;
    }
  }
}
