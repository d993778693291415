package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.xiaolaba.media.FfmpegCommands.Encoding;

/** The command lines: safety options act on the input, and each output gets what it needs. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class FfmpegCommandsTest {
  private static final Path IN = Path.of("/data/media/sources/abc");

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
    assertSafeInput(FfmpegCommands.analyze(IN, List.of(), 7201, 0));
    assertSafeInput(FfmpegCommands.measure(IN, 0));
    assertSafeInput(
        FfmpegCommands.encode(
            IN, Path.of("/t/x.mp3"), Encoding.MP3, 1, 44100, 64000, 90, 3, -2.5, null, null));
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
        FfmpegCommands.analyze(IN, List.of("aformat=sample_fmts=dbl:channel_layouts=mono"), 61, 0);

    String graph = args.get(args.indexOf("-filter_complex") + 1);
    assertThat(graph)
        .startsWith("[0:a:0]asplit=2[m0][m1]")
        .contains("ebur128@input=peak=true")
        .contains("silencedetect")
        .contains("[m1]aformat=sample_fmts=dbl:channel_layouts=mono,ebur128@b1");
    assertThat(args).containsSequence("-t", "61").endsWith("-");
  }

  @Test
  void the_loudspeaker_encode_trims_filters_amplifies_and_limits_into_a_mono_mp3() {
    List<String> args =
        FfmpegCommands.encode(
            IN, Path.of("/t/x.mp3"), Encoding.MP3, 1, 44100, 64000, 90, 6.25, -2.5, 1.4, 3.6);

    String filters = args.get(args.indexOf("-af") + 1);
    assertThat(filters)
        .isEqualTo(
            "atrim=start=1.400:end=3.600,asetpts=PTS-STARTPTS,"
                + "aformat=sample_fmts=dbl:sample_rates=44100:channel_layouts=mono,highpass=f=90,"
                + "volume=6.25dB,alimiter=limit=0.7499:attack=5:release=50:level=disabled");
    assertThat(args)
        .containsSequence("-acodec", "libmp3lame")
        .containsSequence("-ac", "1")
        .containsSequence("-b:a", "64000")
        .containsSequence("-map", "0:a:0")
        .endsWith("file:/t/x.mp3");
  }

  @Test
  void the_app_encode_is_aac_in_an_mp4_container_with_its_index_first() {
    List<String> args =
        FfmpegCommands.encode(
            IN, Path.of("/t/x.m4a"), Encoding.AAC, 2, 44100, 96000, 0, -1, -2.5, null, null);

    assertThat(args)
        .containsSequence("-f", "mp4")
        .containsSequence("-acodec", "aac")
        .containsSequence("-movflags", "+faststart");
    assertThat(args.get(args.indexOf("-af") + 1)).doesNotContain("atrim", "highpass");
  }
}
