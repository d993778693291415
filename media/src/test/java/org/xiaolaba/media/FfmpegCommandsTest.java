package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.Settings;
import org.xiaolaba.media.FfmpegCommands.Encoding;
import org.xiaolaba.media.FfmpegCommands.Render;

/** The command lines: safety options act on the input, and each output gets what it needs. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class FfmpegCommandsTest {
  private static final Path IN = Path.of("/data/media/sources/abc");
  private static final Settings.Silence SILENCE =
      new Settings.Silence(-50.0, Duration.ofMillis(500), -60.0);

  private static void assertSafeInput(List<String> args) {
    int input = args.indexOf("-i");
    assertThat(args.get(input + 1)).isEqualTo("file:/data/media/sources/abc");
    List<String> before = args.subList(0, input);
    assertThat(before).containsSequence("-protocol_whitelist", "file");
    assertThat(before)
        .containsSequence("-format_whitelist", FfmpegCommands.FORMAT_WHITELIST)
        .contains("-nostdin", "-hide_banner");
    assertThat(args.lastIndexOf("-loglevel")).isLessThan(input);
  }

  @Test
  void every_command_opens_its_input_with_the_file_protocol_and_allowed_demuxers_only() {
    assertSafeInput(FfmpegCommands.probe(IN));
    assertSafeInput(FfmpegCommands.analyze(IN, List.of(), SILENCE, 7201, 0));
    assertSafeInput(FfmpegCommands.measure(IN, 0));
    assertSafeInput(
        FfmpegCommands.render(
            IN,
            Path.of("/t/x.mp3"),
            new Render(Encoding.MP3, 1, 44100, 64000, 90, 3, -2.5, null, null, 176_400)));
  }

  @Test
  void the_allow_list_holds_audio_containers_and_no_playlist_script_or_network_formats() {
    assertThat(FfmpegCommands.ALLOWED_FORMATS)
        .contains("mp3", "mov", "asf", "ogg", "flac", "wav", "amr", "matroska", "avi")
        .doesNotContain("hls", "concat", "sdp", "rtp", "rtsp", "image2", "data", "tee", "lavfi");
  }

  @Test
  void the_analysis_measures_the_input_and_each_profile_shaping_in_one_decode() {
    List<String> args =
        FfmpegCommands.analyze(
            IN, List.of("aformat=sample_fmts=dbl:channel_layouts=mono"), SILENCE, 61, 0);

    String graph = args.get(args.indexOf("-filter_complex") + 1);
    assertThat(graph)
        .startsWith("[0:a:0]asplit=2[m0][m1]")
        .contains("ebur128@input=peak=sample")
        .contains("silencedetect=n=-50.00dB:d=0.500")
        .contains("[m1]aformat=sample_fmts=dbl:channel_layouts=mono,ebur128@b1");
    assertThat(args).containsSequence("-t", "61").endsWith("-");
  }

  @Test
  void the_silence_settings_set_what_the_analysis_trims() {
    Settings.Silence strict = new Settings.Silence(-42.5, Duration.ofSeconds(5), -60.0);

    List<String> args = FfmpegCommands.analyze(IN, List.of(), strict, 61, 0);

    assertThat(args.get(args.indexOf("-filter_complex") + 1))
        .startsWith("[0:a:0]silencedetect=n=-42.50dB:d=5.000,");
  }

  @Test
  void the_loudspeaker_run_trims_filters_amplifies_and_limits_into_a_mono_mp3() {
    List<String> args =
        FfmpegCommands.render(
            IN,
            Path.of("/t/x.mp3"),
            new Render(Encoding.MP3, 1, 44100, 64000, 90, 6.25, -2.5, 1.4, 3.6, 0));

    assertThat(args.get(args.indexOf("-filter_complex") + 1))
        .isEqualTo(
            "[0:a:0]atrim=start=1.400:end=3.600,asetpts=PTS-STARTPTS,"
                + "aformat=sample_fmts=dbl:sample_rates=44100:channel_layouts=mono,highpass=f=90,"
                + "volume=6.25dB,alimiter=limit=0.7499:attack=5:release=50:level=disabled[out]");
    assertThat(args)
        .containsSequence("-acodec", "libmp3lame")
        .containsSequence("-ac", "1")
        .containsSequence("-b:a", "64000")
        .containsSequence("-map", "[out]")
        .endsWith("file:/t/x.mp3");
  }

  @Test
  void a_run_that_measures_the_true_peak_does_so_on_the_untrimmed_input() {
    List<String> args =
        FfmpegCommands.render(
            IN,
            Path.of("/t/x.mp3"),
            new Render(Encoding.MP3, 1, 44100, 64000, 90, 0, -2.5, 1.4, null, 176_400));

    assertThat(args.get(args.indexOf("-filter_complex") + 1))
        .startsWith(
            "[0:a:0]asplit=2[tp][in];[tp]aresample=176400:filter_size=16:osf=fltp,"
                + "astats@truepeak=measure_perchannel=none:measure_overall=Peak_level,anullsink;"
                + "[in]atrim=start=1.400,");
  }

  @Test
  void the_true_peak_is_measured_four_times_oversampled_up_to_48_kHz_and_twice_up_to_96_kHz() {
    assertThat(FfmpegCommands.truePeakRate(8_000)).isEqualTo(32_000);
    assertThat(FfmpegCommands.truePeakRate(44_100)).isEqualTo(176_400);
    assertThat(FfmpegCommands.truePeakRate(48_000)).isEqualTo(192_000);
    assertThat(FfmpegCommands.truePeakRate(96_000)).isEqualTo(192_000);
    assertThat(FfmpegCommands.truePeakRate(192_000)).isEqualTo(192_000);
    assertThat(FfmpegCommands.truePeakRate(0)).as("unknown").isEqualTo(192_000);
  }

  @Test
  void the_app_run_is_aac_in_an_mp4_container_with_its_index_first() {
    List<String> args =
        FfmpegCommands.render(
            IN,
            Path.of("/t/x.m4a"),
            new Render(Encoding.AAC, 2, 44100, 96000, 0, -1, -2.5, null, null, 0));

    assertThat(args)
        .containsSequence("-f", "mp4")
        .containsSequence("-acodec", "aac")
        .containsSequence("-movflags", "+faststart");
    assertThat(args.get(args.indexOf("-filter_complex") + 1))
        .doesNotContain("atrim", "highpass", "truepeak");
  }
}
