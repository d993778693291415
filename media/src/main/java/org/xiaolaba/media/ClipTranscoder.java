package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The stages of one clip: the loudness analysis ({@code analyzing}), then every rendition at once
 * ({@code encoding}), then the clip is ready. The clip reports the input's loudness and true peak
 * and the first profile's target and output.
 */
final class ClipTranscoder {
  private final List<RenditionProfile> profiles;
  private final LoudnessAnalysis analysis;
  private final RenditionEncoder encoder;

  ClipTranscoder(
      List<RenditionProfile> profiles, LoudnessAnalysis analysis, RenditionEncoder encoder) {
    this.profiles = profiles;
    this.analysis = analysis;
    this.encoder = encoder;
  }

  void transcode(ClipJob job, Path source)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    job.stage("analyzing", 0);
    LoudnessAnalysis.Result a = analysis.run(job, source);
    RenditionProfile first = profiles.get(0);
    double target = first.settings().targetLufs();
    Double inputLufs = Units.round1(a.inputLufs());
    // the true peak is measured while encoding: until then the clip shows what it knows
    job.measured(Math.round(a.playSeconds() * 1000), new Loudness(inputLufs, null, target, null));

    double from = LoudnessAnalysis.PROGRESS_SHARE;
    job.stage("encoding", (int) Math.round(from));
    RenditionEncoder.Rendered r = encoder.renderAll(job, source, a, profiles, from, 95 - from);
    Double truePeak = r.inputTruePeakDb() == null ? null : Units.round1(r.inputTruePeakDb());
    Loudness done =
        new Loudness(inputLufs, truePeak, target, r.renditions().get(first.name()).outputLufs());
    // the duration as played: the first rendition's, as encoded after trimming
    job.ready(Math.round(r.seconds() * 1000), done, r.renditions());
  }
}
