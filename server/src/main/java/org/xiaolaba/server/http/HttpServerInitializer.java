package org.xiaolaba.server.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;

/** Builds each connection's pipeline: the HTTP codec and the request handler; nothing else. */
public final class HttpServerInitializer extends ChannelInitializer<SocketChannel> {
  public static final String CODEC = "http-codec";
  public static final String HANDLER = "http-handler";

  private final HttpServices services;

  public HttpServerInitializer(HttpServices services) {
    this.services = services;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    ch.pipeline()
        .addLast(CODEC, new HttpServerCodec(4096, 16 * 1024, 64 * 1024))
        .addLast(HANDLER, new HttpRequestHandler(services));
  }
}
