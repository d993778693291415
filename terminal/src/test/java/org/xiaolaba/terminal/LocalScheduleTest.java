package org.xiaolaba.terminal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalScheduleTest {
  static final Instant NOON = Instant.parse("2026-11-27T04:00:00Z");

  @TempDir Path dir;

  static ScheduledPlay play(String runId, Instant startAt, PlayPriority priority) {
    return new ScheduledPlay(
        runId,
        runId.split(":")[0],
        "t",
        startAt,
        priority,
        "/media/" + runId.hashCode() + ".mp3",
        3000,
        null);
  }

  @Test
  void playsAndOffsetsSurviveARestartOfTheTerminal() {
    LocalSchedule first = LocalSchedule.open(dir);
    first.put(play("p1:1", NOON.plusSeconds(60), PlayPriority.NORMAL));
    first.put(play("p2:1", NOON, PlayPriority.EMERGENCY));
    first.advance("area:320623100201", "1764212345678-0");

    LocalSchedule second = LocalSchedule.open(dir);
    assertThat(second.plays()).extracting(ScheduledPlay::runId).containsExactly("p2:1", "p1:1");
    assertThat(second.plays().get(0).priority()).isEqualTo(PlayPriority.EMERGENCY);
    assertThat(second.offsets()).containsEntry("area:320623100201", "1764212345678-0");
  }

  @Test
  void theSamePlayTwiceIsNoChangeAndANewerVersionReplacesIt() {
    LocalSchedule s = LocalSchedule.open(dir);
    assertThat(s.put(play("p1:1", NOON, PlayPriority.NORMAL))).isTrue();
    assertThat(s.put(play("p1:1", NOON, PlayPriority.NORMAL))).isFalse();
    assertThat(s.put(play("p1:1", NOON, PlayPriority.HIGH))).isTrue();
    assertThat(s.plays())
        .singleElement()
        .extracting(ScheduledPlay::priority)
        .isEqualTo(PlayPriority.HIGH);
  }

  @Test
  void offsetsOnlyMoveForwardComparingMillisThenSequence() {
    LocalSchedule s = LocalSchedule.open(dir);
    assertThat(s.advance("area:320623", "1000-5")).isTrue();
    assertThat(s.advance("area:320623", "999-9")).isFalse();
    assertThat(s.advance("area:320623", "1000-5")).isFalse();
    assertThat(s.advance("area:320623", "1000-10")).isTrue();
    assertThat(s.offset("area:320623")).contains("1000-10");
  }

  @Test
  void playsThatEndedLongAgoAreForgotten() {
    LocalSchedule s = LocalSchedule.open(dir);
    s.put(play("old:1", NOON.minus(Duration.ofHours(1)), PlayPriority.NORMAL));
    s.put(play("new:1", NOON.plusSeconds(5), PlayPriority.NORMAL));
    assertThat(s.prune(NOON)).isEqualTo(1);
    assertThat(LocalSchedule.open(dir).plays())
        .extracting(ScheduledPlay::runId)
        .containsExactly("new:1");
  }

  @Test
  void anUnreadableFileIsSetAsideAndTheScheduleStartsEmpty() throws Exception {
    Files.writeString(dir.resolve(LocalSchedule.FILE_NAME), "{\"plays\": [tru");
    LocalSchedule s = LocalSchedule.open(dir);
    assertThat(s.plays()).isEmpty();
    assertThat(dir.resolve(LocalSchedule.FILE_NAME + ".unreadable")).exists();
  }
}
