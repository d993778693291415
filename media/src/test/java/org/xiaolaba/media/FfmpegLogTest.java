package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** Reading ffmpeg's stderr: what counts, and what text from inside a file cannot fake. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class FfmpegLogTest {
  private static FfmpegLog read(String text) {
    FfmpegLog log = new FfmpegLog();
    text.lines().forEach(log);
    log.finish();
    return log;
  }

  @Test
  void the_input_its_duration_and_first_audio_stream_are_read() {
    FfmpegLog log =
        read(
            """
            [info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/x':
            [info]   Metadata:
            [info]     major_brand     : isom
            [info]   Duration: 00:01:02.50, start: 0.000000, bitrate: 76 kb/s
            [info]   Stream #0:0(und): Video: mpeg4 (Simple Profile), yuv420p, 64x48, 10 fps
            [info]   Stream #0:1(und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, 130 kb/s (default)
            [info]   Stream #0:2(und): Audio: mp3, 44100 Hz, mono, fltp, 64 kb/s
            [info] Stream mapping:
            """);

    assertThat(log.inputFormat()).isEqualTo("mov,mp4,m4a,3gp,3g2,mj2");
    assertThat(log.declaredSeconds()).contains(62.5);
    assertThat(log.hasVideo()).isTrue();
    assertThat(log.audio()).contains(new FfmpegLog.AudioStream("aac", 48000, 6, 130_000));
  }

  @Test
  void tags_inside_the_file_cannot_pose_as_a_duration_a_stream_or_a_loudness() {
    FfmpegLog log =
        read(
            """
            [info] Input #0, mp3, from 'file:/x':
            [info]   Metadata:
            [info]     title           : x
            [info]                     :   Duration: 99:00:00.00, start
            [info]     Duration: 99:00:00.00
            [info]     comment         :   Stream #0:0: Audio: pcm, 8000 Hz, 7.1, s16
            [info]   Duration: 00:00:03.00, start: 0.025057, bitrate: 129 kb/s
            [info]   Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 128 kb/s
            [info]     Metadata:
            [info]       comment         :
                I:         -5.0 LUFS
            [ebur128@input @ 0x1] [info] Summary:

              Integrated loudness:
                I:         -22.2 LUFS
                Threshold: -32.2 LUFS

              True peak:
                Peak:      -18.5 dBFS
            [info]     comment: [ebur128@input @ 0x1] [info] Summary:
                I:         -1.0 LUFS
            """);

    assertThat(log.declaredSeconds()).contains(3.0);
    assertThat(log.audio().orElseThrow().channels()).isEqualTo(2);
    assertThat(log.loudness("ebur128@input")).contains(new FfmpegLog.Loudness(-22.2, -18.5));
  }

  @Test
  void the_last_summary_of_each_instance_counts() {
    FfmpegLog log =
        read(
            """
            [ebur128@b1 @ 0x2] [info] Summary:
                I:         -70.0 LUFS
            [info] Stream mapping:
            [ebur128@b1 @ 0x3] [info] Summary:
                I:         -25.4 LUFS
            [ebur128@input @ 0x4] [info] Summary:
                I:         -22.4 LUFS
                Peak:       -inf dBFS
            """);

    assertThat(log.loudness("ebur128@b1").orElseThrow().integratedLufs()).isEqualTo(-25.4);
    assertThat(log.loudness("ebur128@input").orElseThrow().peakDb())
        .isEqualTo(Double.NEGATIVE_INFINITY);
  }

  @Test
  void errors_refused_formats_and_estimated_durations_are_noticed() {
    FfmpegLog log =
        read(
            """
            [mp3 @ 0x1] [warning] Estimating duration from bitrate, this may be inaccurate
            [info] Input #0, mp3, from 'file:/x':
            [info]   Duration: 00:00:03.00, start: 0.0, bitrate: 129 kb/s
            [hls @ 0x2] [error] Format not on whitelist 'mp3,aac'
            [error] file:/x: Invalid argument
            """);

    assertThat(log.declaredSeconds()).isEmpty();
    assertThat(log.roughSeconds()).contains(3.0);
    assertThat(log.refusedFormat()).contains("hls");
    assertThat(log.errorCount()).isEqualTo(2);
    assertThat(log.firstError()).contains("Format not on whitelist 'mp3,aac'");
  }

  @Test
  void leading_and_trailing_silences_are_found() {
    FfmpegLog log =
        read(
            """
            [silencedetect @ 0x1] [info] silence_start: 0
            [silencedetect @ 0x1] [info] silence_end: 1.50002 | silence_duration: 1.50002
            [silencedetect @ 0x1] [info] silence_start: 2.2
            [silencedetect @ 0x1] [info] silence_end: 2.9 | silence_duration: 0.7
            [silencedetect @ 0x1] [info] silence_start: 3.5
            [silencedetect @ 0x1] [info] silence_end: 5.5 | silence_duration: 2
            """);

    assertThat(log.leadingSilenceEnd()).contains(1.50002);
    assertThat(log.trailingSilenceStart(5.4)).contains(3.5);
    assertThat(log.trailingSilenceStart(9.0)).isEmpty();
  }

  @Test
  void channel_layouts_are_counted() {
    assertThat(FfmpegLog.channels("mono")).isEqualTo(1);
    assertThat(FfmpegLog.channels("stereo")).isEqualTo(2);
    assertThat(FfmpegLog.channels("5.1(side)")).isEqualTo(6);
    assertThat(FfmpegLog.channels("7.1")).isEqualTo(8);
    assertThat(FfmpegLog.channels("quad")).isEqualTo(4);
    assertThat(FfmpegLog.channels("3 channels")).isEqualTo(3);
    assertThat(FfmpegLog.channels("something")).isZero();
  }

  @Test
  void the_peak_level_of_a_named_astats_instance_is_read_and_nothing_else_passes_for_it() {
    FfmpegLog log =
        read(
            """
            [info]     comment         : [astats@truepeak @ 0x1] [info] Peak level dB: 9.0
            [Parsed_astats_1 @ 0x2] [info] Peak level dB: 5.0
            [astats@truepeak @ 0x55d0] [info] Overall
            [astats@truepeak @ 0x55d0] [info] Peak level dB: -3.816501
            [astats@silent @ 0x55d1] [info] Peak level dB: -inf
            """);

    assertThat(log.peakLevel("truepeak")).contains(-3.816501);
    assertThat(log.peakLevel("silent")).contains(Double.NEGATIVE_INFINITY);
    assertThat(log.peakLevel("other")).isEmpty();
  }
}
