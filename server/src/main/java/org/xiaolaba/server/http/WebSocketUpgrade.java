package org.xiaolaba.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import org.xiaolaba.server.auth.Principal;

/** Takes over a connection whose request asked for {@code /ws}; principal is null for residents. */
public interface WebSocketUpgrade {
  String PATH = "/ws";

  void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, Principal principal);
}
