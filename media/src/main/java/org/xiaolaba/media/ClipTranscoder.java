package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stages of one clip: the loudness analysis, then one rendition per profile in order, then the
 * clip is ready. The clip reports the input's loudness and the first profile's target and output.
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
    Loudness loudness =
        new Loudness(
            Units.round1(a.inputLufs()),
            Units.round1(a.truePeakDb()),
            first.settings().targetLufs(),
            null);
    job.measured(Math.round(a.playSeconds() * 1000), loudness);

    Map<String, Rendition> renditions = new LinkedHashMap<>();
    long durationMs = 0;
    double span = (100 - LoudnessAnalysis.PROGRESS_SHARE - 5) / profiles.size();
    for (int i = 0; i < profiles.size(); i++) {
      RenditionProfile profile = profiles.get(i);
      double from = LoudnessAnalysis.PROGRESS_SHARE + i * span;
      job.stage(profile.name(), (int) Math.round(from));
      RenditionEncoder.Rendered r = encoder.render(job, source, a, profile, from, span);
      renditions.put(profile.name(), r.rendition());
      // the duration as played: the first rendition's, measured after trimming
      if (i == 0) durationMs = Math.round(r.seconds() * 1000);
    }
    Loudness done =
        new Loudness(
            loudness.inputLufs(),
            loudness.inputTruePeakDb(),
            loudness.targetLufs(),
            renditions.get(first.name()).outputLufs());
    job.ready(durationMs, done, renditions);
  }
}
