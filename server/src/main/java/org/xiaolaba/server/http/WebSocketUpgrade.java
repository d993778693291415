package org.xiaolaba.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import org.xiaolaba.server.auth.Principal;

/** Takes over a connection whose request asked for {@code /ws}; principal is null for residents. */
public interface WebSocketUpgrade {
  String PATH = "/ws";

  /**
   * Admits one more connection of this client, counted until it closes; null when admitted, else
   * why not (answered 429).
   */
  String admit(Channel channel);

  void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, Principal principal);
}
