package org.xiaolaba.media;

/**
 * The library is closing under a clip: it stays processing, and the next start resumes it. Not a
 * failure, so it carries nothing.
 */
final class ClipAbandoned extends Exception {
  ClipAbandoned() {
    super(null, null, false, false);
  }
}
