package org.xiaolaba.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's input: a stereo MP3 (192 kbps, 44.1 kHz) that sounds more like music than a test
 * tone. Each channel mixes a bass note, two tones and its own pink noise; slow swells and a tremolo
 * keep the level moving, so the loudness gate, the limiter and the encoders all work as they would
 * on a real recording. Made by the same ffmpeg from {@code lavfi} sources; kept between runs, since
 * the same arguments make the same bytes.
 */
final class LongClip {
  private LongClip() {}

  static Path make(Ffmpeg ffmpeg, Path dir, double seconds)
      throws IOException, InterruptedException {
    Path out = dir.resolve(String.format(Locale.ROOT, "music-%.0fs.mp3", seconds));
    if (Files.isRegularFile(out) && Files.size(out) > 0) return out;
    Files.createDirectories(dir);
    Path partial = dir.resolve(out.getFileName() + ".part.mp3");
    String d = String.format(Locale.ROOT, "%.3f", seconds);
    ffmpeg.run(
        List.of(
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=220:sample_rate=44100:duration=" + d,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:sample_rate=44100:duration=" + d,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=554.37:sample_rate=44100:duration=" + d,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=82.4:sample_rate=44100:duration=" + d,
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:amplitude=0.5:sample_rate=44100:seed=7:duration=" + d,
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:amplitude=0.5:sample_rate=44100:seed=11:duration=" + d,
            "-filter_complex",
            "[0][2][3][4]amix=inputs=4,volume=eval=frame:volume='0.55+0.4*sin(2*PI*t/11)'[l];"
                + "[1][2][3][5]amix=inputs=4,volume=eval=frame:volume='0.55+0.4*sin(2*PI*t/7+1)'[r];"
                + "[l][r]join=inputs=2:channel_layout=stereo,tremolo=f=2:d=0.3,volume=12dB",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "192k",
            "-ar",
            "44100",
            "-f",
            "mp3",
            partial.toString()));
    return Files.move(partial, out);
  }
}
