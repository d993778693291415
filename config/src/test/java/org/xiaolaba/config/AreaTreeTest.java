package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AreaTreeTest {
  private static final String COUNTY = "320623";
  private static final String JUEGANG = "320623001";
  private static final String QINGYUAN = "320623001001";
  private static final String YIMIN = "320623001201";
  private static final String CHANGSHA = "320623100";
  private static final String CHANGSHA_VILLAGE = "320623100201";
  private static final String HEYA = "320623100202";

  private final AreaTree tree = AreaTree.of(new SettingsLoader().defaults().areas());

  @Test
  void eachAreaKnowsItsLevelFromTheLengthOfItsCode() {
    assertThat(tree.find(COUNTY).orElseThrow().level()).isEqualTo(AreaTree.Level.COUNTY);
    assertThat(tree.find(JUEGANG).orElseThrow().level()).isEqualTo(AreaTree.Level.TOWN);
    assertThat(tree.find(QINGYUAN).orElseThrow().level()).isEqualTo(AreaTree.Level.VILLAGE);
    assertThat(tree.find(QINGYUAN).orElseThrow().parentCode()).isEqualTo(JUEGANG);
    assertThat(tree.find(COUNTY).orElseThrow().parentCode()).isNull();
    assertThat(tree.all()).hasSize(1 + 4 + 9);
  }

  @Test
  void anAreaCoversItselfAndEverythingBelowIt() {
    assertThat(tree.covers(COUNTY, COUNTY)).isTrue();
    assertThat(tree.covers(COUNTY, JUEGANG)).isTrue();
    assertThat(tree.covers(COUNTY, QINGYUAN)).isTrue();
    assertThat(tree.covers(JUEGANG, QINGYUAN)).isTrue();
    assertThat(tree.covers(JUEGANG, YIMIN)).isTrue();
    assertThat(tree.covers(QINGYUAN, QINGYUAN)).isTrue();
  }

  @Test
  void anAreaDoesNotCoverItsParentsOrItsNeighbours() {
    assertThat(tree.covers(JUEGANG, COUNTY)).isFalse();
    assertThat(tree.covers(QINGYUAN, JUEGANG)).isFalse();
    assertThat(tree.covers(CHANGSHA, QINGYUAN)).isFalse();
    assertThat(tree.covers(QINGYUAN, YIMIN)).isFalse();
  }

  @Test
  void unknownCodesAreNeitherCoveredNorCovering() {
    assertThat(tree.covers(COUNTY, "320623999")).isFalse();
    assertThat(tree.covers(COUNTY, "320623001999")).isFalse();
    assertThat(tree.covers("320623999", "320623999001")).isFalse();
    assertThat(tree.covers(COUNTY, null)).isFalse();
    assertThat(tree.covers(null, COUNTY)).isFalse();
    assertThat(tree.contains("320602")).isFalse();
    assertThat(tree.find("320602")).isEmpty();
    assertThat(tree.find(null)).isEmpty();
  }

  @Test
  void coversAnyIsTrueWhenOneOfSeveralAreasAtAnyLevelCoversTheCode() {
    assertThat(tree.coversAny(List.of(CHANGSHA, JUEGANG), YIMIN)).isTrue();
    assertThat(tree.coversAny(List.of(HEYA, COUNTY), QINGYUAN)).isTrue();
    assertThat(tree.coversAny(List.of(QINGYUAN, CHANGSHA_VILLAGE), QINGYUAN)).isTrue();
    assertThat(tree.coversAny(List.of(CHANGSHA, QINGYUAN), YIMIN)).isFalse();
    assertThat(tree.coversAny(List.of("320623999", "bogus"), QINGYUAN)).isFalse();
    assertThat(tree.coversAny(List.of(), QINGYUAN)).isFalse();
  }

  @Test
  void selfAndDescendantsListsParentsBeforeTheirChildrenInFileOrder() {
    assertThat(tree.selfAndDescendants(CHANGSHA)).containsExactly(CHANGSHA, CHANGSHA_VILLAGE, HEYA);
    assertThat(tree.selfAndDescendants(HEYA)).containsExactly(HEYA);

    List<String> all = tree.selfAndDescendants(COUNTY);
    assertThat(all).hasSize(14).startsWith(COUNTY, JUEGANG, QINGYUAN);
    assertThat(all.indexOf(CHANGSHA)).isLessThan(all.indexOf(CHANGSHA_VILLAGE));
    assertThat(all.indexOf(YIMIN)).isLessThan(all.indexOf(CHANGSHA));
  }

  @Test
  void selfAndAncestorsListsTheAreaFirstAndTheCountyLast() {
    assertThat(tree.selfAndAncestors(YIMIN)).containsExactly(YIMIN, JUEGANG, COUNTY);
    assertThat(tree.selfAndAncestors(CHANGSHA)).containsExactly(CHANGSHA, COUNTY);
    assertThat(tree.selfAndAncestors(COUNTY)).containsExactly(COUNTY);
  }

  @Test
  void unknownCodesHaveNoDescendantsAndNoAncestors() {
    assertThat(tree.selfAndDescendants("320623999")).isEmpty();
    assertThat(tree.selfAndAncestors("320623001999")).isEmpty();
    assertThat(tree.selfAndAncestors(null)).isEmpty();
  }

  @Test
  void aTreeBuiltInCodeIsValidatedLikeOneFromAFile() {
    AreaNode bad =
        new AreaNode(
            COUNTY,
            "如东县",
            List.of(new AreaNode("320623001", "掘港街道", null), new AreaNode("3206230", "x", null)));
    assertThatThrownBy(() -> AreaTree.of(bad))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'areas.children[1].code'")
        .hasMessageContaining("'3206230'")
        .hasMessageContaining("expected a town code of 9 digits");
  }

  @Test
  void aCountyAloneIsAValidTree() {
    AreaTree lonely = AreaTree.of(new AreaNode("320602", "崇川区", null));
    assertThat(lonely.selfAndDescendants("320602")).containsExactly("320602");
    assertThat(lonely.root().children()).isEmpty();
  }
}
