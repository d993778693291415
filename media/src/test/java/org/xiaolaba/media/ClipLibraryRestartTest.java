package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.generate;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;

/** What a restart finds: clips left processing, and temporary files of the run before. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ClipLibraryRestartTest {
  @TempDir static Path redisDir;
  @TempDir static Path fixtures;
  @TempDir Path dataDir;

  static SharedRedis shared;

  @BeforeAll
  static void startRedis() {
    shared = new SharedRedis(redisDir);
  }

  @AfterAll
  static void stopRedis() {
    if (shared != null) shared.close();
  }

  private static Path threeMinutes(String name, int frequency) {
    return generate(
        fixtures,
        name,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=" + frequency + ":sample_rate=8000:duration=180",
        "-c:a",
        "pcm_u8");
  }

  /** Starts a library, hands it a clip and closes it while the clip is being worked on. */
  private static String interruptedClip(Settings settings, RedisHandle redis, Path fixture) {
    ClipLibrary first = SharedRedis.library(settings, redis);
    first.start();
    String id = first.ingest(upload(first, fixture), "interrupted").id();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> !first.find(id).map(Clip::stage).orElse("queued").equals("queued"));
    first.close();
    assertThat(first.find(id).orElseThrow().status())
        .as("still processing when the library closed")
        .isEqualTo(ClipStatus.PROCESSING);
    return id;
  }

  @Test
  void a_clip_interrupted_by_a_shutdown_is_resumed_at_the_next_start() throws Exception {
    Settings settings = shared.settings(dataDir, Map.of("XIAOLABA_FFMPEG_WORKERS", "1"));
    try (RedisHandle redis = shared.connect(settings)) {
      String id = interruptedClip(settings, redis, threeMinutes("resume.wav", 350));
      Path media = settings.mediaDir();
      assertThat(media.resolve("sources").resolve(id)).exists();
      Path orphanTemp = Files.writeString(media.resolve("tmp/old-loudspeaker.mp3"), "partial");
      Path orphanUpload = Files.writeString(media.resolve("incoming/upload-1.part"), "partial");
      Path orphanSource = Files.writeString(media.resolve("sources/unknownclip"), "partial");

      try (ClipLibrary second = SharedRedis.library(settings, redis)) {
        second.start();

        assertThat(orphanTemp).doesNotExist();
        assertThat(orphanUpload).doesNotExist();
        assertThat(orphanSource).doesNotExist();
        Clip clip = awaitFinished(second, id);
        assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
        assertThat(clip.durationMs()).isBetween(179_000L, 180_500L);
        assertThat(media.resolve("sources").resolve(id)).doesNotExist();
      }
    }
  }

  @Test
  void a_clip_whose_upload_is_gone_after_a_restart_is_marked_failed_with_a_clear_error()
      throws Exception {
    Settings settings = shared.settings(dataDir, Map.of("XIAOLABA_FFMPEG_WORKERS", "1"));
    try (RedisHandle redis = shared.connect(settings)) {
      String id = interruptedClip(settings, redis, threeMinutes("gone.wav", 450));
      Files.delete(settings.mediaDir().resolve("sources").resolve(id));

      try (ClipLibrary second = SharedRedis.library(settings, redis)) {
        second.start();

        Clip clip = second.find(id).orElseThrow();
        assertThat(clip.status()).isEqualTo(ClipStatus.FAILED);
        assertThat(clip.error()).contains("interrupted").contains("upload it again");
      }
    }
  }
}
