package org.xiaolaba.media;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.xiaolaba.config.Settings;
import org.xiaolaba.media.FfmpegCommands.Encoding;

/** One configured rendition profile (from {@code media.profiles}) and the encoding it asks for. */
record RenditionProfile(String name, Settings.Profile settings, Encoding encoding) {
  /** Profile names become part of file names: {@code <sha256>-<profile>.<ext>}. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

  /**
   * The configured profiles in the order clips are rendered: the horns first, then the app, then
   * any other by name. The first one's loudness is the one a clip reports.
   */
  static List<RenditionProfile> inOrder(Map<String, Settings.Profile> configured) {
    List<String> names = new ArrayList<>(configured.keySet());
    names.sort(
        Comparator.comparingInt(RenditionProfile::rank).thenComparing(Comparator.naturalOrder()));
    List<RenditionProfile> profiles = new ArrayList<>();
    for (String name : names) {
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "media profile name '"
                + name
                + "' cannot name a file: use lower-case letters, digits, '-' or '_'");
      }
      Settings.Profile p = configured.get(name);
      profiles.add(new RenditionProfile(name, p, Encoding.forCodec(p.codec())));
    }
    return List.copyOf(profiles);
  }

  private static int rank(String profile) {
    return switch (profile) {
      case "loudspeaker" -> 0;
      case "app" -> 1;
      default -> 2;
    };
  }

  /** Channels of this profile's rendition: the profile's, but never more than the source has. */
  int channelsFor(int sourceChannels) {
    int wanted = Math.max(1, Math.min(2, settings.channels()));
    return sourceChannels == 1 ? 1 : wanted;
  }

  /** The rendition's file name: by content hash, so the same bytes always map to one file. */
  String fileName(String contentHash) {
    return contentHash + "-" + name + "." + encoding.extension();
  }
}
