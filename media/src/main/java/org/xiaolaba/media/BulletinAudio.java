package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.OverloadedException;
import org.xiaolaba.config.errors.StorageFullException;

/**
 * Joins a bulletin's audio into one program: the intro jingle, the clips in order and the outro
 * jingle, with {@code media.bulletin.gap} of silence between each two, in one ffmpeg run into an
 * uncompressed WAV in {@code incoming/}. The library then ingests that WAV like an upload, so the
 * program is checked, measured and normalised as a whole and rendered for every profile, and the
 * same bulletin assembled twice (same bytes) is one clip.
 *
 * <p>A clip is read from its best rendition on disk (uploads are deleted once processed): the one
 * with the most channels, then the highest bit rate, normally {@code app}. A jingle is probed
 * first, so one that is not readable audio fails with a message naming its setting. Assemblies run
 * on the caller's thread, at most {@code ffmpeg.workers} at once: more are refused, not queued.
 */
final class BulletinAudio {
  private static final Logger log = LoggerFactory.getLogger(BulletinAudio.class);

  /** The most clips one bulletin holds: each is an ffmpeg input, all open for the whole run. */
  static final int MAX_CLIPS = 200;

  static final int SAMPLE_RATE = 44_100;

  static final String INTRO_KEY = "media.bulletin.intro";
  static final String OUTRO_KEY = "media.bulletin.outro";

  /** One piece of the program: its file, its channels, and the field or setting it came from. */
  record Part(String field, Path file, int channels) {}

  private final Settings.Bulletin config;
  private final Function<String, Optional<Clip>> clips;
  private final MediaDirectories directories;
  private final FfmpegSteps ffmpeg;
  private final Semaphore slots;

  BulletinAudio(
      Settings.Bulletin config,
      Function<String, Optional<Clip>> clips,
      MediaDirectories directories,
      FfmpegSteps ffmpeg,
      int concurrency) {
    this.config = config;
    this.clips = clips;
    this.directories = directories;
    this.ffmpeg = ffmpeg;
    this.slots = new Semaphore(Math.max(1, concurrency));
  }

