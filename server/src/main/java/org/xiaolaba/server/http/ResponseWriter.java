package org.xiaolaba.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;

/**
 * Turns an {@link ApiResponse} into Netty's messages on a connection: bytes in memory as one full
 * response, a file region with zero copy; a HEAD answer gets the headers only. Called on the
 * connection's event loop.
 */
final class ResponseWriter {
  private ResponseWriter() {}

  /** Writes and flushes the answer; {@code close} adds {@code Connection: close}. */
  static ChannelFuture write(
      ChannelHandlerContext ctx, ApiResponse response, boolean head, boolean close) {
    if (response.file() != null && !head) return writeFile(ctx, response, close);
    if (response.file() != null) {
      discard(response);
      response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.file().length());
    }
    byte[] body = response.body() == null ? new byte[0] : response.body();
    FullHttpResponse full =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            response.status(),
            head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    full.headers().set(response.headers());
    if (!full.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
      full.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    }
    finishHeaders(full, close);
    return ctx.writeAndFlush(full);
  }

  /** An answer that will not be written: a file answer's channel is closed. */
  static void discard(ApiResponse response) {
    if (response.file() == null) return;
    try {
      response.file().channel().close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  private static ChannelFuture writeFile(
      ChannelHandlerContext ctx, ApiResponse response, boolean close) {
    ApiResponse.FileRegionSpec spec = response.file();
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status());
    head.headers().set(response.headers());
    head.headers().set(HttpHeaderNames.CONTENT_LENGTH, spec.length());
    finishHeaders(head, close);
    ctx.write(head);
    ctx.write(new DefaultFileRegion(spec.channel(), spec.offset(), spec.length()));
    return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  /** The policy of every answer but a console page: nothing in it may load or run anything. */
  private static final String API_POLICY = "default-src 'none'; frame-ancestors 'none'";

  /**
   * Headers every answer carries: no content sniffing, and for anything that is not a console page
   * (which sets its own policy) a content security policy that lets it load and run nothing.
   */
  private static void finishHeaders(HttpResponse response, boolean close) {
    response.headers().set("X-Content-Type-Options", "nosniff");
    if (!response.headers().contains("Content-Security-Policy")) {
      response.headers().set("Content-Security-Policy", API_POLICY);
    }
    if (close) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
  }
}
