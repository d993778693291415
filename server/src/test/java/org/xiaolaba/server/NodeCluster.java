package org.xiaolaba.server;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xiaolaba.config.redis.EmbeddedRedisServer;
import org.xiaolaba.config.testing.TestSettings;

/**
 * A redis-server of its own ({@code appendfsync always}) and the {@link NodeProcess}es started on
 * it, closed together: the nodes first, then Redis.
 */
final class NodeCluster implements AutoCloseable {
  private final EmbeddedRedisServer redis;
  private final List<NodeProcess> nodes = new ArrayList<>();

  private NodeCluster(EmbeddedRedisServer redis) {
    this.redis = redis;
  }

  /** Starts the redis-server, its files in {@code dir/redis}. */
  static NodeCluster start(Path dir) {
    return new NodeCluster(
        EmbeddedRedisServer.start(dir.resolve("redis"), TestSettings.sharedBinDir(), "always"));
  }

  /** Starts a node on this Redis with its data in {@code dataDir}; it is closed with the rest. */
  NodeProcess node(Path dataDir, Map<String, String> env) throws IOException {
    NodeProcess n = NodeProcess.start(dataDir, redis.url(), env);
    nodes.add(n);
    return n;
  }

  @Override
  public void close() throws InterruptedException {
    for (NodeProcess n : nodes) n.close();
    redis.close();
  }
}
