package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.fifo;
import static org.xiaolaba.media.MediaFixtures.filesIn;
import static org.xiaolaba.media.MediaFixtures.generate;
import static org.xiaolaba.media.MediaFixtures.tone;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;

/**
 * Uploads that must end {@code failed} with a readable error: damaged, empty, silent, or trying to
 * make ffmpeg read another file or open a connection. Nothing hangs and nothing is left behind.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HostileUploadTest {
  @TempDir static Path dataDir;
  @TempDir static Path fixtures;

  static Settings settings;
  static RedisHandle redis;
  static ClipLibrary library;

  @BeforeAll
  static void startLibrary() {
    settings = TestSettings.forDataDir(dataDir);
    redis = RedisHandle.open(settings);
    library = new ClipLibrary(settings, TestSettings.ffmpeg(), redis, Clock.systemUTC());
    library.start();
  }

  @AfterAll
  static void stopLibrary() {
    if (library != null) library.close();
    if (redis != null) redis.close();
  }

  @AfterEach
  void nothingIsLeftBehind() {
    assertThat(filesIn(settings.mediaDir().resolve("tmp"))).isEmpty();
    assertThat(filesIn(settings.mediaDir().resolve("sources"))).isEmpty();
    assertThat(filesIn(library.incomingDir())).isEmpty();
    assertThat(library.ffmpegWorks()).isTrue();
  }

  private static String failureOf(Path fixture) {
    Clip clip = awaitFinished(library, library.ingest(upload(library, fixture), "hostile").id());
    assertThat(clip.status()).isEqualTo(ClipStatus.FAILED);
    assertThat(clip.renditions()).isNull();
    assertThat(clip.error()).doesNotContain(settings.dataDir().toString());
    return clip.error();
  }

  /** Opens the canary for writing in the background: that only completes if someone reads it. */
  private static final class Canary implements AutoCloseable {
    final Path path;
    final AtomicBoolean opened = new AtomicBoolean();
    final Thread writer;

    Canary(String name) {
      path = fifo(fixtures, name);
      writer =
          new Thread(
              () -> {
                try (OutputStream out = new FileOutputStream(path.toFile())) {
                  opened.set(true);
                } catch (IOException ignored) {
                  // the reader went away
                }
              });
      writer.setDaemon(true);
      writer.start();
    }

    @Override
    public void close() throws Exception {
      // unblock our own writer so the thread ends
      try (FileInputStream in = new FileInputStream(path.toFile())) {
        in.available();
      }
      writer.join(5_000);
    }
  }

  private static Path text(String name, String content) throws IOException {
    return Files.writeString(fixtures.resolve(name), content, StandardCharsets.UTF_8);
  }

  @Test
  void an_hls_playlist_pointing_at_a_local_file_is_refused_without_opening_it() throws Exception {
    try (Canary canary = new Canary("canary-hls.wav")) {
      Path playlist =
          text(
              "playlist.m3u8",
              "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:"
                  + canary.path
                  + "\n#EXTINF:10,\n"
                  + canary.path
                  + "\n#EXT-X-ENDLIST\n");

      assertThat(failureOf(playlist)).contains("hls").contains("playlists");
      assertThat(canary.opened).as("the canary was opened").isFalse();
    }
  }

  @Test
  void a_playlist_disguised_as_an_mp3_is_refused_as_well() throws Exception {
    try (Canary canary = new Canary("canary-disguised.wav")) {
      Path playlist =
          text(
              "song.mp3",
              "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n"
                  + canary.path
                  + "\n#EXT-X-ENDLIST\n");

      assertThat(failureOf(playlist)).contains("not an accepted audio or video file");
      assertThat(canary.opened).isFalse();
    }
  }

  @Test
  void an_ffconcat_script_named_mp3_is_refused_without_opening_what_it_names() throws Exception {
    try (Canary canary = new Canary("canary-concat.wav")) {
      Path script = text("concat.mp3", "ffconcat version 1.0\nfile " + canary.path + "\n");

      assertThat(failureOf(script)).contains("concat");
      assertThat(canary.opened).isFalse();
    }
  }

  @Test
  void a_playlist_with_a_network_address_opens_no_connection() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      AtomicBoolean connected = new AtomicBoolean();
      Thread acceptor =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  connected.set(true);
                } catch (IOException ignored) {
                  // closed at the end of the test
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      Path playlist =
          text(
              "remote.m3u8",
              "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:"
                  + server.getLocalPort()
                  + "/x.mp3\n#EXT-X-ENDLIST\n");

      assertThat(failureOf(playlist)).contains("hls");
      assertThat(connected).isFalse();
    }
  }

  @Test
  void random_bytes_are_refused_as_not_audio() throws Exception {
    byte[] noise = new byte[64 * 1024];
    new Random(7).nextBytes(noise);
    Path file = Files.write(fixtures.resolve("noise.mp3"), noise);

    assertThat(failureOf(file)).contains("not a recognisable audio");
  }

  @Test
  void a_text_file_is_refused_as_not_audio() throws Exception {
    Path file = text("notes.txt", "Meeting at the village hall at 7 pm. Bring your ID card.\n");

    assertThat(failureOf(file)).contains("not a recognisable audio");
  }

  @Test
  void a_png_named_wav_is_refused() {
    Path png =
        generate(
            fixtures,
            "picture.png",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=32x32:duration=1",
            "-frames:v",
            "1");
    Path disguised = png.resolveSibling("picture.wav");
    assertThat(png.toFile().renameTo(disguised.toFile())).isTrue();

    assertThat(failureOf(disguised)).contains("not an accepted audio or video file");
  }

  @Test
  void a_truncated_mp3_is_refused_as_truncated() throws Exception {
    Path whole = tone(fixtures, "whole.mp3", 3, "-ac", "1", "-b:a", "128k");
    byte[] bytes = Files.readAllBytes(whole);
    Path cut = Files.write(fixtures.resolve("cut.mp3"), Arrays.copyOf(bytes, bytes.length * 2 / 5));

    assertThat(failureOf(cut)).contains("truncated");
  }

  @Test
  void a_wav_whose_header_claims_gigabytes_is_refused_without_hanging() throws Exception {
    Path wav = tone(fixtures, "small.wav", 1, "-fflags", "+bitexact", "-map_metadata", "-1");
    byte[] bytes = Files.readAllBytes(wav);
    ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int data = indexOf(bytes, "data".getBytes(StandardCharsets.US_ASCII));
    header.putInt(4, 0x7FFF_FFF0);
    header.putInt(data + 4, 0x7FFF_FF00);
    Path liar = Files.write(fixtures.resolve("liar.wav"), bytes);

    assertThat(failureOf(liar)).contains("truncated");
  }

  @Test
  void a_wav_whose_header_claims_a_sample_rate_of_a_few_hertz_is_refused_before_decoding()
      throws Exception {
    Path wav = tone(fixtures, "rate.wav", 1, "-ar", "8000", "-ac", "1", "-map_metadata", "-1");
    byte[] bytes = Files.readAllBytes(wav);
    // 16 KB at 1 Hz would be 8,000 s of audio: measuring it took ffmpeg 40 s and 10 GiB
    int fmt = indexOf(bytes, "fmt ".getBytes(StandardCharsets.US_ASCII));
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(fmt + 12, 1);
    Path slow = Files.write(fixtures.resolve("slow.wav"), bytes);

    assertThat(failureOf(slow)).contains("sample rate of 1 Hz");
  }

  @Test
  void a_video_without_sound_is_refused_for_having_no_audio_stream() {
    Path video =
        generate(
            fixtures,
            "mute.mp4",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=10:duration=1",
            "-c:v",
            "mpeg4");

    assertThat(failureOf(video)).contains("no audio stream").contains("video");
  }

  @Test
  void silence_is_refused_rather_than_amplified_into_noise() {
    Path silent =
        generate(fixtures, "silent.wav", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono:d=3");

    assertThat(failureOf(silent)).contains("the clip is silent");
  }

  @Test
  void near_silence_is_refused_too() {
    Path hum = tone(fixtures, "hum.wav", 3, "-af", "volume=-60dB");

    assertThat(failureOf(hum)).contains("the clip is silent");
  }

  @Test
  void a_wav_with_no_samples_is_refused() {
    Path none =
        generate(fixtures, "none.wav", "-f", "lavfi", "-i", "sine=duration=1", "-frames:a", "0");

    assertThat(failureOf(none)).containsAnyOf("no audio", "zero");
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) continue outer;
      }
      return i;
    }
    throw new AssertionError("no " + new String(needle, StandardCharsets.US_ASCII) + " chunk");
  }
}
