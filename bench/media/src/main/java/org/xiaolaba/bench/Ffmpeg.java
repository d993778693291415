package org.xiaolaba.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the same ffmpeg binary the library uses, as a plain command, and times it. */
final class Ffmpeg {
  private static final long TIMEOUT_MINUTES = 20;

  private final Path binary;

  Ffmpeg(Path binary) {
    this.binary = binary;
  }

  /** Runs {@code ffmpeg -nostdin -hide_banner -y args...}; returns what it wrote on stderr. */
  String run(List<String> args) throws IOException, InterruptedException {
    Process p = start(args);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    await(p, args, err);
    return err;
  }

  /** Seconds {@link #run} takes. */
  double time(List<String> args) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    run(args);
    return seconds(t0);
  }

  /** Seconds a set of runs takes when all are started at once. */
  double timeTogether(List<List<String>> runs) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    List<Process> started = new ArrayList<>();
    for (List<String> args : runs) started.add(start(args));
    for (int i = 0; i < runs.size(); i++) {
      Process p = started.get(i);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      await(p, runs.get(i), err);
    }
    return seconds(t0);
  }

  private Process start(List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(binary.toString(), "-nostdin", "-hide_banner"));
    command.add("-y");
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    return p;
  }

  private static void await(Process p, List<String> args, String err) throws InterruptedException {
    if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("ffmpeg ran over " + TIMEOUT_MINUTES + " min: " + args);
    }
    if (p.exitValue() != 0) {
      String tail = err.length() > 2000 ? err.substring(err.length() - 2000) : err;
      throw new IllegalStateException(
          "ffmpeg failed (" + p.exitValue() + "): " + args + "\n" + tail);
    }
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
