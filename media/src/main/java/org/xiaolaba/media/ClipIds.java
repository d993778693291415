package org.xiaolaba.media;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Random ids for clips, this node and temporary files: 9 random bytes, URL-safe Base64, so an id is
 * safe in a file name, a Redis key and a URL alike.
 */
final class ClipIds {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{12}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private ClipIds() {}

  static String random() {
    byte[] bytes = new byte[9];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** False for null and for anything this class could not have made (no path tricks). */
  static boolean isValid(String id) {
    return id != null && ID.matcher(id).matches();
  }
}
