package org.xiaolaba.scheduler;

import java.util.List;
import org.xiaolaba.media.Clip;

/**
 * Assembles a bulletin's audio: the given clips in order, with the configured jingles and gaps,
 * normalised as a whole into a new clip (processing until its renditions are ready). The server
 * hands the clip library's implementation in.
 */
@FunctionalInterface
public interface BulletinAudioPort {
  Clip assemble(List<String> clipIds, String title);
}
