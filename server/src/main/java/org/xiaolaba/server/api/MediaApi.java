package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.media.ClipLibrary;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/**
 * Serves rendition files with {@code Range} (206) and {@code HEAD}, sent with zero copy. Only names
 * the clip library wrote resolve; nothing outside the media directory can be reached.
 */
public final class MediaApi {
  /** Marks a request from another node: answered from this node's own disk only. */
  public static final String PEER_HEADER = "X-Xiaolaba-Peer";

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

  private final ClipLibrary library;

  public MediaApi(ClipLibrary library) {
    this.library = library;
  }

  public void register(Router router) {
    router.add(Route.publicRoute(HttpMethod.GET, "/media/{file}", this::serve));
  }

  /** A byte range to send, inclusive of both ends. */
  record Span(long first, long last) {
    long length() {
      return last - first + 1;
    }
  }

  private ApiResponse serve(ApiRequest r) throws IOException {
    String name = r.param("file");
    // Another node asking: answer from this disk only, so that nodes never ask each other in turn.
    boolean fromPeer = r.headers().contains(PEER_HEADER);
    Path file =
        (fromPeer ? library.localMediaFile(name) : library.mediaFile(name))
            .orElseThrow(() -> new NotFoundException("no media file '" + name + "'"));
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    long size = channel.size();
    String etag = "\"" + name + "-" + size + "\"";
    String type =
        name.endsWith(".mp3")
            ? "audio/mpeg"
            : name.endsWith(".m4a") ? "audio/mp4" : "application/octet-stream";
    if (etag.equals(r.headers().get(HttpHeaderNames.IF_NONE_MATCH))) {
      channel.close();
      return common(ApiResponse.empty(HttpResponseStatus.NOT_MODIFIED), etag);
    }
    String rangeHeader = r.headers().get(HttpHeaderNames.RANGE);
    Optional<Span> span;
    try {
      span = parseRange(rangeHeader, size);
    } catch (IllegalArgumentException e) {
      channel.close();
      return common(ApiResponse.empty(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE), etag)
          .header(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
    }
    if (span.isEmpty()) {
      return common(
          ApiResponse.file(
              HttpResponseStatus.OK, type, new ApiResponse.FileRegionSpec(channel, 0, size)),
          etag);
    }
    Span s = span.get();
    return common(
            ApiResponse.file(
                HttpResponseStatus.PARTIAL_CONTENT,
                type,
                new ApiResponse.FileRegionSpec(channel, s.first(), s.length())),
            etag)
        .header(HttpHeaderNames.CONTENT_RANGE, "bytes " + s.first() + "-" + s.last() + "/" + size);
  }

  private static ApiResponse common(ApiResponse r, String etag) {
    // Files are named by content hash: they never change, so caches may keep them.
    return r.header(HttpHeaderNames.ACCEPT_RANGES, "bytes")
        .header(HttpHeaderNames.ETAG, etag)
        .header(HttpHeaderNames.CACHE_CONTROL, "public, max-age=31536000, immutable");
  }

  /**
   * Empty: send the whole file (no header, or several ranges, which we answer whole as RFC 9110
   * allows). Throws when the range cannot be satisfied.
   */
  static Optional<Span> parseRange(String header, long size) {
    if (header == null || header.contains(",")) return Optional.empty();
    Matcher m = RANGE.matcher(header.trim());
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) return Optional.empty();
    long first;
    long last;
    if (m.group(1).isEmpty()) {
      long suffix = Long.parseLong(m.group(2));
      if (suffix == 0) throw new IllegalArgumentException("empty suffix range");
      first = Math.max(0, size - suffix);
      last = size - 1;
    } else {
      first = Long.parseLong(m.group(1));
      last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
    }
    if (first >= size || first > last) throw new IllegalArgumentException("range outside the file");
    return Optional.of(new Span(first, last));
  }
}
