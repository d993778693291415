package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.generate;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.ConflictException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;

/** Deleting clips: records and files go, unless the files serve another clip of the same bytes. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ClipDeletionTest {
  @TempDir static Path dataDir;
  @TempDir static Path fixtures;

  static RedisHandle redis;
  static ClipLibrary library;

  @BeforeAll
  static void startLibrary() {
    Settings settings = TestSettings.forDataDir(dataDir);
    redis = RedisHandle.open(settings);
    library = new ClipLibrary(settings, TestSettings.ffmpeg(), redis, Clock.systemUTC());
    library.start();
  }

  @AfterAll
  static void stopLibrary() {
    if (library != null) library.close();
    if (redis != null) redis.close();
  }

  private static Path tone(String name, int frequency) {
    return generate(
        fixtures,
        name,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=" + frequency + ":sample_rate=44100:duration=1",
        "-ac",
        "1");
  }

  private static Clip ready(Path fixture) {
    Clip clip = awaitFinished(library, library.ingest(upload(library, fixture), "通知").id());
    assertThat(clip.status()).as(String.valueOf(clip.error())).isEqualTo(ClipStatus.READY);
    return clip;
  }

  private static boolean stored(String key) {
    return redis.client().exists(redis.key(key));
  }

  private static List<Path> files(Clip clip) {
    return clip.renditions().values().stream()
        .map(r -> dataDir.resolve("media").resolve(r.file()))
        .toList();
  }

  @Test
  void deleting_a_ready_clip_removes_its_records_and_its_rendition_files() {
    Clip clip = ready(tone("ready.wav", 300));
    assertThat(files(clip)).hasSize(2).allMatch(Files::isRegularFile);

    assertThat(library.delete(clip.id())).isTrue();

    assertThat(library.find(clip.id())).isEmpty();
    assertThat(stored("clip:" + clip.id())).isFalse();
    assertThat(stored("clip:sha:" + clip.contentHash())).isFalse();
    assertThat(files(clip)).noneMatch(Files::exists);
    for (Rendition r : clip.renditions().values()) {
      assertThat(library.mediaFile(r.file())).isEmpty();
    }
    assertThat(library.delete(clip.id())).as("deleted already").isFalse();
  }

  @Test
  void the_same_bytes_uploaded_after_a_deletion_make_a_new_clip_with_its_own_files() {
    Path fixture = tone("again.wav", 350);
    Clip first = ready(fixture);
    library.delete(first.id());

    Clip second = ready(fixture);

    assertThat(second.id()).isNotEqualTo(first.id());
    assertThat(second.contentHash()).isEqualTo(first.contentHash());
    assertThat(files(second)).allMatch(Files::isRegularFile);
  }

  @Test
  void the_files_stay_while_another_clip_made_from_the_same_bytes_uses_them() throws Exception {
    Path fixture = tone("shared.wav", 400);
    Clip old = ready(fixture);
    for (Path f : files(old)) Files.delete(f); // lost from disk: the same upload makes a new clip
    Clip current = ready(fixture);
    assertThat(current.id()).isNotEqualTo(old.id());

    assertThat(library.delete(old.id())).isTrue();

    assertThat(files(current)).allMatch(Files::isRegularFile);
    assertThat(library.find(current.id())).isPresent();
    assertThat(stored("clip:sha:" + current.contentHash())).isTrue();
  }

  @Test
  void a_failed_clip_is_deleted_with_its_content_hash_entry() throws Exception {
    Path text = Files.writeString(fixtures.resolve("notes.mp3"), "not audio at all\n");
    Clip failed = awaitFinished(library, library.ingest(upload(library, text), "notes").id());
    assertThat(failed.status()).isEqualTo(ClipStatus.FAILED);

    assertThat(library.delete(failed.id())).isTrue();

    assertThat(library.find(failed.id())).isEmpty();
    assertThat(stored("clip:sha:" + failed.contentHash())).isFalse();
  }

  @Test
  void a_clip_still_processing_is_not_deleted_and_the_conflict_says_why() {
    Instant now = Instant.now();
    new ClipStore(redis)
        .put(
            new Clip(
                "processing02",
                "录音",
                ClipStatus.PROCESSING,
                null,
                "analyzing",
                10,
                null,
                null,
                null,
                null,
                now,
                now));

    assertThatThrownBy(() -> library.delete("processing02"))
        .isInstanceOfSatisfying(
            ConflictException.class,
            e -> {
              assertThat(e.getMessage()).contains("still being processed", "ready or failed");
              assertThat(e.conflictsWith()).isEmpty();
            });
    assertThat(library.find("processing02")).isPresent();
  }

  @Test
  void unknown_ids_and_ids_that_no_clip_could_have_are_not_deleted() {
    assertThat(library.delete("nosuchclip00")).isFalse();
    assertThat(library.delete("../../etc/passwd")).isFalse();
    assertThat(library.delete(null)).isFalse();
  }
}
