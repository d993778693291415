package org.xiaolaba.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The county's administrative areas: a county (6-digit code), its towns (9 digits) and villages (12
 * digits). A child's code always starts with its parent's, so "is X inside Y" is a prefix test on
 * known codes. Immutable.
 */
public final class AreaTree {
  /** County, town or village, by the length of the code. */
  public enum Level {
    COUNTY(6),
    TOWN(9),
    VILLAGE(12);

    public final int digits;

    Level(int digits) {
      this.digits = digits;
    }
  }

  /** One area and its place in the tree. */
  public record Area(
      String code, String name, Level level, String parentCode, List<String> childCodes) {}

  private final AreaNode root;
  private final Map<String, Area> byCode;

  private AreaTree(AreaNode root, Map<String, Area> byCode) {
    this.root = root;
    this.byCode = Collections.unmodifiableMap(byCode);
  }

  /** Validates and indexes a tree; a bad node throws {@link ConfigException} naming it. */
  public static AreaTree of(AreaNode root) {
    Map<String, Area> byCode = new LinkedHashMap<>();
    add(root, null, Level.COUNTY, "areas", byCode);
    return new AreaTree(root, byCode);
  }

  private static void add(
      AreaNode node, String parent, Level level, String key, Map<String, Area> out) {
    String code = node.code();
    if (code == null || !code.matches("\\d{" + level.digits + "}")) {
      throw ConfigException.badValue(
          key + ".code",
          code,
          "expected a " + level.name().toLowerCase() + " code of " + level.digits + " digits");
    }
    if (parent != null && !code.startsWith(parent)) {
      throw ConfigException.badValue(
          key + ".code", code, "expected a code that starts with its parent's code " + parent);
    }
    if (node.name() == null || node.name().isBlank()) {
      throw ConfigException.badValue(key + ".name", node.name(), "expected the area's name");
    }
    if (out.containsKey(code)) {
      throw ConfigException.badValue(
          key + ".code", code, "expected each code once; it appears twice");
    }
    List<String> childCodes = new ArrayList<>();
    for (AreaNode c : node.children()) childCodes.add(c.code());
    out.put(code, new Area(code, node.name(), level, parent, List.copyOf(childCodes)));
    if (!node.children().isEmpty() && level == Level.VILLAGE) {
      throw ConfigException.badValue(key + ".children", childCodes, "villages have no children");
    }
    for (int i = 0; i < node.children().size(); i++) {
      Level next = level == Level.COUNTY ? Level.TOWN : Level.VILLAGE;
      add(node.children().get(i), code, next, key + ".children[" + i + "]", out);
    }
  }

  public AreaNode root() {
    return root;
  }

  public String countyCode() {
    return root.code();
  }

  public Optional<Area> find(String code) {
    return Optional.ofNullable(code == null ? null : byCode.get(code));
  }

  public boolean contains(String code) {
    return code != null && byCode.containsKey(code);
  }

  /** True when {@code code} is {@code ancestor} itself or lies below it. */
  public boolean covers(String ancestor, String code) {
    return contains(ancestor) && contains(code) && code.startsWith(ancestor);
  }

  /** True when any of {@code ancestors} covers {@code code}. */
  public boolean coversAny(Iterable<String> ancestors, String code) {
    for (String a : ancestors) {
      if (covers(a, code)) return true;
    }
    return false;
  }

  /** The area and everything below it, parents before children. */
  public List<String> selfAndDescendants(String code) {
    List<String> out = new ArrayList<>();
    collect(code, out);
    return out;
  }

  private void collect(String code, List<String> out) {
    Area a = byCode.get(code);
    if (a == null) return;
    out.add(code);
    for (String c : a.childCodes()) collect(c, out);
  }

  /** The area and those above it, itself first, the county last. */
  public List<String> selfAndAncestors(String code) {
    List<String> out = new ArrayList<>();
    for (Area a = byCode.get(code);
        a != null;
        a = a.parentCode() == null ? null : byCode.get(a.parentCode())) {
      out.add(a.code());
    }
    return out;
  }

  public List<Area> all() {
    return List.copyOf(byCode.values());
  }
}
