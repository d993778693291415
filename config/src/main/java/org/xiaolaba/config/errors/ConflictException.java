package org.xiaolaba.config.errors;

import java.util.List;

/** The request clashes with what exists; answered 409, naming what it clashes with. */
public class ConflictException extends RuntimeException {
  private final List<String> conflictsWith;

  public ConflictException(String detail, List<String> conflictsWith) {
    super(detail);
    this.conflictsWith = List.copyOf(conflictsWith);
  }

  public List<String> conflictsWith() {
    return conflictsWith;
  }
}
