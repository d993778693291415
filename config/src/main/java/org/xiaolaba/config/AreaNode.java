package org.xiaolaba.config;

import java.util.List;

/** One area of the administrative tree as written in config: county, town or village. */
public record AreaNode(String code, String name, List<AreaNode> children) {
  public AreaNode {
    children = children == null ? List.of() : List.copyOf(children);
  }
}
