package org.xiaolaba.scheduler;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What an item is. The declaration order is the order of a bulletin: policy, notice, news. */
public enum ItemKind {
  POLICY,
  NOTICE,
  NEWS;

  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<ItemKind> parse(String text) {
    return Arrays.stream(values()).filter(k -> k.json().equals(text)).findFirst();
  }
}
