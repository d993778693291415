package org.xiaolaba.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.VersionMismatchException;
import org.xiaolaba.server.auth.Principal;

/**
 * One HTTP connection: matches each request to a route, checks its token, takes in its body the way
 * the route asks (in memory, streamed to disk, or not at all), then runs the route on a blocking
 * worker and writes the answer. Reading pauses while a request is being handled, so a connection
 * holds at most one request's worth of memory.
 */
public final class HttpRequestHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpRequestHandler.class);

  private enum State {
    IDLE,
    AUTHORIZING,
    RECEIVING,
    DISCARDING,
    HANDLING,
    UPGRADING
  }

  /** Why {@code /ws?token=} is refused unless {@code websocket.allowTokenInUrl}. */
  static final String TOKEN_IN_URL =
      "a token in the URL is refused (URLs end up in logs and histories): connect to /ws without"
          + " it and send {\"op\": \"auth\", \"token\": \"...\"} as the first frame"
          + " (websocket.allowTokenInUrl keeps ?token= for old terminals)";

  private final HttpServices services;
  private final HttpTimeouts timeouts;
  private final HttpTimeouts.Clock clock;
  private State state = State.IDLE;
  private HttpRequest request;

  /** The request's target, decoded once (path and query) when its head came. */
  private QueryStringDecoder target;

  private Router.Match match;
  private Principal principal;
  private long startNanos;
  private final List<HttpContent> earlyContent = new ArrayList<>();
  private ByteArrayOutputStream jsonBody;
  private UploadSink upload;
  private boolean closeAfterResponse;
  private boolean bodyDone;
  private boolean responded;

  HttpRequestHandler(HttpServices services, HttpTimeouts timeouts, HttpTimeouts.Clock clock) {
    this.services = services;
    this.timeouts = timeouts;
    this.clock = clock;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest req) onRequest(ctx, req);
      if (msg instanceof HttpContent content) onContent(ctx, content);
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
    clock.headReceived();
    if (state != State.IDLE) {
      // Pipelined requests are not supported: answer the one in hand, then close.
      closeAfterResponse = true;
      return;
    }
    request = req;
    services.clients().resolve(ctx.channel(), req.headers());
    bodyDone = false;
    responded = false;
    startNanos = System.nanoTime();
    closeAfterResponse = !HttpUtil.isKeepAlive(req);
    match = null;
    principal = null;
    if (req.decoderResult().isFailure()) {
      reject(
          ctx,
          HttpResponseStatus.BAD_REQUEST,
          "malformed HTTP request: " + req.decoderResult().cause().getMessage(),
          true);
      return;
    }
    if (!HttpMetrics.METHODS.contains(req.method().name())) {
      reject(
          ctx,
          HttpResponseStatus.NOT_IMPLEMENTED,
          "method "
              + (req.method().name().length() > 24
                  ? req.method().name().substring(0, 24) + "…"
                  : req.method().name())
              + " is not implemented; use one of "
              + String.join(", ", new java.util.TreeSet<>(HttpMetrics.METHODS)),
          true);
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(req.uri());
    target = uri;
    String path;
    try {
      // Decoded here, once: a bad escape ("%", "%zz") thrown later, on a worker's callback, would
      // leave the connection paused and unanswered.
      path = uri.path();
      uri.parameters();
    } catch (IllegalArgumentException e) {
      reject(
          ctx,
          HttpResponseStatus.BAD_REQUEST,
          "malformed request target: " + e.getMessage(),
          false);
      return;
    }
    if (path.equals(WebSocketUpgrade.PATH)) {
      startWebSocket(ctx, req, uri);
      return;
    }
    Optional<Router.Match> found = services.router().match(req.method(), path);
    if (found.isEmpty()) {
      List<String> allowed = services.router().allowedMethods(path);
      if (allowed.isEmpty()) {
        reject(
            ctx, HttpResponseStatus.NOT_FOUND, "no route for " + req.method() + " " + path, false);
      } else {
        reject(
            ctx,
            HttpResponseStatus.METHOD_NOT_ALLOWED,
            req.method()
                + " is not allowed on "
                + path
                + "; allowed: "
                + String.join(", ", allowed),
            false);
      }
      return;
    }
    match = found.get();
    Route route = match.route();
    long declared = HttpUtil.getContentLength(req, -1L);
    long limit = bodyLimit(route);
    if (declared > limit) {
      reject(
          ctx,
          HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
          "the body is " + declared + " bytes; the limit for this route is " + limit + " bytes",
          true);
      return;
    }
    if (route.isPublic()) {
      beginBody(ctx);
      return;
    }
    Optional<String> token = bearer(req);
    if (token.isEmpty()) {
      reject(
          ctx,
          HttpResponseStatus.UNAUTHORIZED,
          "this route needs 'Authorization: Bearer TOKEN'",
          false);
      return;
    }
    if (tooManyFailures(ctx, false)) return;
    authorize(
        ctx,
        token.get(),
        p -> {
          principal = p; // known from here on, refused or not: the audit log names it
          if (p == null) {
            reject(
                ctx,
                HttpResponseStatus.UNAUTHORIZED,
                "the token is not known (revoked or mistyped)",
                false);
          } else if (!route.roles().contains(p.role())) {
            reject(
                ctx,
                HttpResponseStatus.FORBIDDEN,
                "role '"
                    + p.role().json()
                    + "' may not call "
                    + route.method()
                    + " "
                    + route.pattern(),
                false);
          } else if (route.throttle() != null && throttled(ctx, route, p)) {
            return;
          } else {
            beginBody(ctx);
          }
        });
  }

  /** Answers 429 when this address failed too many token checks lately; true if it did. */
  private boolean tooManyFailures(ChannelHandlerContext ctx, boolean close) {
    ClientThrottle throttle = services.throttle();
    String address = remoteAddress(ctx);
    long wait = throttle.waitFor(ClientThrottle.Kind.AUTH_FAILURE, address);
    if (wait == 0) return false;
    tooMany(ctx, wait, throttle.refusal(ClientThrottle.Kind.AUTH_FAILURE, address), close);
    return true;
  }

  /** Counts this call against the route's limit for its address; true if it was refused. */
  private boolean throttled(ChannelHandlerContext ctx, Route route, Principal p) {
    ClientThrottle throttle = services.throttle();
    if (!throttle.applies(p)) return false;
    String address = remoteAddress(ctx);
    long wait = throttle.take(route.throttle(), address);
    if (wait == 0) return false;
    // An upload's body may be large: close rather than read it to the end.
    tooMany(
        ctx, wait, throttle.refusal(route.throttle(), address), route.body() == Route.Body.UPLOAD);
    return true;
  }

  private long bodyLimit(Route route) {
    return switch (route.body()) {
      case UPLOAD -> services.settings().media().maxUploadSize().bytes();
      case JSON -> services.settings().http().maxJsonSize().bytes();
      case NONE -> Long.MAX_VALUE;
    };
  }

  /**
   * Looks the token up on a blocking worker ({@link TokenCheck}: an unknown one counts towards the
   * address's throttle), then continues on the event loop.
   */
  private void authorize(
      ChannelHandlerContext ctx, String token, java.util.function.Consumer<Principal> then) {
    state = State.AUTHORIZING;
    ctx.channel().config().setAutoRead(false);
    services
        .tokenCheck()
        .check(
            ctx.channel(),
            token,
            (p, error) -> {
              if (error != null) {
                // Redis down, say: answer (503) and close, as the body was left unread.
                failBeforeBody(ctx, error);
                return;
              }
              ctx.channel().config().setAutoRead(true);
              then.accept(p);
            });
  }

  /**
   * A failure before the request's body was read (its reading paused): the answer closes the
   * connection, so the next request on it cannot be read as part of this one's body, nor wait
   * forever on a paused connection.
   */
  private void failBeforeBody(ChannelHandlerContext ctx, Throwable e) {
    if (!ctx.channel().isActive()) return;
    ctx.channel().config().setAutoRead(true);
    reject(ctx, errorResponse(e), true);
  }

  private void beginBody(ChannelHandlerContext ctx) {
    state = State.RECEIVING;
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
    switch (match.route().body()) {
      case UPLOAD ->
          upload =
              new UploadSink(
                  services.incomingDir().resolve("upload-" + UUID.randomUUID() + ".part"),
                  services.blocking(),
                  ctx.channel(),
                  services.settings().media().maxUploadSize().bytes());
      case JSON -> jsonBody = new ByteArrayOutputStream();
      case NONE -> jsonBody = null;
    }
    List<HttpContent> early = new ArrayList<>(earlyContent);
    earlyContent.clear();
    for (HttpContent c : early) {
      try {
        onContent(ctx, c);
      } finally {
        c.release();
      }
    }
  }

  private void onContent(ChannelHandlerContext ctx, HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    switch (state) {
      case AUTHORIZING -> earlyContent.add(content.retain());
      case RECEIVING -> receive(ctx, content);
      case DISCARDING -> {
        if (content.decoderResult().isFailure()) {
          // The decoder reads nothing more on this connection: it ends once answered.
          closeAfterResponse = true;
          if (responded) ctx.close();
        } else if (last) {
          bodyDone = true;
          if (responded) resetForNextRequest(ctx);
        }
      }
      case HANDLING, UPGRADING, IDLE -> {
        // Nothing more is expected: the body is complete or the connection is changing hands.
      }
    }
  }

  /** Forgets the request body received so far: an upload's partial file is removed. */
  private void dropBody() {
    if (upload != null) upload.abort();
    upload = null;
    jsonBody = null;
  }

  private void receive(ChannelHandlerContext ctx, HttpContent content) {
    ByteBuf buf = content.content();
    Route route = match.route();
    if (content.decoderResult().isFailure()) {
      // A chunk the decoder could not read (a bad chunk size, say) comes as the last content: the
      // body is not complete, and nothing of it may be used.
      dropBody();
      reject(
          ctx,
          HttpResponseStatus.BAD_REQUEST,
          "the request body is malformed: " + content.decoderResult().cause().getMessage(),
          true);
      return;
    }
    if (route.body() == Route.Body.UPLOAD) {
      if (!upload.append(buf)) {
        dropBody();
        reject(
            ctx,
            HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
            "the upload is larger than the limit of " + services.settings().media().maxUploadSize(),
            true);
        return;
      }
      if (upload.refused() != null) {
        // The blocking workers took no more (full, or shut down): the sink removed its file.
        RejectedExecutionException refused = upload.refused();
        upload = null;
        reject(ctx, errorResponse(refused), true);
        return;
      }
    } else if (route.body() == Route.Body.JSON) {
      if (jsonBody.size() + buf.readableBytes() > bodyLimit(route)) {
        reject(
            ctx,
            HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
            "the JSON body is larger than the limit of " + services.settings().http().maxJsonSize(),
            true);
        return;
      }
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      jsonBody.writeBytes(bytes);
    }
    if (content instanceof LastHttpContent) {
      bodyDone = true;
      dispatch(ctx);
    }
  }

  private void dispatch(ChannelHandlerContext ctx) {
    state = State.HANDLING;
    ctx.channel().config().setAutoRead(false);
    QueryStringDecoder uri = target;
    byte[] body = jsonBody == null ? null : jsonBody.toByteArray();
    jsonBody = null;
    HttpRequest req = request;
    Router.Match m = match;
    Principal p = principal;
    String remote = remoteAddress(ctx);
    java.util.function.BiFunction<byte[], Path, ApiRequest> build =
        (bytes, file) ->
            new ApiRequest(
                req.method(),
                uri.path(),
                m.params(),
                uri.parameters(),
                req.headers(),
                bytes,
                file,
                p,
                remote);
    if (m.route().body() == Route.Body.UPLOAD) {
      UploadSink sink = upload;
      upload = null;
      sink.finish()
          .whenComplete(
              (file, err) -> {
                if (err != null) {
                  respond(ctx, m.route().pattern(), errorResponse(storageError(err)));
                } else {
                  run(ctx, m, build.apply(null, file));
                }
              });
      return;
    }
    run(ctx, m, build.apply(body, null));
  }

  private static Throwable storageError(Throwable err) {
    Throwable cause =
        err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    String msg = String.valueOf(cause.getMessage());
    if (msg.contains("No space left")) {
      return new org.xiaolaba.config.errors.StorageFullException(
          "the disk is full; the upload was not stored", cause);
    }
    return cause;
  }

  private void run(ChannelHandlerContext ctx, Router.Match m, ApiRequest apiRequest) {
    try {
      services
          .blocking()
          .execute(
              () -> {
                ApiResponse response;
                try {
                  response = m.route().handler().handle(apiRequest);
                } catch (Exception e) {
                  response = errorResponse(e);
                } finally {
                  if (apiRequest.bodyFile() != null) deleteQuietly(apiRequest.bodyFile());
                }
                respond(ctx, m.route().pattern(), response);
              });
    } catch (RejectedExecutionException e) {
      // Not on the refusing pool (shutting down or full): removed here, a moment's disk work.
      if (apiRequest.bodyFile() != null) deleteQuietly(apiRequest.bodyFile());
      respond(ctx, m.route().pattern(), errorResponse(e));
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      java.nio.file.Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // swept at the next start
    }
  }

  static ApiResponse errorResponse(Throwable e) {
    ApiResponse r = ApiResponse.problem(ErrorMapping.toProblem(e));
    if (e instanceof VersionMismatchException v)
      r.header(HttpHeaderNames.ETAG, Versions.tag(v.current()));
    Integer retry = ErrorMapping.retryAfter(e);
    return retry == null ? r : r.header(HttpHeaderNames.RETRY_AFTER, retry);
  }

  private void reject(
      ChannelHandlerContext ctx, HttpResponseStatus status, String detail, boolean close) {
    reject(ctx, ApiResponse.problem(Problem.of(status, detail)), close);
  }

  private void tooMany(
      ChannelHandlerContext ctx, long retryAfterSeconds, String detail, boolean close) {
    reject(
        ctx,
        ApiResponse.problem(Problem.of(HttpResponseStatus.TOO_MANY_REQUESTS, detail))
            .header(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds),
        close);
  }

  private void reject(ChannelHandlerContext ctx, ApiResponse response, boolean close) {
    closeAfterResponse |= close;
    state = State.DISCARDING;
    for (HttpContent c : earlyContent) {
      bodyDone |= c instanceof LastHttpContent;
      closeAfterResponse |= c.decoderResult().isFailure();
      c.release();
    }
    earlyContent.clear();
    String route = match == null ? "unmatched" : match.route().pattern();
    respond(ctx, route, response);
  }

  /**
   * Writes a response from any thread; then reads the next request or closes. Every answer passes
   * here once, so this is where it is timed and, for state-changing requests, audited.
   */
  void respond(ChannelHandlerContext ctx, String route, ApiResponse response) {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(() -> respond(ctx, route, response));
      return;
    }
    // Read before writing: a write that completes at once resets the request for the next one.
    Router.Match m = match;
    services
        .audit()
        .record(
            request,
            route,
            m == null ? Map.of() : m.params(),
            principal,
            remoteAddress(ctx),
            response);
    if (!ctx.channel().isActive()) {
      ResponseWriter.discard(response);
      return;
    }
    boolean head = request != null && request.method().equals(HttpMethod.HEAD);
    String method = request == null ? "?" : request.method().name();
    boolean close = closeAfterResponse;
    ResponseWriter.write(ctx, response, head, close).addListener(afterWrite(ctx, close));
    services.metrics().record(method, route, response.status().code(), startNanos);
  }

  private ChannelFutureListener afterWrite(ChannelHandlerContext ctx, boolean close) {
    return f -> {
      // closeAfterResponse too: a malformed chunk may have come while the answer was written
      if (close || closeAfterResponse || !f.isSuccess()) {
        ctx.close();
        return;
      }
      responded = true;
      if (bodyDone) {
        resetForNextRequest(ctx);
      } else {
        ctx.channel().config().setAutoRead(true); // read and drop the rest of the body
      }
    };
  }

  private void resetForNextRequest(ChannelHandlerContext ctx) {
    state = State.IDLE;
    request = null;
    target = null;
    match = null;
    principal = null;
    clock.nextRequest();
    ctx.channel().config().setAutoRead(true);
  }

  /**
   * The client stalled ({@link HttpTimeouts}): a body cut off part way is answered 408 and dropped
   * (an upload's partial file removed at once, no clip made); otherwise the connection just closes.
   */
  private void timedOut(ChannelHandlerContext ctx, HttpTimeouts.Expired why) {
    log.debug("HTTP client {} stalled ({}); closing", remoteAddress(ctx), why);
    if (state != State.RECEIVING) {
      ctx.close();
      return;
    }
    dropBody();
    reject(
        ctx,
        HttpResponseStatus.REQUEST_TIMEOUT,
        "nothing of the request body came for "
            + shown(timeouts.idle())
            + " (http.idleTimeout); what came was dropped",
        true);
  }

  private static String shown(java.time.Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  private void startWebSocket(ChannelHandlerContext ctx, HttpRequest req, QueryStringDecoder uri) {
    if (!"websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE, ""))) {
      reject(
          ctx,
          HttpResponseStatus.BAD_REQUEST,
          "/ws speaks WebSocket only: send 'Upgrade: websocket'",
          false);
      return;
    }
    List<String> token = uri.parameters().get("token");
    if (token != null && !services.settings().websocket().allowTokenInUrl()) {
      reject(ctx, HttpResponseStatus.BAD_REQUEST, TOKEN_IN_URL, false);
      return;
    }
    String refused = services.webSocket().admit(ctx.channel());
    if (refused != null) {
      reject(ctx, HttpResponseStatus.TOO_MANY_REQUESTS, refused, true);
      return;
    }
    FullHttpRequest full =
        new DefaultFullHttpRequest(
            req.protocolVersion(),
            req.method(),
            req.uri(),
            Unpooled.EMPTY_BUFFER,
            req.headers().copy(),
            io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
    if (token == null || token.isEmpty() || token.get(0).isBlank()) {
      upgrade(ctx, full, null);
      return;
    }
    if (tooManyFailures(ctx, true)) {
      full.release();
      return;
    }
    authorize(
        ctx,
        token.get(0),
        p -> {
          if (p == null) {
            full.release();
            reject(
                ctx,
                HttpResponseStatus.UNAUTHORIZED,
                "the token is not known (revoked or mistyped)",
                true);
          } else {
            upgrade(ctx, full, p);
          }
        });
  }

  /**
   * Hands the connection to the WebSocket endpoint; once it has taken over (this handler removed)
   * HTTP timeouts stop applying.
   */
  private void upgrade(ChannelHandlerContext ctx, FullHttpRequest full, Principal p) {
    state = State.UPGRADING;
    services.webSocket().upgrade(ctx, full, p);
  }

  private static Optional<String> bearer(HttpRequest req) {
    String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) return Optional.empty();
    String t = h.substring(7).trim();
    return t.isEmpty() ? Optional.empty() : Optional.of(t);
  }

  private static String remoteAddress(ChannelHandlerContext ctx) {
    return TokenCheck.address(ctx.channel());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    dropBody();
    earlyContent.forEach(HttpContent::release);
    earlyContent.clear();
    ctx.fireChannelInactive();
  }

  /** Removed from an open connection: it became a WebSocket, which has a heartbeat of its own. */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) clock.stop();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof HttpTimeouts.Expired why) {
      timedOut(ctx, why);
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      log.debug("Connection from {} failed: {}", remoteAddress(ctx), cause.getMessage());
    } else {
      log.warn("Unexpected error on a connection from {}; closing it", remoteAddress(ctx), cause);
    }
    ctx.close();
  }
}
