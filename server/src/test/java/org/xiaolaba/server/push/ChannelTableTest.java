package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A connection's channels and offsets: what counts as sent, and where a catch-up starts. */
class ChannelTableTest {
  static final String A = "area:320623100201";
  static final String B = "area:320623100202";

  @Test
  void aMessageAtOrBeforeTheLastSentIsADuplicate() {
    ChannelTable t = new ChannelTable();
    t.add(A);
    StreamOffset five = StreamOffset.parse("1000-5");
    assertThat(t.sent(A, five)).isFalse();
    t.sentNow(A, five);
    assertThat(t.sent(A, StreamOffset.parse("1000-4"))).isTrue();
    assertThat(t.sent(A, five)).isTrue();
    assertThat(t.sent(A, StreamOffset.parse("1000-6"))).isFalse();
    assertThat(t.sent(A, StreamOffset.parse("999-9"))).isTrue();
  }

  @Test
  void theOffsetAnnouncedOnSubscribeDoesNotHideAnEarlierReplayButStartsTheCatchUp() {
    ChannelTable t = new ChannelTable();
    t.add(A);
    assertThat(t.last(A)).isNull();
    t.announced(A, StreamOffset.parse("2000-0"));
    // A second subscribe from an earlier offset still gets what lies before the announced one.
    assertThat(t.sent(A, StreamOffset.parse("1500-0"))).isFalse();
    assertThat(t.last(A)).isEqualTo(StreamOffset.parse("2000-0"));
    t.sentNow(A, StreamOffset.parse("1500-0"));
    assertThat(t.last(A)).isEqualTo(StreamOffset.parse("2000-0"));
    t.sentNow(A, StreamOffset.parse("2500-1"));
    assertThat(t.last(A)).isEqualTo(StreamOffset.parse("2500-1"));
    // An older announcement never moves it back.
    t.announced(A, StreamOffset.parse("100-0"));
    assertThat(t.last(A)).isEqualTo(StreamOffset.parse("2500-1"));
  }

  @Test
  void channelsGrowAndAreRemovedWithTheirOffsets() {
    ChannelTable t = new ChannelTable();
    t.add(A);
    t.add(B);
    t.add(A);
    assertThat(t.size()).isEqualTo(2);
    t.sentNow(B, StreamOffset.parse("7-0"));
    t.remove(A);
    assertThat(t.names()).containsExactly(B);
    assertThat(t.last(B)).isEqualTo(StreamOffset.parse("7-0"));
    assertThat(t.contains(A)).isFalse();
    assertThat(t.last(A)).isNull();
  }

  @Test
  void anAckCountsOnlyForAnOffsetWithinWhatWasSentAndOnlyOnce() {
    ChannelTable t = new ChannelTable();
    t.add(A);
    assertThat(t.acknowledge(A, StreamOffset.parse("1000-0"))).as("nothing sent yet").isFalse();
    t.sentNow(A, StreamOffset.parse("1000-0"));
    t.sentNow(A, StreamOffset.parse("1000-1"));
    t.sentNow(A, StreamOffset.parse("2000-0"));
    assertThat(t.acknowledge(A, StreamOffset.parse("999-9"))).as("before the first").isFalse();
    assertThat(t.acknowledge(A, StreamOffset.parse("2000-1"))).as("not sent yet").isFalse();
    assertThat(t.acknowledge(B, StreamOffset.parse("1000-0"))).as("not subscribed").isFalse();
    assertThat(t.acknowledge(A, StreamOffset.parse("1000-1"))).isTrue();
    assertThat(t.acknowledge(A, StreamOffset.parse("1000-1"))).as("twice").isFalse();
    assertThat(t.acknowledge(A, StreamOffset.parse("1000-0"))).as("behind the last").isFalse();
    assertThat(t.acknowledge(A, StreamOffset.parse("2000-0"))).isTrue();
  }

  @Test
  void aChannelSubscribedForATerminalIsAskedForByItOnceMore() {
    ChannelTable t = new ChannelTable();
    t.addAutomatic(A);
    t.add(B);
    assertThat(t.firstAskOf(B)).isFalse();
    assertThat(t.firstAskOf(A)).isTrue();
    assertThat(t.firstAskOf(A)).isFalse();
  }
}
