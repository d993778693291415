package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.filesIn;
import static org.xiaolaba.media.MediaFixtures.generate;
import static org.xiaolaba.media.MediaFixtures.measure;
import static org.xiaolaba.media.MediaFixtures.tone;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;
import org.xiaolaba.media.MediaFixtures.Measurement;

/** Real ffmpeg, real embedded Redis: uploads become loudness-matched renditions. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ClipPipelineTest {
  @TempDir static Path dataDir;
  @TempDir static Path fixtures;

  static Settings settings;
  static RedisHandle redis;
  static ClipLibrary library;
  static final List<Clip> events = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void startLibrary() {
    settings = TestSettings.forDataDir(dataDir);
    redis = RedisHandle.open(settings);
    library = new ClipLibrary(settings, TestSettings.ffmpeg(), redis, Clock.systemUTC());
    library.addListener(events::add);
    library.start();
  }

  @AfterAll
  static void stopLibrary() {
    if (library != null) library.close();
    if (redis != null) redis.close();
  }

  private static Clip ingestAndWait(Path fixture, String title) {
    Clip accepted = library.ingest(upload(library, fixture), title);
    assertThat(accepted.status()).isEqualTo(ClipStatus.PROCESSING);
    return awaitFinished(library, accepted.id());
  }

  private static Path file(Rendition r) {
    return library.mediaFile(r.file()).orElseThrow();
  }

  private static void assertOnTarget(Rendition r, boolean shortClip) {
    Measurement m = measure(file(r), shortClip);
    assertThat(m.integratedLufs()).as("%s loudness", r.file()).isCloseTo(-16.0, within(1.0));
    assertThat(r.outputLufs()).isCloseTo(m.integratedLufs(), within(0.3));
    assertThat(m.truePeakDb()).as("%s true peak", r.file()).isLessThanOrEqualTo(-1.0);
  }

  @Test
  void a_mono_mp3_becomes_a_ready_clip_with_a_loudspeaker_mp3_and_an_app_m4a_at_minus_16_LUFS() {
    Path mp3 = tone(fixtures, "tone.mp3", 3, "-ac", "1", "-b:a", "128k");

    Clip clip = ingestAndWait(mp3, "村务通知");

    assertThat(clip.status()).isEqualTo(ClipStatus.READY);
    assertThat(clip.error()).isNull();
    assertThat(clip.title()).isEqualTo("村务通知");
    assertThat(clip.stage()).isEqualTo("done");
    assertThat(clip.progress()).isEqualTo(100);
    assertThat(clip.durationMs()).isBetween(2800L, 3100L);
    assertThat(clip.contentHash()).hasSize(64);
    assertThat(clip.loudness().inputLufs()).isCloseTo(-21.8, within(0.6));
    assertThat(clip.loudness().inputTruePeakDb()).isCloseTo(-18.1, within(0.6));
    assertThat(clip.loudness().targetLufs()).isEqualTo(-16.0);
    assertThat(clip.loudness().outputLufs()).isCloseTo(-16.0, within(1.0));
    assertThat(clip.renditions()).containsOnlyKeys("loudspeaker", "app");

    Rendition horn = clip.renditions().get("loudspeaker");
    assertThat(horn.file()).isEqualTo(clip.contentHash() + "-loudspeaker.mp3");
    assertThat(horn.url()).isEqualTo("/media/" + horn.file());
    assertThat(horn.codec()).isEqualTo("mp3");
    assertThat(horn.channels()).isEqualTo(1);
    assertThat(horn.sampleRate()).isEqualTo(44100);
    assertThat(horn.bitrate()).isEqualTo(64000);
    assertThat(horn.bytes()).isEqualTo(file(horn).toFile().length());
    Measurement hornFile = measure(file(horn), false);
    assertThat(hornFile.codec()).isEqualTo("mp3");
    assertThat(hornFile.layout()).isEqualTo("mono");
    assertThat(hornFile.sampleRate()).isEqualTo(44100);
    assertThat(hornFile.kbps()).isEqualTo(64);
    // at most 480 KB a minute on the village links
    assertThat(horn.bytes()).isLessThan(480_000L * 3 / 60 + 4_000);
    assertOnTarget(horn, false);

    Rendition app = clip.renditions().get("app");
    assertThat(app.file()).isEqualTo(clip.contentHash() + "-app.m4a");
    assertThat(app.codec()).isEqualTo("aac");
    assertThat(app.channels()).as("mono source stays mono").isEqualTo(1);
    Measurement appFile = measure(file(app), false);
    assertThat(appFile.codec()).isEqualTo("aac");
    assertThat(appFile.container()).startsWith("mov,mp4,m4a");
    assertThat(appFile.layout()).isEqualTo("mono");
    assertOnTarget(app, false);

    List<String> stages =
        events.stream().filter(c -> c.id().equals(clip.id())).map(Clip::stage).distinct().toList();
    assertThat(stages).containsExactly("queued", "analyzing", "encoding", "done");
    List<Integer> progress =
        events.stream().filter(c -> c.id().equals(clip.id())).map(Clip::progress).toList();
    assertThat(progress).isSorted();
  }

  static Stream<Arguments> formats() {
    String stereo = "sine=frequency=440:sample_rate=48000:duration=3";
    String right = "sine=frequency=660:sample_rate=48000:duration=3";
    return Stream.of(
        Arguments.of(
            "stereo 24-bit 96 kHz WAV",
            "a.wav",
            2,
            new String[] {
              "-f",
              "lavfi",
              "-i",
              stereo,
              "-f",
              "lavfi",
              "-i",
              right,
              "-filter_complex",
              "amerge=inputs=2",
              "-c:a",
              "pcm_s24le",
              "-ar",
              "96000"
            }),
        Arguments.of(
            "stereo AAC in M4A, as phones record",
            "a.m4a",
            2,
            new String[] {"-f", "lavfi", "-i", stereo, "-ac", "2", "-c:a", "aac", "-b:a", "128k"}),
        Arguments.of(
            "mono Ogg Vorbis",
            "a.ogg",
            1,
            new String[] {"-f", "lavfi", "-i", stereo, "-ac", "1", "-c:a", "libvorbis"}),
        Arguments.of(
            "stereo Ogg Opus",
            "a.opus",
            2,
            new String[] {"-f", "lavfi", "-i", stereo, "-ac", "2", "-c:a", "libopus"}),
        Arguments.of(
            "stereo FLAC", "a.flac", 2, new String[] {"-f", "lavfi", "-i", stereo, "-ac", "2"}),
        Arguments.of(
            "WMA from an old PC",
            "a.wma",
            2,
            new String[] {"-f", "lavfi", "-i", stereo, "-ac", "2", "-c:a", "wmav2", "-b:a", "64k"}),
        Arguments.of(
            "AMR voice recording",
            "a.amr",
            1,
            new String[] {
              "-f",
              "lavfi",
              "-i",
              stereo,
              "-ar",
              "8000",
              "-ac",
              "1",
              "-c:a",
              "libopencore_amrnb",
              "-b:a",
              "12.2k"
            }),
        Arguments.of(
            "8 kHz mu-law WAV",
            "mulaw.wav",
            1,
            new String[] {
              "-f", "lavfi", "-i", stereo, "-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw"
            }),
        Arguments.of(
            "quiet stereo MP3 at -45 dBFS",
            "quiet.mp3",
            2,
            new String[] {"-f", "lavfi", "-i", stereo, "-ac", "2", "-af", "volume=-27dB"}),
        Arguments.of(
            "loud pink noise hitting full scale",
            "loud.wav",
            1,
            new String[] {
              "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=1:duration=3:sample_rate=44100"
            }),
        Arguments.of(
            "MP4 video with an AAC soundtrack",
            "video.mp4",
            2,
            new String[] {
              "-f",
              "lavfi",
              "-i",
              "testsrc=size=64x48:rate=10:duration=3",
              "-f",
              "lavfi",
              "-i",
              stereo,
              "-ac",
              "2",
              "-c:v",
              "mpeg4",
              "-c:a",
              "aac",
              "-shortest"
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("formats")
  void editors_formats_become_ready_renditions_on_target(
      String description, String name, int channels, String[] args) {
    Path input = generate(fixtures, name, args);

    Clip clip = ingestAndWait(input, description);

    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    assertThat(clip.durationMs()).isBetween(2700L, 3100L);
    Rendition horn = clip.renditions().get("loudspeaker");
    assertThat(measure(file(horn), false).layout()).isEqualTo("mono");
    assertOnTarget(horn, false);
    Rendition app = clip.renditions().get("app");
    assertThat(app.channels()).isEqualTo(channels);
    assertThat(measure(file(app), false).layout()).isEqualTo(channels == 1 ? "mono" : "stereo");
    assertOnTarget(app, false);
  }

  @Test
  void leading_and_trailing_silence_is_trimmed() {
    Path padded =
        generate(
            fixtures,
            "padded.wav",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=44100:cl=mono:d=1.5",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100:duration=2",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=44100:cl=mono:d=2",
            "-filter_complex",
            "[0][1][2]concat=n=3:v=0:a=1");

    Clip clip = ingestAndWait(padded, "padded");

    assertThat(clip.status()).isEqualTo(ClipStatus.READY);
    assertThat(clip.durationMs()).as("2 s of tone and a little air").isBetween(2000L, 2500L);
    assertOnTarget(clip.renditions().get("loudspeaker"), false);
  }

  @Test
  void the_input_true_peak_counts_the_peaks_between_the_samples() {
    // a quarter of the sample rate, sampled at 45 degrees: every sample is at 0.707 of the peak
    Path between =
        generate(
            fixtures,
            "between.wav",
            "-f",
            "lavfi",
            "-i",
            "aevalsrc=0.5*sin(2*PI*11025*t+PI/4):s=44100:d=3",
            "-c:a",
            "pcm_s16le");

    Clip clip = ingestAndWait(between, "between the samples");

    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    assertThat(clip.loudness().inputTruePeakDb())
        .as("-6.0 dBTP, where the samples peak at -9.0 dBFS")
        .isBetween(-6.5, -5.0);
  }

  @Test
  void a_tiny_clip_of_a_fifth_of_a_second_is_normalised_too() {
    Path tiny = tone(fixtures, "tiny.wav", 0.2);

    Clip clip = ingestAndWait(tiny, "beep");

    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    assertThat(clip.durationMs()).isBetween(100L, 300L);
    assertOnTarget(clip.renditions().get("loudspeaker"), true);
    assertOnTarget(clip.renditions().get("app"), true);
  }

  @Test
  void the_same_bytes_uploaded_twice_give_the_same_clip_without_a_second_transcode()
      throws Exception {
    Path mp3 = tone(fixtures, "twice.mp3", 2, "-ac", "1", "-af", "volume=-3dB");
    Clip first = ingestAndWait(mp3, "first");
    assertThat(first.status()).isEqualTo(ClipStatus.READY);
    Path horn = file(first.renditions().get("loudspeaker"));
    var written = Files.getLastModifiedTime(horn);
    int eventsBefore = events.size();

    Path second = upload(library, mp3);
    Clip again = library.ingest(second, "second");

    assertThat(again.id()).isEqualTo(first.id());
    assertThat(again.status()).isEqualTo(ClipStatus.READY);
    assertThat(second).doesNotExist();
    assertThat(Files.getLastModifiedTime(horn)).isEqualTo(written);
    assertThat(events).hasSize(eventsBefore);
    assertThat(filesIn(library.incomingDir())).isEmpty();
  }

  @Test
  void an_upload_of_bytes_still_processing_joins_the_running_clip() {
    Path mp3 = tone(fixtures, "joining.mp3", 2, "-ac", "1", "-af", "volume=-6dB");
    Clip first = library.ingest(upload(library, mp3), "first");
    Clip second = library.ingest(upload(library, mp3), "second");

    assertThat(second.id()).isEqualTo(first.id());
    assertThat(awaitFinished(library, first.id()).status()).isEqualTo(ClipStatus.READY);
  }

  @Test
  void an_empty_upload_is_refused_at_once_and_deleted() throws Exception {
    Path empty = Files.createFile(library.incomingDir().resolve("empty.part"));

    assertThatThrownBy(() -> library.ingest(empty, "empty"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("body"))
        .hasMessageContaining("empty");
    assertThat(empty).doesNotExist();
  }

  @Test
  void rendition_files_are_served_only_by_the_exact_names_the_library_writes() throws Exception {
    Clip clip = ingestAndWait(tone(fixtures, "served.mp3", 1, "-ac", "1"), "served");
    String name = clip.renditions().get("app").file();
    Files.writeString(dataDir.resolve("secret.txt"), "secret");

    assertThat(library.mediaFile(name)).contains(settings.mediaDir().resolve(name));
    assertThat(library.mediaFile("../secret.txt")).isEmpty();
    assertThat(library.mediaFile("../media/" + name)).isEmpty();
    assertThat(library.mediaFile(settings.mediaDir().resolve(name).toString())).isEmpty();
    assertThat(library.mediaFile("/etc/passwd")).isEmpty();
    assertThat(library.mediaFile("node-id")).isEmpty();
    assertThat(library.mediaFile("0".repeat(64) + "-loudspeaker.mp3")).isEmpty();
    assertThat(library.mediaFile(name.toUpperCase())).isEmpty();
    assertThat(library.mediaFile(name + "/..")).isEmpty();
    assertThat(library.mediaFile("")).isEmpty();
    assertThat(library.mediaFile(null)).isEmpty();
  }

  @Test
  void temporary_and_upload_directories_are_empty_after_success_and_failure() throws Exception {
    Clip ok = ingestAndWait(tone(fixtures, "clean.mp3", 1, "-ac", "1", "-af", "volume=-9dB"), "ok");
    Path junk = fixtures.resolve("junk.mp3");
    Files.writeString(junk, "not audio at all, just some text pretending to be an mp3\n");
    Clip bad = ingestAndWait(junk, "bad");

    assertThat(ok.status()).isEqualTo(ClipStatus.READY);
    assertThat(bad.status()).isEqualTo(ClipStatus.FAILED);
    Path media = settings.mediaDir();
    assertThat(filesIn(media.resolve("tmp"))).isEmpty();
    assertThat(filesIn(media.resolve("sources"))).isEmpty();
    assertThat(filesIn(library.incomingDir())).isEmpty();
  }

  @Test
  void clips_are_stored_in_redis_as_camel_case_json_with_iso_instants() {
    Clip clip = ingestAndWait(tone(fixtures, "json.mp3", 1, "-ac", "1", "-af", "volume=-2dB"), "j");

    String json = redis.client().get(redis.key("clip:" + clip.id()));
    assertThat(json)
        .contains("\"status\":\"ready\"")
        .contains("\"contentHash\":\"" + clip.contentHash() + "\"")
        .contains("\"durationMs\":")
        .containsPattern("\"createdAt\":\"\\d{4}-\\d{2}-\\d{2}T[^\"]+Z\"");
    assertThat(redis.client().get(redis.key("clip:sha:" + clip.contentHash())))
        .isEqualTo(clip.id());
    assertThat(clip.id()).matches("[A-Za-z0-9_-]{8,16}");
  }

  @Test
  void ffmpeg_is_reported_working() {
    assertThat(library.ffmpegWorks()).isTrue();
  }
}
