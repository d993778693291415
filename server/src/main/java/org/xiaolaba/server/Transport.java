package org.xiaolaba.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.xiaolaba.config.ConfigException;

/**
 * The socket transport the node's event loops use ({@code http.transport}): epoll or Java NIO.
 * {@code auto} takes epoll where Linux offers it, else NIO; a named transport this machine cannot
 * run stops the start with the reason. (Netty's io_uring transport was measured here too: less than
 * half epoll's fan-out per core, so it is not offered; docs/BENCHMARKS.md.)
 */
record Transport(
    String name, IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel) {

  static Transport choose(String setting) {
    return switch (setting) {
      case "auto" -> Epoll.isAvailable() ? epoll() : nio();
      case "epoll" -> {
        require(Epoll.isAvailable(), setting, Epoll.unavailabilityCause());
        yield epoll();
      }
      case "nio" -> nio();
      default ->
          throw new ConfigException(
              "config key 'http.transport' has value '"
                  + setting
                  + "': expected one of auto, epoll, nio");
    };
  }

  private static Transport epoll() {
    return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
  }

  private static Transport nio() {
    return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
  }

  private static void require(boolean available, String setting, Throwable cause) {
    if (!available) {
      throw new ConfigException(
          "config key 'http.transport' has value '"
              + setting
              + "': not available on this machine ("
              + cause
              + ")",
          cause);
    }
  }
}
