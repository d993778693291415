package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationTextTest {
  @ParameterizedTest(name = "''{0}'' is {1}")
  @CsvSource({
    "500ms, PT0.5S",
    "60s, PT60S",
    "90s, PT1M30S",
    "5m, PT5M",
    "2h, PT2H",
    "1d, PT24H",
    "10 s, PT10S",
    "'  30s ', PT30S",
    "0s, PT0S",
    "PT1M, PT1M",
    "PT1H30M, PT1H30M",
    "PT0.25S, PT0.25S"
  })
  void durationsAreReadInShortUnitsOrIso8601(String text, String iso) {
    assertThat(DurationText.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest(name = "''{0}'' is refused")
  @ValueSource(strings = {"", "60", "s", "1.5s", "-5s", "60S", "5 minutes", "a minute", "P1Y"})
  void textThatIsNotADurationIsRefusedWithTheFormsAllowed(String text) {
    assertThatThrownBy(() -> DurationText.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a duration such as 500ms, 60s, 5m, 2h or PT1M")
        .hasMessageContaining("'" + text + "'");
  }
}
