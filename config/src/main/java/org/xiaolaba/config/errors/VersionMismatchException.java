package org.xiaolaba.config.errors;

/**
 * A change made against a version of something that is no longer the current one ({@code If-Match}
 * that does not match); answered 412 naming the current version, which nothing was written over.
 */
public class VersionMismatchException extends RuntimeException {
  private final String current;

  public VersionMismatchException(String what, String expected, String current) {
    super(
        what
            + " is at version \""
            + current
            + "\", not \""
            + expected
            + "\" (If-Match): someone changed it since you read it; read it again and redo your"
            + " change on what is there now");
    this.current = current;
  }

  /** The version that is stored now. */
  public String current() {
    return current;
  }
}
