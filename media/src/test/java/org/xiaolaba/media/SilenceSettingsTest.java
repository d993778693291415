package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.generate;
import static org.xiaolaba.media.MediaFixtures.tone;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;

/** {@code media.silence}: what is trimmed as silence, and what is refused as silent. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SilenceSettingsTest {
  @TempDir static Path redisDir;
  @TempDir static Path fixtures;
  @TempDir Path dataDir;

  static SharedRedis shared;
  static Path silenceThenTone;
  static Path hissThenTone;
  RedisHandle redis;
  ClipLibrary library;

  @BeforeAll
  static void startRedisAndMakeFixtures() {
    shared = new SharedRedis(redisDir);
    silenceThenTone = leadIn("silence-then-tone.wav", "anullsrc=r=44100:cl=mono:d=2");
    // white noise peaking at about -46 dBFS: above the default threshold of -50 dB
    hissThenTone =
        leadIn(
            "hiss-then-tone.wav",
            "anoisesrc=color=white:amplitude=0.005:sample_rate=44100:duration=2");
  }

  /** Two seconds of {@code lead} and then two seconds of tone. */
  private static Path leadIn(String name, String lead) {
    return generate(
        fixtures,
        name,
        "-f",
        "lavfi",
        "-i",
        lead,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100:duration=2",
        "-filter_complex",
        "[0][1]concat=n=2:v=0:a=1",
        "-ac",
        "1");
  }

  @AfterAll
  static void stopRedis() {
    if (shared != null) shared.close();
  }

  @AfterEach
  void closeLibrary() {
    if (library != null) library.close();
    if (redis != null) redis.close();
  }

  private Clip ingest(Map<String, String> env, Path fixture) {
    Settings settings = shared.settings(dataDir, env);
    redis = shared.connect(settings);
    library = SharedRedis.library(settings, redis);
    library.start();
    return awaitFinished(library, library.ingest(upload(library, fixture), "clip").id());
  }

  @Test
  void two_seconds_of_leading_silence_are_trimmed_with_the_default_minimum_of_half_a_second() {
    Clip clip = ingest(Map.of(), silenceThenTone);

    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    assertThat(clip.durationMs()).as("the tone and a little air").isBetween(2000L, 2400L);
  }

  @Test
  void two_seconds_of_leading_silence_are_kept_when_the_minimum_is_five_seconds() {
    Clip clip = ingest(Map.of("XIAOLABA_MEDIA_SILENCE_MIN_DURATION", "5s"), silenceThenTone);

    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    assertThat(clip.durationMs()).as("silence and tone").isBetween(3900L, 4100L);
  }

  @Test
  void a_hiss_above_the_default_threshold_is_kept() {
    Clip clip = ingest(Map.of(), hissThenTone);

    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    assertThat(clip.durationMs()).isBetween(3900L, 4100L);
  }

  @Test
  void the_same_hiss_is_trimmed_below_a_threshold_of_minus_40_dB() {
    Clip clip = ingest(Map.of("XIAOLABA_MEDIA_SILENCE_THRESHOLD_DB", "-40"), hissThenTone);

    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    assertThat(clip.durationMs()).isBetween(2000L, 2400L);
  }

  @Test
  void a_quiet_clip_is_normalised_by_default_but_refused_as_silent_below_a_higher_floor() {
    Path quiet = tone(fixtures, "quiet.wav", 2, "-af", "volume=-30dB"); // about -52 LUFS

    assertThat(ingest(Map.of(), quiet).status()).isEqualTo(ClipStatus.READY);
    library.close();
    redis.close();

    Clip refused = ingest(Map.of("XIAOLABA_MEDIA_SILENCE_SILENT_BELOW_LUFS", "-45"), quiet);

    assertThat(refused.status()).isEqualTo(ClipStatus.FAILED);
    assertThat(refused.error())
        .contains("the clip is silent", "-45.0 LUFS", "media.silence.silentBelowLufs");
  }
}
