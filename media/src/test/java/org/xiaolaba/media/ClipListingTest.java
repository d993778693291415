package org.xiaolaba.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xiaolaba.media.MediaFixtures.awaitFinished;
import static org.xiaolaba.media.MediaFixtures.tone;
import static org.xiaolaba.media.MediaFixtures.upload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;

/**
 * The clip listing on a real Redis: newest first, in pages that neither skip nor repeat a clip
 * (clips created in the same millisecond included), filtered by status, kept in step on ingest and
 * delete, and rebuilt from the clip records at start when its index is missing.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ClipListingTest {
  static final Instant T0 = Instant.parse("2031-03-03T01:00:00Z");

  @TempDir static Path redisDir;
  @TempDir static Path fixtures;
  @TempDir Path dataDir;

  static SharedRedis shared;
  static int serial;

  final AtomicReference<Instant> now = new AtomicReference<>(T0);
  final Clock clock =
      new Clock() {
        @Override
        public ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  final List<AutoCloseable> open = new ArrayList<>();
  Settings settings;
  RedisHandle redis;
  ClipLibrary library;

  @BeforeAll
  static void startRedis() {
    shared = new SharedRedis(redisDir);
  }

  @AfterAll
  static void stopRedis() {
    if (shared != null) shared.close();
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
  }

  private ClipLibrary start() {
    if (settings == null) {
      settings = shared.settings(dataDir, Map.of());
      redis = shared.connect(settings);
      open.add(redis);
    }
    ClipLibrary lib = new ClipLibrary(settings, TestSettings.ffmpeg(), redis, clock);
    open.add(lib);
    lib.start();
    library = lib;
    return lib;
  }

  /** A clip of bytes no other test uploads: not audio, so it fails, quickly. */
  private Clip garbage(String title) throws IOException {
    Path f = fixtures.resolve("garbage-" + (++serial) + ".bin");
    Files.write(f, ("not audio " + serial + " " + title).getBytes(StandardCharsets.UTF_8));
    return library.ingest(upload(library, f), title);
  }

  /** Ingests clips one second apart (by the library's clock); returns them oldest first. */
  private List<Clip> clipsOneSecondApart(int n) throws IOException {
    List<Clip> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(garbage("clip " + i));
      now.set(now.get().plusSeconds(1));
    }
    return out;
  }

  private static List<String> ids(List<Clip> clips) {
    return clips.stream().map(Clip::id).toList();
  }

  /** Every page of {@code size}, following the cursors; the ids in the order shown. */
  private List<String> walk(int size, ClipStatus status) {
    List<String> seen = new ArrayList<>();
    String cursor = null;
    for (int pages = 0; pages < 100; pages++) {
      ClipPage page = library.list(size, cursor, null, status);
      assertThat(page.clips()).hasSizeLessThanOrEqualTo(size);
      seen.addAll(ids(page.clips()));
      cursor = page.nextCursor();
      if (cursor == null) return seen;
      assertThat(page.clips()).as("a page with a cursor after it is full").hasSize(size);
    }
    throw new AssertionError("more than 100 pages");
  }

  @Test
  void clips_are_listed_newest_first_in_pages_that_follow_each_other() throws IOException {
    start();
    List<Clip> clips = clipsOneSecondApart(5);
    List<String> newestFirst = new ArrayList<>(ids(clips));
    java.util.Collections.reverse(newestFirst);

    ClipPage first = library.list(2, null, null, null);
    assertThat(ids(first.clips())).containsExactlyElementsOf(newestFirst.subList(0, 2));
    assertThat(first.nextCursor()).isNotNull();
    ClipPage second = library.list(2, first.nextCursor(), null, null);
    assertThat(ids(second.clips())).containsExactlyElementsOf(newestFirst.subList(2, 4));
    ClipPage third = library.list(2, second.nextCursor(), null, null);
    assertThat(ids(third.clips())).containsExactly(newestFirst.get(4));
    assertThat(third.nextCursor()).as("the last page").isNull();

    assertThat(library.list(5, null, null, null).nextCursor())
        .as("exactly one page's worth")
        .isNull();
    // A clip added meanwhile comes first, and does not shift the pages after a cursor.
    Clip newer = garbage("newer");
    assertThat(ids(library.list(1, null, null, null).clips())).containsExactly(newer.id());
    assertThat(ids(library.list(2, first.nextCursor(), null, null).clips()))
        .containsExactlyElementsOf(newestFirst.subList(2, 4));
  }

  @Test
  void before_lists_the_clips_created_strictly_before_an_instant() throws IOException {
    start();
    List<Clip> clips = clipsOneSecondApart(4);

    ClipPage page = library.list(10, null, clips.get(2).createdAt(), null);

    assertThat(ids(page.clips())).containsExactly(clips.get(1).id(), clips.get(0).id());
    assertThat(page.nextCursor()).isNull();
  }

  @Test
  void clips_created_in_the_same_millisecond_are_each_listed_once() throws IOException {
    start();
    List<String> made = new ArrayList<>();
    for (int i = 0; i < 7; i++) made.add(garbage("same instant " + i).id());

    List<String> seen = walk(2, null);

    assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(made);
    assertThat(walk(1, null)).isEqualTo(seen);
  }

  @Test
  void a_status_filter_lists_only_clips_in_that_status_across_pages() throws IOException {
    start();
    Clip ready = library.ingest(upload(library, tone(fixtures, "ready.wav", 1)), "ready tone");
    now.set(now.get().plusSeconds(1));
    List<Clip> failed = clipsOneSecondApart(4);
    assertThat(awaitFinished(library, ready.id()).status()).isEqualTo(ClipStatus.READY);
    for (Clip c : failed)
      assertThat(awaitFinished(library, c.id()).status()).isEqualTo(ClipStatus.FAILED);

    assertThat(walk(1, ClipStatus.READY)).containsExactly(ready.id());
    List<String> failedNewestFirst = new ArrayList<>(ids(failed));
    java.util.Collections.reverse(failedNewestFirst);
    assertThat(walk(3, ClipStatus.FAILED)).containsExactlyElementsOf(failedNewestFirst);
    assertThat(library.list(10, null, null, ClipStatus.PROCESSING).clips()).isEmpty();
    assertThat(library.list(10, null, null, ClipStatus.READY).clips())
        .singleElement()
        .satisfies(c -> assertThat(c.renditions()).containsKeys("loudspeaker", "app"));
  }

  @Test
  void a_deleted_clip_leaves_the_listing() throws IOException {
    start();
    List<Clip> clips = clipsOneSecondApart(3);
    Clip gone = awaitFinished(library, clips.get(1).id());

    assertThat(library.delete(gone.id())).isTrue();

    assertThat(walk(10, null)).containsExactly(clips.get(2).id(), clips.get(0).id());
    assertThat(redis.client().zscore(redis.key("clips:created"), gone.id())).isNull();
  }

  @Test
  void a_missing_index_is_rebuilt_from_the_clip_records_at_start() throws IOException {
    start();
    List<Clip> clips = clipsOneSecondApart(3);
    for (Clip c : clips) awaitFinished(library, c.id());
    library.close();
    redis.client().del(redis.key("clips:created"));

    start();

    List<String> newestFirst = new ArrayList<>(ids(clips));
    java.util.Collections.reverse(newestFirst);
    assertThat(walk(2, null)).containsExactlyElementsOf(newestFirst);
    assertThat(redis.client().zscore(redis.key("clips:created"), clips.get(0).id()))
        .isEqualTo((double) T0.toEpochMilli());
  }

  @Test
  void bad_paging_is_refused_naming_the_field() {
    start();
    assertThatThrownBy(() -> library.list(0, null, null, null))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("limit"));
    assertThatThrownBy(() -> library.list(201, null, null, null))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("limit"));
    assertThatThrownBy(() -> library.list(10, "../etc", null, null))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
    assertThatThrownBy(() -> library.list(10, "1.abcdefghijkl", T0, null))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("before"));
    assertThat(library.list(200, null, null, null).clips()).isEmpty();
  }
}