  /**
   * Writes the program of these clips into a new WAV in {@code incoming/} and returns it: the
   * caller owns it from then on. Nothing is left behind when this throws.
   *
   * @throws InvalidInputException naming {@code clipIds[i]} for a clip that is unknown, not ready
   *     or has no audio on disk, or {@code clipIds} for an empty list without jingles
   * @throws ConfigException for a jingle that is not readable audio
   * @throws OverloadedException when {@code ffmpeg.workers} bulletins are being assembled already
   */
  Path assemble(List<String> clipIds) {
    boolean jingles = isSet(config.intro()) || isSet(config.outro());
    if (clipIds.isEmpty() && !jingles) {
      throw new InvalidInputException(
          "clipIds",
          "a bulletin needs at least one clip: the list is empty and no intro or outro jingle is"
              + " configured");
    }
    List<Part> clipParts = clipParts(clipIds);
    if (!slots.tryAcquire()) {
      throw new OverloadedException(
          "as many bulletins as there are ffmpeg workers are being assembled; try again shortly",
          ClipPipeline.RETRY_AFTER_SECONDS);
    }
    try {
      List<Part> parts = new ArrayList<>();
      jingle(INTRO_KEY, config.intro()).ifPresent(parts::add);
      parts.addAll(clipParts);
      jingle(OUTRO_KEY, config.outro()).ifPresent(parts::add);
      return join(parts);
    } catch (ClipAbandoned e) {
      throw new OverloadedException(
          "the server is shutting down", ClipPipeline.RETRY_AFTER_SECONDS);
    } catch (ClipRefused e) {
      throw new IllegalStateException("the bulletin could not be assembled: " + e.getMessage());
    } catch (IOException e) {
      throw MediaDirectories.storageError("cannot assemble the bulletin", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while assembling the bulletin", e);
    } finally {
      slots.release();
    }
  }

  /** The clips as parts, each checked: it exists, is ready and has a rendition on disk. */
  private List<Part> clipParts(List<String> clipIds) {
    if (clipIds.size() > MAX_CLIPS) {
      throw new InvalidInputException(
          "clipIds",
          "a bulletin holds at most " + MAX_CLIPS + " clips; " + clipIds.size() + " were given");
    }
    List<Part> parts = new ArrayList<>(clipIds.size());
    for (int i = 0; i < clipIds.size(); i++) {
      String field = "clipIds[" + i + "]";
      String id = clipIds.get(i);
      if (id == null || id.isBlank()) {
        throw new InvalidInputException(field, "a clip id is required");
      }
      Clip clip =
          (ClipIds.isValid(id) ? clips.apply(id) : Optional.<Clip>empty())
              .orElseThrow(() -> new InvalidInputException(field, "no clip with id '" + id + "'"));
      if (clip.status() == ClipStatus.PROCESSING) {
        throw new InvalidInputException(
            field,
            "clip '" + id + "' is still being processed; assemble the bulletin once it is ready");
      }
      if (clip.status() == ClipStatus.FAILED) {
        throw new InvalidInputException(
            field, "clip '" + id + "' failed and has no audio (" + clip.error() + ")");
      }
      parts.add(
          bestRendition(field, clip)
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          field,
                          "clip '" + id + "' has no audio on disk any more; upload it again")));
    }
    return parts;
  }

  private Optional<Part> bestRendition(String field, Clip clip) {
    Map<String, Rendition> renditions = clip.renditions() == null ? Map.of() : clip.renditions();
    return renditions.values().stream()
        .sorted(
            Comparator.comparingInt(Rendition::channels)
                .thenComparingInt(Rendition::bitrate)
                .reversed())
        .flatMap(
            r ->
                directories.existingRendition(r.file()).stream()
                    .map(file -> new Part(field, file, r.channels())))
        .findFirst();
  }

  /** The configured jingle as a part, once ffmpeg has opened it and found audio in it. */
  private Optional<Part> jingle(String key, String path)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    if (!isSet(path)) return Optional.empty();
    Path file = Path.of(path).toAbsolutePath().normalize();
    FfmpegSteps.Step probe = ffmpeg.run(FfmpegCommands.probe(file), "checking the jingle " + key);
    Optional<FfmpegLog.AudioStream> audio =
        probe.log().inputOpened() ? probe.log().audio() : Optional.empty();
    if (audio.isEmpty()) {
      throw new ConfigException(
          "config key '"
              + key
              + "' has value '"
              + path
              + "': it is not readable audio"
              + probe.log().firstError().map(e -> " (ffmpeg: " + e.strip() + ")").orElse("")
              + "; give an audio file, or empty it for no jingle");
    }
    int channels = audio.get().channels() > 0 ? audio.get().channels() : 2;
    return Optional.of(new Part(key, file, channels));
  }

  /** The one ffmpeg run; the WAV is deleted again unless it is complete. */
  private Path join(List<Part> parts)
      throws ClipRefused, ClipAbandoned, IOException, InterruptedException {
    int channels = parts.stream().allMatch(p -> p.channels() == 1) ? 1 : 2;
    Path wav = directories.incoming().resolve("bulletin-" + ClipIds.random() + ".wav");
    boolean complete = false;
    try {
      List<Path> files = parts.stream().map(Part::file).toList();
      FfmpegSteps.Step step =
          ffmpeg.run(command(files, config.gap(), channels, wav), "assembling the bulletin");
      if (step.log().diskFull()) {
        throw new StorageFullException(
            "the media disk is full: the bulletin could not be assembled", null);
      }
      if (!step.ok()) {
        for (Part p : parts) {
          if (!Files.isRegularFile(p.file()) && p.field().startsWith("clipIds")) {
            throw new InvalidInputException(
                p.field(), "the clip was deleted while the bulletin was being assembled");
          }
        }
        throw new IllegalStateException("assembling the bulletin failed" + step.says());
      }
      complete = true;
      log.info(
          "Bulletin of {} part(s) assembled into {} ({}, {} gaps)",
          parts.size(),
          wav.getFileName(),
          Units.bytes(Files.size(wav)),
          Units.seconds(config.gap().toMillis() / 1000.0));
      return wav;
    } finally {
      if (!complete) MediaDirectories.deleteQuietly(wav);
    }
  }

  /**
   * The ffmpeg command that joins {@code inputs} with {@code gap} of silence between each two into
   * a 16-bit PCM WAV at 44.1 kHz. Every input is opened like an upload (file protocol, allowed
   * demuxers), and the joining is the {@code concat} filter, never the concat demuxer (a script of
   * file names). The output carries no metadata and no encoder version, so the same parts make the
   * same bytes, which is what finds a bulletin assembled before.
   */
  static List<String> command(List<Path> inputs, Duration gap, int channels, Path output) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-nostdin",
                "-hide_banner",
                "-nostats",
                "-loglevel",
                "level+info",
                "-progress",
                "pipe:1"));
    for (Path input : inputs) {
      args.addAll(
          List.of(
              "-protocol_whitelist",
              "file",
              "-format_whitelist",
              FfmpegCommands.FORMAT_WHITELIST,
              "-i",
              FfmpegCommands.fileUrl(input)));
    }
    String format =
        "aformat=sample_fmts=s16:sample_rates="
            + SAMPLE_RATE
            + ":channel_layouts="
            + (channels == 1 ? "mono" : "stereo");
    String pad =
        gap.isZero() ? "" : ",apad=pad_dur=" + FfmpegCommands.seconds(gap.toMillis() / 1e3);
    StringBuilder graph = new StringBuilder();
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < inputs.size(); i++) {
      boolean last = i == inputs.size() - 1;
      graph.append('[').append(i).append(":a:0]").append(format).append(last ? "" : pad);
      graph.append("[p").append(i).append("];");
      joined.append("[p").append(i).append(']');
    }
    graph.append(joined).append("concat=n=").append(inputs.size()).append(":v=0:a=1[out]");
    args.addAll(
        List.of(
            "-filter_complex",
            graph.toString(),
            "-map",
            "[out]",
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            "-c:a",
            "pcm_s16le",
            "-f",
            "wav",
            "-y",
            FfmpegCommands.fileUrl(output)));
    return args;
  }

  private static boolean isSet(String path) {
    return path != null && !path.isBlank();
  }
}
