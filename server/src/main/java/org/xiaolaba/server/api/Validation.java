package org.xiaolaba.server.api;

import java.util.List;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.errors.InvalidInputException;

/** Checks shared by several routes, each naming the field at fault. */
final class Validation {
  private Validation() {}

  static void areas(AreaTree tree, List<String> areas) {
    if (areas == null || areas.isEmpty()) {
      throw new InvalidInputException("areas", "areas must name at least one area code");
    }
    for (int i = 0; i < areas.size(); i++) {
      if (!tree.contains(areas.get(i))) {
        throw new InvalidInputException(
            "areas[" + i + "]", "unknown area code '" + areas.get(i) + "'");
      }
    }
  }
}
