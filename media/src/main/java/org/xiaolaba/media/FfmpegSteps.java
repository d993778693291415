package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;

/**
 * Runs the pipeline's ffmpeg steps for a clip. Every step has {@code ffmpeg.timeout}; a step that
 * runs out of time refuses the clip, and a step killed because the library is closing abandons it
 * (to be resumed), so the stages only deal with what ffmpeg said.
 */
final class FfmpegSteps {
  private final FfmpegRunner runner;
  private final Duration timeout;
  private final Path mediaDir;
  private final BooleanSupplier closing;

  FfmpegSteps(FfmpegRunner runner, Duration timeout, Path mediaDir, BooleanSupplier closing) {
    this.runner = runner;
    this.timeout = timeout;
    this.mediaDir = mediaDir;
    this.closing = closing;
  }

  /** A step to run: its arguments, what it does, and where its progress goes. */
  record Planned(List<String> args, String doing, LongConsumer progressMicros) {}

  /**
   * Runs ffmpeg to its end.
   *
   * @param doing what the step does, for the error when it runs out of time ("decoding the file")
   * @param progressMicros called with the output time reached, in microseconds
   */
  Step run(List<String> args, String doing, LongConsumer progressMicros)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    return runTogether(List.of(new Planned(args, doing, progressMicros))).get(0);
  }

  Step run(List<String> args, String doing)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    return run(args, doing, us -> {});
  }

  /**
   * Runs the steps at once, as separate processes, and waits for all of them: on a machine with
   * more than one core, steps that do not depend on each other take the time of the longest one.
   * Steps come back in order; a step that fails is reported like a single one.
   */
  List<Step> runTogether(List<Planned> steps)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    List<FfmpegLog> logs = new ArrayList<>(steps.size());
    List<FfmpegRunner.Invocation> invocations = new ArrayList<>(steps.size());
    for (Planned step : steps) {
      FfmpegLog log = new FfmpegLog();
      logs.add(log);
      invocations.add(new FfmpegRunner.Invocation(step.args(), log, step.progressMicros()));
    }
    List<FfmpegRunner.Result> results = runner.runTogether(invocations, timeout);
    List<Step> done = new ArrayList<>(steps.size());
    for (int i = 0; i < steps.size(); i++) {
      logs.get(i).finish();
      FfmpegRunner.Result result = results.get(i);
      if (result.killed() || closing.getAsBoolean()) throw new ClipAbandoned();
      if (result.timedOut()) {
        throw new ClipRefused(
            "processing was stopped: ffmpeg took longer than "
                + Units.duration(timeout)
                + " (ffmpeg.timeout) while "
                + steps.get(i).doing());
      }
      done.add(new Step(result, logs.get(i)));
    }
    return done;
  }

  /** A step that ran to its end (not killed, not timed out): how it exited and what it logged. */
  final class Step {
    private final FfmpegRunner.Result result;
    private final FfmpegLog log;

    private Step(FfmpegRunner.Result result, FfmpegLog log) {
      this.result = result;
      this.log = log;
    }

    boolean ok() {
      return result.ok();
    }

    FfmpegLog log() {
      return log;
    }

    String stderrTail() {
      return result.stderrTail();
    }

    /**
     * ffmpeg's first error, to append to a clip's error text: " (ffmpeg: ...)", or nothing. The
     * server's paths are cut out; they mean nothing to the user and tell too much.
     */
    String says() {
      return log.firstError()
          .map(
              e ->
                  e.replaceAll(
                      "(?:file:)?" + Pattern.quote(mediaDir.toString()) + "[\\w./-]*(?:: )?", ""))
          .filter(e -> !e.isBlank())
          .map(e -> " (ffmpeg: " + e.strip() + ")")
          .orElse("");
    }

    /** The summary of the named {@code ebur128} instance; a clip without one is refused. */
    FfmpegLog.Loudness loudness(String instance) throws ClipRefused {
      return log.loudness(instance)
          .orElseThrow(
              () -> new ClipRefused("the loudness of the audio could not be measured" + says()));
    }
  }
}
