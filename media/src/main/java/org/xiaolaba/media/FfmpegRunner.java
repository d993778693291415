package org.xiaolaba.media;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs ffmpeg as child processes, one or several at once, each with a hard timeout. stderr is
 * handed over line by line (lines cut at {@value #MAX_LINE} characters) and its last {@value
 * #TAIL_BYTES} characters are kept for error messages; {@code -progress pipe:1} output on stdout is
 * turned into decoded microseconds. Every running process is tracked so {@link #killAll()} can stop
 * them on shutdown.
 */
final class FfmpegRunner {
  private static final Logger log = LoggerFactory.getLogger(FfmpegRunner.class);
  static final int TAIL_BYTES = 64 * 1024;
  static final int MAX_LINE = 8 * 1024;

  private final Path ffmpeg;
  private final Set<Process> running = ConcurrentHashMap.newKeySet();
  private final ExecutorService io;
  private volatile boolean closed;

  FfmpegRunner(Path ffmpeg) {
    this.ffmpeg = ffmpeg;
    this.io = Executors.newCachedThreadPool(DaemonThreads.named("ffmpeg-io"));
  }

  /** How one run ended. {@code stderrTail} holds the last part of what ffmpeg logged. */
  record Result(int exitCode, boolean timedOut, boolean killed, String stderrTail) {
    boolean ok() {
      return exitCode == 0 && !timedOut && !killed;
    }
  }

  /** One ffmpeg run to start: its arguments and where its stderr lines and progress go. */
  record Invocation(
      List<String> args, Consumer<String> onStderrLine, LongConsumer onProgressMicros) {}

  /**
   * Runs {@code ffmpeg args...} and waits for it, at most {@code timeout}.
   *
   * @param onStderrLine called on an I/O thread for each stderr line, in order
   * @param onProgressMicros called on an I/O thread with the output time reached, in microseconds
   */
  Result run(
      List<String> args,
      Duration timeout,
      Consumer<String> onStderrLine,
      LongConsumer onProgressMicros)
      throws InterruptedException, IOException {
    return runTogether(List.of(new Invocation(args, onStderrLine, onProgressMicros)), timeout)
        .get(0);
  }

  /**
   * Starts every run at once and waits for all of them, each at most {@code timeout} from its
   * start; results come in the order of {@code runs}. A run that fails does not stop the others: it
   * is the caller's to decide what a failure means. Interrupted, it kills every one of them.
   */
  List<Result> runTogether(List<Invocation> runs, Duration timeout)
      throws InterruptedException, IOException {
    List<Started> started = new ArrayList<>(runs.size());
    try {
      for (Invocation run : runs) {
        if (closed) break;
        started.add(start(run, timeout));
      }
      List<Result> results = new ArrayList<>(runs.size());
      for (Started s : started) results.add(await(s));
      while (results.size() < runs.size()) results.add(new Result(-1, false, true, ""));
      return results;
    } finally {
      for (Started s : started) {
        if (s.process().isAlive()) kill(s.process());
        running.remove(s.process());
      }
    }
  }

  /** A process on its way: what it was started with and who reads its output. */
  private record Started(
      Process process,
      List<String> command,
      Duration timeout,
      long deadline,
      TailBuffer tail,
      Future<?> err,
      Future<?> out) {}

  private Started start(Invocation run, Duration timeout) throws IOException {
    List<String> command = new ArrayList<>(run.args().size() + 1);
    command.add(ffmpeg.toString());
    command.addAll(run.args());
    log.debug("Running {}", command);
    Process process =
        new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    running.add(process);
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      process.destroyForcibly();
      running.remove(process);
      throw e;
    }
    if (closed) {
      process.destroyForcibly();
    }
    TailBuffer tail = new TailBuffer(TAIL_BYTES);
    Future<?> err =
        io.submit(
            () ->
                readLines(
                    process.getErrorStream(),
                    line -> {
                      tail.append(line);
                      run.onStderrLine().accept(line);
                    }));
    Future<?> out =
        io.submit(
            () -> readLines(process.getInputStream(), progressParser(run.onProgressMicros())));
    return new Started(process, command, timeout, deadline, tail, err, out);
  }

  private Result await(Started s) throws InterruptedException {
    Process process = s.process();
    long left = Math.max(0, s.deadline() - System.nanoTime());
    boolean finished = process.waitFor(left, TimeUnit.NANOSECONDS);
    if (!finished) {
      log.warn("ffmpeg ran longer than {} and is killed: {}", s.timeout(), s.command());
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    drain(s.err());
    drain(s.out());
    int exit = process.isAlive() ? -1 : process.exitValue();
    // a run that overlapped shutdown is reported as killed, whatever its exit code
    return new Result(exit, !finished && !closed, closed, s.tail().toString());
  }

  /** Waits for a reader to see end of stream; the process is gone, so this is quick. */
  private static void drain(Future<?> reader) throws InterruptedException {
    try {
      reader.get(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      reader.cancel(true);
    } catch (java.util.concurrent.ExecutionException e) {
      log.warn("Reading ffmpeg output failed", e.getCause());
    }
  }

  private static Consumer<String> progressParser(LongConsumer onProgressMicros) {
    return line -> {
      // ffmpeg 4.x writes microseconds under both names (out_time_ms is misnamed); newer ones
      // write out_time_us. Either works.
      int eq = line.indexOf('=');
      if (eq < 0) return;
      String key = line.substring(0, eq);
      if (!key.equals("out_time_us") && !key.equals("out_time_ms")) return;
      try {
        long micros = Long.parseLong(line.substring(eq + 1).trim());
        if (micros >= 0) onProgressMicros.accept(micros);
      } catch (NumberFormatException ignored) {
        // "N/A" before the first frame
      }
    };
  }

  /** Reads lines ending in \n or \r, cutting overlong ones, until end of stream. */
  static void readLines(InputStream in, Consumer<String> onLine) {
    try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      char[] buf = new char[8192];
      StringBuilder line = new StringBuilder();
      int n;
      while ((n = reader.read(buf)) >= 0) {
        for (int i = 0; i < n; i++) {
          char c = buf[i];
          if (c == '\n' || c == '\r') {
            if (line.length() > 0) {
              onLine.accept(line.toString());
              line.setLength(0);
            }
          } else if (line.length() < MAX_LINE) {
            line.append(c);
          }
        }
      }
      if (line.length() > 0) {
        onLine.accept(line.toString());
      }
    } catch (IOException e) {
      // the process was killed: its pipes close under us
    }
  }

  /** Stops every running ffmpeg at once; later runs return at once as killed. */
  void killAll() {
    closed = true;
    for (Process p : running) p.destroyForcibly();
    for (Process p : running) kill(p);
  }

  /**
   * Kills a process and waits (briefly, even when interrupted) until it is gone, so that no ffmpeg
   * outlives the run or the library that started it.
   */
  private static void kill(Process p) {
    p.destroyForcibly();
    boolean interrupted = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (p.isAlive() && System.nanoTime() < deadline) {
      try {
        p.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  void close() {
    killAll();
    io.shutdownNow();
  }

  /** The last {@code capacity} characters appended, line by line. */
  static final class TailBuffer {
    private final int capacity;
    private final StringBuilder text = new StringBuilder();

    TailBuffer(int capacity) {
      this.capacity = capacity;
    }

    synchronized void append(String line) {
      text.append(line).append('\n');
      if (text.length() > capacity * 2) {
        text.delete(0, text.length() - capacity);
      }
    }

    @Override
    public synchronized String toString() {
      return text.length() > capacity ? text.substring(text.length() - capacity) : text.toString();
    }
  }
}
