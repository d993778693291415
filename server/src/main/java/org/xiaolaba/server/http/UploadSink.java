package org.xiaolaba.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Streams a request body to a file without holding it in memory and without touching the disk on
 * the event loop: chunks are queued (bounded in bytes; reading from the socket pauses past the
 * bound) and written in order by one blocking worker at a time.
 */
final class UploadSink {
  private static final long HIGH_WATER = 1024 * 1024;
  private static final long LOW_WATER = 256 * 1024;

  private final Path file;
  private final Executor blocking;
  private final Channel channel;
  private final long limit;
  private final CompletableFuture<Path> done = new CompletableFuture<>();

  private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
  private long received;
  private long pending;
  private boolean draining;
  private boolean finished;
  private boolean aborted;
  private FileChannel out;
  private IOException failure;
  private volatile RejectedExecutionException refused;

  UploadSink(Path file, Executor blocking, Channel channel, long limit) {
    this.file = file;
    this.blocking = blocking;
    this.channel = channel;
    this.limit = limit;
  }

  /** Called on the event loop. Returns false when the body went over the limit. */
  boolean append(ByteBuf content) {
    int n = content.readableBytes();
    received += n;
    if (received > limit) return false;
    if (n == 0) return true;
    boolean startDrain;
    boolean pause;
    synchronized (this) {
      if (aborted) return true;
      queue.add(content.retain());
      pending += n;
      pause = pending > HIGH_WATER;
      startDrain = !draining;
      draining = true;
    }
    if (pause) channel.config().setAutoRead(false);
    if (startDrain) startDrain();
    return true;
  }

  /** The body is complete; the future completes with the file once every chunk is on disk. */
  CompletableFuture<Path> finish() {
    boolean startDrain;
    synchronized (this) {
      finished = true;
      startDrain = !draining;
      draining = true;
    }
    if (startDrain) startDrain();
    return done;
  }

  /** Drops whatever was received and removes the file (on every error path). */
  void abort() {
    synchronized (this) {
      aborted = true;
      queue.forEach(ByteBuf::release);
      queue.clear();
      if (draining) return; // the drain loop cleans up when it sees the flag
      draining = true;
    }
    startDrain();
  }

  /**
   * Non-null when the blocking workers refused to take the writing (their queue full, or shut down
   * with the server): the upload is then over, its file removed and {@link #finish} failed.
   */
  RejectedExecutionException refused() {
    return refused;
  }

  private void startDrain() {
    try {
      blocking.execute(this::drain);
    } catch (RejectedExecutionException e) {
      // No worker will write or remove anything: drop the chunks and remove the file here (a
      // moment's disk work on the caller, only when the pool refuses).
      synchronized (this) {
        aborted = true;
        queue.forEach(ByteBuf::release);
        queue.clear();
        pending = 0;
      }
      refused = e;
      cleanup();
      done.completeExceptionally(e);
    }
  }

  private void drain() {
    while (true) {
      ByteBuf next;
      synchronized (this) {
        next = queue.poll();
        if (next == null) {
          draining = false;
          if (aborted) {
            cleanup();
            done.completeExceptionally(new IOException("upload aborted"));
          } else if (finished) {
            complete();
          }
          return;
        }
      }
      int n = next.readableBytes();
      try {
        if (failure == null && !aborted) write(next);
      } catch (IOException e) {
        failure = e;
      } finally {
        next.release();
      }
      long left;
      synchronized (this) {
        pending -= n;
        left = pending;
      }
      if (left < LOW_WATER && !channel.config().isAutoRead()) channel.config().setAutoRead(true);
    }
  }

  private void write(ByteBuf buf) throws IOException {
    if (out == null) {
      out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
    while (buf.isReadable()) {
      buf.readBytes(out, buf.readableBytes());
    }
  }

  private void complete() {
    try {
      if (failure != null) throw failure;
      if (out == null) {
        Files.createFile(file);
      } else {
        out.force(false);
        out.close();
      }
      done.complete(file);
    } catch (IOException e) {
      cleanup();
      done.completeExceptionally(e);
    }
  }

  private void cleanup() {
    try {
      if (out != null) out.close();
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // Nothing more can be done; the incoming directory is swept at start.
    }
  }

  long received() {
    return received;
  }
}
