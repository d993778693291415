package org.xiaolaba.server.auth;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** What a token may do. Residents have no token and no role. */
public enum Role {
  ADMIN,
  EDITOR,
  BROADCASTER,
  TERMINAL;

  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static Role parse(String text) {
    return Arrays.stream(values())
        .filter(r -> r.json().equals(text))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "expected one of admin, editor, broadcaster, terminal"));
  }
}
