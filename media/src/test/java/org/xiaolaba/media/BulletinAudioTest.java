package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.filesIn;
import static org.xiaolaba.media.MediaFixtures.generate;
import static org.xiaolaba.media.MediaFixtures.measure;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.MediaFixtures.Measurement;

/**
 * A bulletin's clips and jingles joined into one program, with real ffmpeg on a real Redis: the
 * program is normalised as a whole, rendered like any clip and found again when assembled twice.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BulletinAudioTest {
  static final double INTRO_SECONDS = 1.5;

  @TempDir static Path redisDir;
  @TempDir static Path fixtures;
  @TempDir static Path dataDir;
  @TempDir Path otherDataDir;

  static SharedRedis shared;
  static RedisHandle redis;
  static ClipLibrary library;
  static List<Clip> items;

  /** A library a single test starts with other settings; closed after it. */
  RedisHandle otherRedis;

  ClipLibrary other;

  @BeforeAll
  static void startLibraryWithThreeReadyClips() {
    shared = new SharedRedis(redisDir);
    Path intro =
        generate(
            fixtures,
            "intro.wav",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=660:sample_rate=48000:duration=" + INTRO_SECONDS,
            "-ac",
            "2");
    Settings settings =
        shared.settings(
            dataDir,
            Map.of(
                "XIAOLABA_MEDIA_BULLETIN_INTRO",
                intro.toString(),
                "XIAOLABA_MEDIA_BULLETIN_GAP",
                "1s"));
    redis = shared.connect(settings);
    library = SharedRedis.library(settings, redis);
    library.start();
    // different pitch, loudness, channels and formats, as editors upload them
    List<String> ids =
        List.of(
            ingest(item("quiet.mp3", 330, "-20dB", "-ac", "1", "-b:a", "128k"), "quiet"),
            ingest(item("loud.m4a", 550, "12dB", "-ac", "2", "-c:a", "aac"), "loud"),
            ingest(item("plain.wav", 880, "0dB", "-ac", "2"), "plain"));
    items = ids.stream().map(id -> awaitFinished(library, id)).toList();
    for (Clip c : items) {
      assertThat(c.status()).as(String.valueOf(c.error())).isEqualTo(ClipStatus.READY);
    }
  }

  @AfterAll
  static void stopLibrary() {
    if (library != null) library.close();
    if (redis != null) redis.close();
    if (shared != null) shared.close();
  }

  @AfterEach
  void stopOtherLibrary() {
    if (other != null) other.close();
    if (otherRedis != null) otherRedis.close();
  }

  private static Path item(String name, int frequency, String volume, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=" + frequency + ":sample_rate=44100:duration=2",
                "-af",
                "volume=" + volume));
    args.addAll(List.of(extra));
    return generate(fixtures, name, args.toArray(String[]::new));
  }

  private static String ingest(Path fixture, String title) {
    return library.ingest(upload(library, fixture), title).id();
  }

  private static List<String> itemIds() {
    return items.stream().map(Clip::id).toList();
  }

  private ClipLibrary startOther(Map<String, String> env) {
    Settings settings = shared.settings(otherDataDir, env);
    otherRedis = shared.connect(settings);
    other = SharedRedis.library(settings, otherRedis);
    other.start();
    return other;
  }

  private static Clip storedClip(String id, ClipStatus status, String error) {
    Instant now = Instant.now();
    return new Clip(id, id, status, error, "queued", 0, null, null, null, null, now, now);
  }

  @Test
  void three_clips_and_an_intro_jingle_become_one_program_normalised_as_a_whole() {
    Clip accepted = library.assembleBulletin(itemIds(), "早间新闻");

    Clip program = awaitFinished(library, accepted.id());
    assertThat(program.status()).as(String.valueOf(program.error())).isEqualTo(ClipStatus.READY);
    assertThat(program.title()).isEqualTo("早间新闻");
    assertThat(program.contentHash()).isNotIn(items.stream().map(Clip::contentHash).toList());
    long parts =
        Math.round(INTRO_SECONDS * 1000) + items.stream().mapToLong(Clip::durationMs).sum();
    long gaps = 3 * 1000; // intro, gap, quiet, gap, loud, gap, plain
    assertThat(program.durationMs()).isCloseTo(parts + gaps, within(300L));
    assertThat(program.renditions()).containsOnlyKeys("loudspeaker", "app");
    for (Rendition r : program.renditions().values()) {
      Measurement m = measure(library.mediaFile(r.file()).orElseThrow(), false);
      assertThat(m.integratedLufs()).as("%s loudness", r.file()).isCloseTo(-16.0, within(1.0));
      assertThat(m.truePeakDb()).as("%s true peak", r.file()).isLessThanOrEqualTo(-1.0);
    }
    Path app = library.mediaFile(program.renditions().get("app").file()).orElseThrow();
    assertThat(MediaFixtures.silences(app, 0.5))
        .as("a gap of silence between each two parts")
        .hasSize(3)
        .allSatisfy(s -> assertThat(s).isCloseTo(1.0, within(0.1)));
    assertThat(program.renditions().get("loudspeaker").channels()).isEqualTo(1);
    assertThat(program.renditions().get("app").channels()).isEqualTo(2);
    assertThat(filesIn(dataDir.resolve("media/incoming"))).isEmpty();
    assertThat(filesIn(dataDir.resolve("media/sources"))).isEmpty();
  }

  @Test
  void assembling_the_same_clips_again_gives_the_same_clip() {
    Clip first = library.assembleBulletin(itemIds(), "早间新闻");
    Clip again = library.assembleBulletin(itemIds(), "早间新闻");

    assertThat(again.id()).isEqualTo(first.id());
    assertThat(awaitFinished(library, first.id()).status()).isEqualTo(ClipStatus.READY);
    assertThat(library.assembleBulletin(itemIds(), "早间新闻").id()).isEqualTo(first.id());
    assertThat(filesIn(dataDir.resolve("media/incoming"))).isEmpty();
  }

  @Test
  void an_unknown_clip_is_refused_naming_its_place_in_the_list() {
    List<String> ids = new ArrayList<>(itemIds());
    ids.add(2, "nosuchclip00");

    assertThatThrownBy(() -> library.assembleBulletin(ids, "早间新闻"))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> {
              assertThat(e.field()).isEqualTo("clipIds[2]");
              assertThat(e.getMessage()).contains("no clip", "nosuchclip00");
            });
    assertThatThrownBy(() -> library.assembleBulletin(List.of("../../etc/x"), "早间新闻"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("clipIds[0]"));
    assertThat(filesIn(dataDir.resolve("media/incoming"))).isEmpty();
  }

  @Test
  void a_clip_still_processing_or_failed_is_refused_naming_its_place_in_the_list() {
    ClipStore store = new ClipStore(redis);
    store.put(storedClip("processing01", ClipStatus.PROCESSING, null));
    store.put(storedClip("failedclip01", ClipStatus.FAILED, "the file has no audio stream"));

    assertThatThrownBy(
            () -> library.assembleBulletin(List.of(itemIds().get(0), "processing01"), "早间新闻"))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> {
              assertThat(e.field()).isEqualTo("clipIds[1]");
              assertThat(e.getMessage()).contains("processing01", "still being processed");
            });
    assertThatThrownBy(() -> library.assembleBulletin(List.of("failedclip01"), "早间新闻"))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> {
              assertThat(e.field()).isEqualTo("clipIds[0]");
              assertThat(e.getMessage()).contains("failed", "no audio stream");
            });
  }

  @Test
  void an_empty_list_without_jingles_is_refused() {
    ClipLibrary plain = startOther(Map.of());

    assertThatThrownBy(() -> plain.assembleBulletin(List.of(), "早间新闻"))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> {
              assertThat(e.field()).isEqualTo("clipIds");
              assertThat(e.getMessage()).contains("at least one clip");
            });
  }

  @Test
  void a_jingle_that_is_not_audio_fails_naming_its_setting_and_leaves_nothing_behind()
      throws Exception {
    Path notAudio = Files.writeString(fixtures.resolve("outro.mp3"), "this is not a jingle\n");
    ClipLibrary broken = startOther(Map.of("XIAOLABA_MEDIA_BULLETIN_OUTRO", notAudio.toString()));

    assertThatThrownBy(() -> broken.assembleBulletin(List.of(), "早间新闻"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("media.bulletin.outro")
        .hasMessageContaining("not readable audio");
    assertThat(filesIn(otherDataDir.resolve("media/incoming"))).isEmpty();
  }

  @Test
  void the_command_opens_every_part_like_an_upload_and_joins_them_with_the_concat_filter() {
    List<Path> parts =
        List.of(Path.of("/j/intro.wav"), Path.of("/m/a-app.m4a"), Path.of("/m/b-app.m4a"));

    List<String> args =
        BulletinAudio.command(parts, Duration.ofMillis(1500), 2, Path.of("/m/incoming/b.wav"));

    int inputs = 0;
    for (int i = 0; i < args.size(); i++) {
      if (!args.get(i).equals("-i")) continue;
      assertThat(args.subList(i - 4, i + 2))
          .containsExactly(
              "-protocol_whitelist",
              "file",
              "-format_whitelist",
              FfmpegCommands.FORMAT_WHITELIST,
              "-i",
              FfmpegCommands.fileUrl(parts.get(inputs)));
      inputs++;
    }
    assertThat(inputs).isEqualTo(3);
    assertThat(args).doesNotContainSequence("-f", "concat");
    String graph = args.get(args.indexOf("-filter_complex") + 1);
    String stereo = "aformat=sample_fmts=s16:sample_rates=44100:channel_layouts=stereo";
    assertThat(graph)
        .startsWith("[0:a:0]" + stereo + ",apad=pad_dur=1.500[p0];")
        .contains("[1:a:0]" + stereo + ",apad=pad_dur=1.500[p1];")
        .contains("[2:a:0]" + stereo + "[p2];")
        .endsWith("[p0][p1][p2]concat=n=3:v=0:a=1[out]");
    assertThat(args)
        .containsSequence("-map", "[out]")
        .containsSequence("-c:a", "pcm_s16le")
        .containsSequence("-fflags", "+bitexact")
        .endsWith("file:/m/incoming/b.wav");
  }
}
