package org.xiaolaba.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RangeParsingTest {
  @Test
  void noHeaderMeansTheWholeFile() {
    assertThat(MediaApi.parseRange(null, 100)).isEmpty();
  }

  @Test
  void anOpenEndedRangeRunsToTheLastByte() {
    assertThat(MediaApi.parseRange("bytes=10-", 100)).contains(new MediaApi.Span(10, 99));
  }

  @Test
  void aClosedRangeIsInclusiveAndClampedToTheFile() {
    assertThat(MediaApi.parseRange("bytes=0-9", 100)).contains(new MediaApi.Span(0, 9));
    assertThat(MediaApi.parseRange("bytes=90-500", 100)).contains(new MediaApi.Span(90, 99));
  }

  @Test
  void aSuffixRangeIsTheLastBytes() {
    assertThat(MediaApi.parseRange("bytes=-10", 100)).contains(new MediaApi.Span(90, 99));
    assertThat(MediaApi.parseRange("bytes=-1000", 100)).contains(new MediaApi.Span(0, 99));
  }

  @Test
  void severalRangesAreAnsweredWithTheWholeFile() {
    assertThat(MediaApi.parseRange("bytes=0-1,5-6", 100)).isEmpty();
  }

  @Test
  void rangesOutsideTheFileCannotBeSatisfied() {
    assertThatThrownBy(() -> MediaApi.parseRange("bytes=100-", 100))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MediaApi.parseRange("bytes=50-10", 100))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MediaApi.parseRange("bytes=-0", 100))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MediaApi.parseRange("bytes=99999999999999999999-", 100))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
