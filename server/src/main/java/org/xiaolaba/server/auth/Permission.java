package org.xiaolaba.server.auth;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.xiaolaba.server.http.ApiException;

/**
 * What a token may do beyond its role, granted explicitly when the token is made. Admins have every
 * permission; other tokens only those they were created with.
 */
public enum Permission {
  /**
   * Start or call off an emergency broadcast, and schedule {@code priority: emergency} programs.
   */
  EMERGENCY(Role.BROADCASTER);

  private final Role grantedTo;

  Permission(Role grantedTo) {
    this.grantedTo = grantedTo;
  }

  /** The role a non-admin token must have to be given this permission. */
  public Role grantedTo() {
    return grantedTo;
  }

  /** Throws 403 naming this permission when the principal lacks it for {@code what}. */
  public void requireOf(Principal p, String what) {
    if (p == null || !p.has(this)) {
      throw ApiException.forbidden(
          what + " needs the '" + json() + "' permission, which this token was not given");
    }
  }

  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a permission's exact name; throws naming the ones there are for anything else. */
  @JsonCreator
  public static Permission parse(String text) {
    return Arrays.stream(values())
        .filter(p -> p.json().equals(text))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "expected one of "
                        + Arrays.stream(values())
                            .map(Permission::json)
                            .collect(Collectors.joining(", "))));
  }
}
