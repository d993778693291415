package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.xiaolaba.config.errors.InvalidInputException;

class AreaCodesTest {
  private static final String COUNTY = "320623";
  private static final String VILLAGE = "320623100201";

  private final AreaTree tree = AreaTree.of(new SettingsLoader().defaults().areas());

  @ParameterizedTest(name = "\"{0}\" is read as {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "320623|320623",
        "\"320623 \"|320623",
        "\" 320623\"|320623",
        "\"\t320623\n\"|320623",
        "\u00A0320623\u00A0|320623",
        "\u3000320623\u3000|320623",
        "\u200B320623\uFEFF|320623",
        "３２０６２３|320623",
        "３２０６２３１００２０１|320623100201",
      })
  void whiteSpaceAtTheEndsAndFullWidthDigitsAreNormalisedAway(String sent, String code) {
    assertThat(AreaCodes.parseOne(tree, sent, "area")).isEqualTo(code);
  }

  @ParameterizedTest(name = "\"{0}\" is refused")
  @ValueSource(
      strings = {
        "+320623",
        "-320623",
        "0320623",
        "3206230",
        "32062",
        "3206231002",
        "320623 100201",
        "320623,320623100",
        "320623\u0000",
        "320623999",
        "٣٢٠٦٢٣", // Arabic-Indic digits: digits to Unicode, not to NFKC
        "",
        "   ",
      })
  void anythingElseIsRefusedNamingTheField(String sent) {
    assertThatThrownBy(() -> AreaCodes.parseOne(tree, sent, "areas[3]"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("areas[3]"))
        .hasMessageContaining("area code");
  }

  @Test
  void aListIsNormalisedAndDeduplicatedInOrder() {
    assertThat(AreaCodes.parse(tree, List.of(VILLAGE, " " + COUNTY, VILLAGE + " "), "areas"))
        .containsExactly(VILLAGE, COUNTY);
  }

  @Test
  void aListNamesItsFirstBadEntry() {
    assertThatThrownBy(() -> AreaCodes.parse(tree, List.of(VILLAGE, "nope"), "areas"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("areas[1]"))
        .hasMessageContaining("'nope'");
    assertThatThrownBy(() -> AreaCodes.parse(tree, Arrays.asList(VILLAGE, null), "areas"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("areas[1]"));
  }

  @Test
  void anEmptyMissingOrOverlongListIsRefused() {
    assertThatThrownBy(() -> AreaCodes.parse(tree, List.of(), "areas"))
        .hasMessageContaining("at least one");
    assertThatThrownBy(() -> AreaCodes.parse(tree, null, "areas"))
        .hasMessageContaining("at least one");
    List<String> tooMany = new ArrayList<>(Collections.nCopies(tree.all().size() + 1, VILLAGE));
    assertThatThrownBy(() -> AreaCodes.parse(tree, tooMany, "areas"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("areas"))
        .hasMessageContaining("the area tree has only 14 areas");
  }

  @Test
  void controlCharactersInARefusedValueAreShownEscaped() {
    assertThatThrownBy(() -> AreaCodes.parseOne(tree, "32\u000706", "area"))
        .hasMessageContaining("32\\u000706");
  }
}
