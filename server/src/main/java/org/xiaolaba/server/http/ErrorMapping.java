package org.xiaolaba.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.ConflictException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.config.errors.OverloadedException;
import org.xiaolaba.config.errors.StorageFullException;
import org.xiaolaba.config.errors.VersionMismatchException;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** Turns what a route threw into the problem document the client sees. */
final class ErrorMapping {
  private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);

  private ErrorMapping() {}

  static Problem toProblem(Throwable e) {
    if (e instanceof ApiException a) return Problem.of(a.status(), a.getMessage());
    if (e instanceof InvalidInputException i)
      return Problem.of(HttpResponseStatus.BAD_REQUEST, describe(i), i.field());
    if (e instanceof NotFoundException n)
      return Problem.of(HttpResponseStatus.NOT_FOUND, n.getMessage());
    if (e instanceof ConflictException c)
      return Problem.of(HttpResponseStatus.CONFLICT, c.getMessage())
          .withConflicts(c.conflictsWith());
    if (e instanceof VersionMismatchException v)
      return Problem.of(HttpResponseStatus.PRECONDITION_FAILED, v.getMessage());
    if (e instanceof OverloadedException o)
      return Problem.of(HttpResponseStatus.SERVICE_UNAVAILABLE, o.getMessage());
    if (e instanceof StorageFullException s)
      return Problem.of(HttpResponseStatus.INSUFFICIENT_STORAGE, s.getMessage());
    if (e instanceof RejectedExecutionException) {
      return Problem.of(
          HttpResponseStatus.SERVICE_UNAVAILABLE, "the server is busy; try again shortly");
    }
    if (e instanceof JedisConnectionException) {
      log.warn("Redis is unavailable: {}", e.getMessage());
      return Problem.of(
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "the database (Redis) is unavailable; try again shortly");
    }
    String incident = UUID.randomUUID().toString().substring(0, 8);
    log.error("Unexpected failure (incident {}); answering 500", incident, e);
    return Problem.of(
        HttpResponseStatus.INTERNAL_SERVER_ERROR, "unexpected server error, incident " + incident);
  }

  /** Seconds a client should wait before trying again, or null when retrying will not help. */
  static Integer retryAfter(Throwable e) {
    if (e instanceof OverloadedException o) return o.retryAfterSeconds();
    if (e instanceof RejectedExecutionException || e instanceof JedisConnectionException) return 5;
    return null;
  }

  private static String describe(InvalidInputException e) {
    return e.field() == null || e.getMessage().contains(e.field())
        ? e.getMessage()
        : e.field() + ": " + e.getMessage();
  }
}
