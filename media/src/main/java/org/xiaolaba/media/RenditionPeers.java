package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Other nodes of the cluster, asked for a rendition this node does not have on its own disk (it was
 * transcoded on another node): each node keeps the files it made, and fetches the others' when it
 * first needs them, to serve them or to assemble a bulletin.
 */
public interface RenditionPeers {
  /** Writes the rendition {@code name} into {@code target}; false when no other node has it. */
  boolean fetch(String name, Path target) throws IOException;
}
