package org.xiaolaba.scheduler;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.xiaolaba.config.AreaTree;

/**
 * Set arithmetic on lists of area codes, where an area stands for itself and everything below it: a
 * county overlaps every village in it.
 */
final class AreaOverlap {
  private final AreaTree tree;

  AreaOverlap(AreaTree tree) {
    this.tree = tree;
  }

  AreaTree tree() {
    return tree;
  }

  /** True when some area of {@code a} and some area of {@code b} share a terminal's place. */
  boolean overlaps(Collection<String> a, Collection<String> b) {
    for (String x : a) {
      for (String y : b) {
        if (tree.covers(x, y) || tree.covers(y, x)) return true;
      }
    }
    return false;
  }

  /** Every area that overlaps one of {@code areas}: each area, those above it and those below. */
  Set<String> related(Collection<String> areas) {
    Set<String> out = new LinkedHashSet<>();
    for (String a : areas) {
      out.addAll(tree.selfAndAncestors(a));
      out.addAll(tree.selfAndDescendants(a));
    }
    return out;
  }

  /** Each area and those above it: where something covering a terminal there is filed. */
  Set<String> covering(Collection<String> areas) {
    Set<String> out = new LinkedHashSet<>();
    for (String a : areas) out.addAll(tree.selfAndAncestors(a));
    return out;
  }

  /** The places of {@code a} outside every area of {@code minus}, as few codes as possible. */
  List<String> subtract(Collection<String> a, Collection<String> minus) {
    List<String> out = new ArrayList<>();
    for (String x : a) subtractInto(x, minus, out);
    return out;
  }

  private void subtractInto(String x, Collection<String> minus, List<String> out) {
    if (tree.coversAny(minus, x)) return;
    boolean cut = false;
    for (String m : minus) {
      if (tree.covers(x, m)) {
        cut = true;
        break;
      }
    }
    if (!cut) {
      out.add(x);
      return;
    }
    for (String child : tree.find(x).orElseThrow().childCodes()) subtractInto(child, minus, out);
  }

  /** The places in both {@code a} and {@code b}: the lower area of each overlapping pair. */
  List<String> intersect(Collection<String> a, Collection<String> b) {
    Set<String> out = new LinkedHashSet<>();
    for (String x : a) {
      for (String y : b) {
        if (tree.covers(x, y)) out.add(y);
        else if (tree.covers(y, x)) out.add(x);
      }
    }
    // Drop areas already inside another one kept.
    List<String> kept = new ArrayList<>();
    for (String x : out) {
      boolean inner = false;
      for (String y : out) {
        if (!x.equals(y) && tree.covers(y, x)) inner = true;
      }
      if (!inner) kept.add(x);
    }
    return kept;
  }
}
