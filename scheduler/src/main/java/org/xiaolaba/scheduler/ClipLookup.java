package org.xiaolaba.scheduler;

import java.util.Optional;
import org.xiaolaba.media.Clip;

/**
 * How the scheduler finds a clip: at create time to check the program's clip exists and has not
 * failed, and at fire time to get its loudspeaker rendition. The server passes its clip library's
 * {@code find}.
 */
@FunctionalInterface
public interface ClipLookup {
  Optional<Clip> find(String clipId);
}
