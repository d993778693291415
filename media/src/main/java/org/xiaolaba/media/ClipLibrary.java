package org.xiaolaba.media;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.ConflictException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.OverloadedException;
import org.xiaolaba.config.errors.StorageFullException;
import org.xiaolaba.config.ffmpeg.FfmpegBinaries;
import org.xiaolaba.config.redis.RedisHandle;

/**
 * The clip library: takes uploaded audio, checks and measures it with ffmpeg, makes one rendition
 * per profile (loudness-normalised, true-peak limited) and keeps clip metadata in Redis and audio
 * under the media directory, named by content hash.
 *
 * <p>This class is the front door and the lifecycle; the work is done by {@link ClipIngest}
 * (uploads in), {@link ClipPipeline} (the bounded queue of clips), {@link ClipTranscoder} with
 * {@link LoudnessAnalysis} and {@link RenditionEncoder} (the per-clip stages), {@link ClipRecovery}
 * (what a restart finds), {@link ClipLeases} (which node works on which clip), {@link
 * BulletinAudio} (a bulletin's clips joined into one program), {@link ClipRemoval} (deleting) with
 * {@link RenditionDeletions} (on every node) and {@link FfmpegHealth}; {@link MediaDirectories}
 * describes the layout on disk.
 */
public final class ClipLibrary implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClipLibrary.class);

  private static final long DEFAULT_MIN_FREE_BYTES = 64L * 1024 * 1024;

  private final Settings settings;
  private final MediaDirectories directories;
  private final List<RenditionProfile> profiles;
  private final ClipStore store;
  private final ClipUpdates updates;
  private final ClipLeases leases;
  private final FfmpegRunner runner;
  private final FfmpegHealth health;
  private final ClipPipeline pipeline;
  private final ClipIngest ingest;
  private final ClipRecovery recovery;
  private final BulletinAudio bulletin;
  private final ClipRemoval removal;
  private final RenditionDeletions deletions;
  private final ClipListing listing;
  private volatile boolean started;
  private volatile boolean closed;

  public ClipLibrary(Settings settings, FfmpegBinaries ffmpeg, RedisHandle redis, Clock clock) {
    this(settings, ffmpeg, redis, clock, DEFAULT_MIN_FREE_BYTES);
  }

  /** For tests: refuse uploads unless this many bytes stay free on the media disk. */
  ClipLibrary(
      Settings settings, FfmpegBinaries ffmpeg, RedisHandle redis, Clock clock, long minFreeBytes) {
    this.settings = Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(ffmpeg, "ffmpeg");
    Objects.requireNonNull(clock, "clock");
    this.store = new ClipStore(Objects.requireNonNull(redis, "redis"));
    this.directories = new MediaDirectories(settings.mediaDir(), store::clipExistsFor);
    this.profiles = RenditionProfile.inOrder(settings.media().profiles());
    this.updates = new ClipUpdates(store, clock);
    this.leases = new ClipLeases(store);
    this.runner = new FfmpegRunner(ffmpeg.ffmpeg());
    this.health = new FfmpegHealth(ffmpeg.ffmpeg());
    FfmpegSteps steps =
        new FfmpegSteps(runner, settings.ffmpeg().timeout(), directories.root(), this::isClosed);
    ClipTranscoder transcoder =
        new ClipTranscoder(
            profiles,
            new LoudnessAnalysis(
                steps, profiles, settings.media().maxDuration(), settings.media().silence()),
            new RenditionEncoder(steps, directories));
    this.pipeline =
        new ClipPipeline(
            settings.ffmpeg(), transcoder, store, leases, directories, updates, this::isClosed);
    this.ingest = new ClipIngest(store, directories, pipeline, updates, minFreeBytes);
    this.recovery = new ClipRecovery(store, directories, leases, pipeline, updates);
    this.bulletin =
        new BulletinAudio(
            settings.media().bulletin(),
            store::get,
            directories,
            steps,
            settings.ffmpeg().workers());
    this.deletions = new RenditionDeletions(redis, store, directories, clock);
    this.removal = new ClipRemoval(store, directories, deletions);
    this.listing = new ClipListing(store);
  }

  private boolean isClosed() {
    return closed;
  }

  /**
   * Creates the directories, removes temporary files left by an earlier run, checks ffmpeg, files
   * the stored clips in the listing when it is missing, listens for clips deleted on other nodes
   * and removes the files of those deleted while it was away, and resumes clips an earlier run left
   * processing (or marks them failed when their upload is gone).
   */
  public synchronized void start() {
    if (closed) throw new IllegalStateException("the clip library is closed");
    if (started) return;
    String nodeId;
    try {
      directories.create();
      nodeId = directories.nodeId();
      recovery.sweepTemporaryFiles();
    } catch (IOException e) {
      throw MediaDirectories.storageError(
          "cannot prepare the media directory " + directories.root(), e);
    }
    health.checkNow();
    int filed = store.ensureListed();
    if (filed > 0) log.info("Filed {} stored clip(s) in the clip listing", filed);
    started = true;
    leases.start(nodeId);
    deletions.start(nodeId);
    recovery.resumeInterrupted();
    log.info(
        "Clip library ready in {} ({} worker(s), queue of {}, profiles {})",
        directories.root(),
        settings.ffmpeg().workers(),
        settings.ffmpeg().queueSize(),
        profiles.stream().map(RenditionProfile::name).toList());
  }

  /** Stops the workers, kills running ffmpeg processes and waits briefly for the workers. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    pipeline.stopNow();
    runner.killAll();
    leases.close();
    deletions.close();
    health.close();
    pipeline.awaitStopped();
    runner.close();
  }

  /**
   * Where the server streams upload bodies: on the media directory's file system, so that {@link
   * #ingest} moves them atomically.
   */
  public Path incomingDir() {
    return directories.incoming();
  }

  /**
   * Takes an uploaded file (and its ownership: it is moved or deleted on every path) and starts
   * processing it. Returns the new clip ({@code processing}), or the existing clip when the same
   * bytes were uploaded before and are ready or still processing.
   *
   * @throws InvalidInputException for an empty file or a bad title
   * @throws OverloadedException when the transcoding queue is full
   * @throws StorageFullException when the disk has no room
   */
  public Clip ingest(Path uploadedFile, String title) {
    Objects.requireNonNull(uploadedFile, "uploadedFile");
    if (closed || !started) {
      MediaDirectories.deleteQuietly(uploadedFile); // refused or not, the upload is ours
      requireRunning();
    }
    return ingest.accept(uploadedFile, title);
  }

  private void requireRunning() {
    if (closed) {
      throw new OverloadedException(
          "the server is shutting down", ClipPipeline.RETRY_AFTER_SECONDS);
    }
    if (!started) throw new IllegalStateException("the clip library is not started");
  }

  /**
   * Assembles a bulletin's audio and processes it like an upload: the intro jingle ({@code
   * media.bulletin.intro}), the clips in this order and the outro jingle ({@code
   * media.bulletin.outro}), with {@code media.bulletin.gap} of silence between each two, become one
   * program that is checked, normalised as a whole and rendered for every profile. Each clip is
   * read from its best rendition (normally {@code app}).
   *
   * <p>Blocks while ffmpeg joins the parts (well under a second per minute of audio), on the
   * caller's thread; the rest happens on the workers, like any clip. At most {@code ffmpeg.workers}
   * assemblies run at once.
   *
   * @return the new clip ({@code processing}), or the existing one when the same bulletin was
   *     assembled before (the same clips, jingles and gap make the same bytes); it keeps its first
   *     title
   * @throws InvalidInputException naming the field: {@code clipIds[i]} for a clip that is unknown,
   *     still processing, failed or without audio on disk; {@code clipIds} for an empty list when
   *     no jingle is configured, or too many clips; {@code title} for an overlong title
   * @throws org.xiaolaba.config.ConfigException when a configured jingle is not readable audio
   * @throws OverloadedException when the queue is full or as many bulletins are being assembled as
   *     there are workers
   * @throws StorageFullException when the disk has no room
   */
  public Clip assembleBulletin(List<String> clipIds, String title) {
    requireRunning();
    ClipIngest.cleanTitle(title); // refused before any work
    if (pipeline.isFull()) throw pipeline.overloaded();
    Path program = bulletin.assemble(clipIds == null ? List.of() : clipIds);
    return ingest(program, title);
  }

  /**
   * Deletes a clip: its record and content-hash entry in Redis, then its rendition files on every
   * node, unless another clip made from the same bytes has them by now. Whether anything still
   * plays the clip is for the caller to check first: programs live in the scheduler.
   *
   * @return false when there is no such clip
   * @throws ConflictException while the clip is processing (its worker would write it back): it can
   *     be deleted once it is ready or failed
   */
  public boolean delete(String id) {
    if (!ClipIds.isValid(id)) return false;
    return removal.delete(id);
  }

  /**
   * A page of clips, newest first: {@code limit} (1 to 200) of them, after {@code cursor} (the
   * {@code nextCursor} of the page before) or created before {@code before} (at most one of the
   * two), only those of {@code status} when it is given.
   *
   * @throws InvalidInputException naming {@code limit}, {@code cursor} or {@code before}
   */
  public ClipPage list(int limit, String cursor, Instant before, ClipStatus status) {
    return listing.page(limit, cursor, before, status);
  }

  public Optional<Clip> find(String id) {
    if (!ClipIds.isValid(id)) return Optional.empty();
    return store.get(id);
  }

  /**
   * The file of a rendition, by its name ({@code <sha256>-<profile>.mp3|m4a}); empty for any other
   * name, for anything outside the media directory, for files that do not exist, and for those of
   * deleted clips (which another node may not have removed yet).
   */
  public Optional<Path> mediaFile(String name) {
    return directories.existingRendition(name);
  }

  /**
   * The rendition file {@code name} on this node only, never fetched from another node: what this
   * node answers when another node asks it for a file (so two nodes never ask each other in turn).
   */
  public Optional<Path> localMediaFile(String name) {
    return directories.rendition(name, false);
  }

  /** Where renditions transcoded on other nodes are fetched from, when this node needs them. */
  public void peers(RenditionPeers peers) {
    directories.peers(peers);
  }

  /** Clips waiting for a transcoding worker (at most {@code ffmpeg.queueSize}), for metrics. */
  public int clipsWaiting() {
    return pipeline.waiting();
  }

  /** Clips being transcoded now (at most {@code ffmpeg.workers}), for metrics. */
  public int clipsTranscoding() {
    return pipeline.running();
  }

  /** Called (on worker threads) on every change of a clip's stage, progress or status. */
  public void addListener(Consumer<Clip> listener) {
    updates.addListener(listener);
  }

  /**
   * True when {@code ffmpeg -version} ran successfully within the last half minute or so. Never
   * waits for ffmpeg: a stale result triggers a check in the background.
   */
  public boolean ffmpegWorks() {
    return !closed && health.works();
  }
}
