package org.xiaolaba.server.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * Builds each connection's pipeline: the clock that times out stalled clients, the HTTP codec and
 * the request handler; nothing else.
 */
public final class HttpServerInitializer extends ChannelInitializer<SocketChannel> {
  public static final String TIMEOUTS = "http-timeouts";
  public static final String CODEC = "http-codec";
  public static final String HANDLER = "http-handler";

  private final HttpServices services;
  private final HttpTimeouts timeouts;

  public HttpServerInitializer(HttpServices services) {
    this.services = services;
    this.timeouts = new HttpTimeouts(services.settings().http());
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    HttpTimeouts.Clock clock = timeouts.clock();
    ch.pipeline()
        .addLast(TIMEOUTS, clock)
        .addLast(CODEC, new HttpServerCodec(4096, 16 * 1024, 64 * 1024))
        .addLast(HANDLER, new HttpRequestHandler(services, timeouts, clock));
  }
}
