package org.xiaolaba.media;

/**
 * A reason, for the user, that a clip cannot be used; it becomes the clip's {@code error}. No stack
 * trace: it is an answer, not a fault.
 */
final class ClipRefused extends Exception {
  /** For a write that found the disk full, whichever step it was. */
  static final String DISK_FULL =
      "the server's disk is full; the clip could not be stored. Try again later";

  ClipRefused(String message) {
    super(message, null, false, false);
  }
}
