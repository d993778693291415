package org.xiaolaba.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import org.xiaolaba.config.ConfigException;

/**
 * The socket transport the node's event loops use ({@code http.transport}): epoll, io_uring or Java
 * NIO. {@code auto} takes epoll where Linux offers it, else NIO; io_uring is used only when named,
 * and a named transport this machine cannot run stops the start with the reason.
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
      case "io_uring" -> {
        require(IoUring.isAvailable(), setting, IoUring.unavailabilityCause());
        yield new Transport(
            "io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class);
      }
      case "nio" -> nio();
      default ->
          throw new ConfigException(
              "config key 'http.transport' has value '"
                  + setting
                  + "': expected one of auto, epoll, io_uring, nio");
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
