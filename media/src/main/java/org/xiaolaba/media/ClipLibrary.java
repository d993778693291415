package org.xiaolaba.media;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.OverloadedException;
import org.xiaolaba.config.errors.StorageFullException;
import org.xiaolaba.config.ffmpeg.FfmpegBinaries;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.FfmpegCommands.Encoding;

/**
 * The clip library: takes uploaded audio, checks and measures it with ffmpeg, makes one rendition
 * per profile (loudness-normalised, true-peak limited) and keeps clip metadata in Redis and audio
 * under the media directory, named by content hash.
 *
 * <p>Per clip, on a bounded pool of {@code ffmpeg.workers} threads with a queue of {@code
 * ffmpeg.queueSize}: a header probe; one run that decodes the whole file, checking it and measuring
 * EBU R128 loudness, true peak and leading/trailing silence; then per profile an encode (trim,
 * channel layout, high-pass, linear gain to target, limiter) into a temporary file, a measurement
 * of the result, and an atomic move into place. Every ffmpeg run has {@code ffmpeg.timeout};
 * temporary files go on every path.
 *
 * <p>Directories under {@code <dataDir>/media}: the renditions themselves, {@code incoming/} (the
 * server streams uploads here), {@code sources/} (accepted uploads until processed, so a restart
 * can resume them) and {@code tmp/} (renditions being written).
 */
public final class ClipLibrary implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClipLibrary.class);

  /** The names of rendition files this library writes: {@code <sha256>-<profile>.<ext>}. */
  static final Pattern RENDITION_NAME =
      Pattern.compile("[0-9a-f]{64}-[a-z0-9][a-z0-9_-]{0,31}\\.(?:mp3|m4a)");

  private static final Pattern PROFILE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
  private static final Pattern CLIP_ID = Pattern.compile("[A-Za-z0-9_-]{12}");

  /** Integrated loudness below this is silence: refused rather than amplified into noise. */
  static final double SILENT_BELOW_LUFS = -60.0;

  /** A rendition further than this from its target is encoded once more with corrected gain. */
  static final double CORRECT_ABOVE_LU = 0.5;

  /** The limiter works on samples; this headroom keeps true (inter-sample) peaks under target. */
  static final double LIMITER_MARGIN_DB = 1.0;

  /** Silence kept before the first and after the last sound when trimming. */
  static final double TRIM_PAD_START_SECONDS = 0.1;

  static final double TRIM_PAD_END_SECONDS = 0.25;

  /** Clips shorter than this are measured looped: EBU R128 needs 400 ms blocks. */
  static final double SHORT_CLIP_SECONDS = 0.5;

  static final long DEFAULT_MIN_FREE_BYTES = 64L * 1024 * 1024;
  static final int MAX_TITLE_LENGTH = 200;
  static final int RETRY_AFTER_SECONDS = 10;

  private static final Duration LEASE_TTL = Duration.ofSeconds(30);
  private static final Duration LEASE_RENEWAL = Duration.ofSeconds(10);
  private static final long HEALTH_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final double ANALYSIS_PROGRESS = 20;
  private static final double ENCODE_SHARE = 0.85;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Settings settings;
  private final FfmpegBinaries ffmpeg;
  private final Clock clock;
  private final ClipStore store;
  private final FfmpegRunner runner;
  private final ThreadPoolExecutor workers;
  private final ScheduledExecutorService housekeeping;
  private final ExecutorService healthChecks;
  private final List<Consumer<Clip>> listeners = new CopyOnWriteArrayList<>();
  private final Path mediaDir;
  private final Path incomingDir;
  private final Path sourcesDir;
  private final Path tmpDir;
  private final List<ProfileSpec> profiles;
  private final Set<String> owned = ConcurrentHashMap.newKeySet();
  private final long minFreeBytes;
  private final AtomicReference<Health> health = new AtomicReference<>();
  private final AtomicBoolean healthCheckRunning = new AtomicBoolean();
  private volatile String nodeId;
  private volatile boolean started;
  private volatile boolean closed;

  private record ProfileSpec(String name, Settings.Profile profile, Encoding encoding) {}

  private record Health(long checkedAtNanos, boolean ok) {}

  public ClipLibrary(Settings settings, FfmpegBinaries ffmpeg, RedisHandle redis, Clock clock) {
    this(settings, ffmpeg, redis, clock, DEFAULT_MIN_FREE_BYTES);
  }

  /** For tests: refuse uploads unless this many bytes stay free on the media disk. */
  ClipLibrary(
      Settings settings, FfmpegBinaries ffmpeg, RedisHandle redis, Clock clock, long minFreeBytes) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.ffmpeg = Objects.requireNonNull(ffmpeg, "ffmpeg");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.store = new ClipStore(Objects.requireNonNull(redis, "redis"));
    this.minFreeBytes = minFreeBytes;
    this.mediaDir = settings.mediaDir().toAbsolutePath().normalize();
    this.incomingDir = mediaDir.resolve("incoming");
    this.sourcesDir = mediaDir.resolve("sources");
    this.tmpDir = mediaDir.resolve("tmp");
    this.profiles = profiles(settings.media().profiles());
    this.runner = new FfmpegRunner(ffmpeg.ffmpeg());
    int threads = settings.ffmpeg().workers();
    int queueSize = settings.ffmpeg().queueSize();
    BlockingQueue<Runnable> queue =
        queueSize > 0 ? new ArrayBlockingQueue<>(queueSize) : new SynchronousQueue<>();
    this.workers =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            queue,
            daemonThreads("clip-worker"),
            new ThreadPoolExecutor.AbortPolicy());
    this.housekeeping = Executors.newSingleThreadScheduledExecutor(daemonThreads("clip-leases"));
    this.healthChecks = Executors.newSingleThreadExecutor(daemonThreads("ffmpeg-health"));
  }

  private static List<ProfileSpec> profiles(Map<String, Settings.Profile> configured) {
    List<String> names = new ArrayList<>(configured.keySet());
    // the horns first, then the app, then any other profile by name
    names.sort(
        (a, b) -> {
          int ra = rank(a);
          int rb = rank(b);
          return ra != rb ? Integer.compare(ra, rb) : a.compareTo(b);
        });
    List<ProfileSpec> specs = new ArrayList<>();
    for (String name : names) {
      if (!PROFILE_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "media profile name '"
                + name
                + "' cannot name a file: use lower-case letters, digits, '-' or '_'");
      }
      Settings.Profile p = configured.get(name);
      specs.add(new ProfileSpec(name, p, Encoding.forCodec(p.codec())));
    }
    return List.copyOf(specs);
  }

  private static int rank(String profile) {
    return switch (profile) {
      case "loudspeaker" -> 0;
      case "app" -> 1;
      default -> 2;
    };
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Creates the directories, removes temporary files left by an earlier run, checks ffmpeg, and
   * resumes clips an earlier run left processing (or marks them failed when their upload is gone).
   */
  public synchronized void start() {
    if (closed) throw new IllegalStateException("the clip library is closed");
    if (started) return;
    try {
      for (Path dir : List.of(mediaDir, incomingDir, sourcesDir, tmpDir)) {
        Files.createDirectories(dir);
      }
      nodeId = readOrCreateNodeId();
      int removed = emptyDirectory(tmpDir) + emptyDirectory(incomingDir);
      if (removed > 0) {
        log.info("Removed {} temporary file(s) left by an earlier run", removed);
      }
    } catch (IOException e) {
      throw storageError("cannot prepare the media directory " + mediaDir, e);
    }
    checkFfmpegNow();
    started = true;
    housekeeping.scheduleAtFixedRate(
        this::renewLeases,
        LEASE_RENEWAL.toMillis(),
        LEASE_RENEWAL.toMillis(),
        TimeUnit.MILLISECONDS);
    recover();
    log.info(
        "Clip library ready in {} ({} worker(s), queue of {}, profiles {})",
        mediaDir,
        settings.ffmpeg().workers(),
        settings.ffmpeg().queueSize(),
        profiles.stream().map(ProfileSpec::name).toList());
  }

  private String readOrCreateNodeId() throws IOException {
    Path file = mediaDir.resolve("node-id");
    if (Files.isRegularFile(file)) {
      String id = Files.readString(file, StandardCharsets.UTF_8).trim();
      if (CLIP_ID.matcher(id).matches()) return id;
    }
    String id = randomId();
    Path tmp = tmpDir.resolve("node-id." + randomId());
    Files.writeString(tmp, id, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    return id;
  }

  private static int emptyDirectory(Path dir) throws IOException {
    int n = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(f)) {
          Files.deleteIfExists(f);
          n++;
        }
      }
    }
    return n;
  }

  /** Clips an earlier run of this node (or a dead node) left processing. */
  private void recover() {
    Set<String> keep = new HashSet<>();
    for (String id : store.processing()) {
      Optional<String> owner = store.owner(id);
      if (owner.isPresent() && !owner.get().equals(nodeId)) {
        keep.add(id); // another live node is working on it
        continue;
      }
      Optional<Clip> found = store.get(id);
      if (found.isEmpty() || found.get().status() != ClipStatus.PROCESSING) {
        store.unmarkProcessing(id);
        continue;
      }
      Clip clip = found.get();
      Path source = sourcesDir.resolve(id);
      if (!CLIP_ID.matcher(id).matches() || !Files.isRegularFile(source)) {
        failStored(
            clip,
            "processing was interrupted when the server stopped, and the uploaded file is no"
                + " longer on disk; upload it again");
        continue;
      }
      Clip queued = withProgress(clip, "queued", 0);
      store.put(queued);
      owned.add(id);
      store.lease(id, nodeId, LEASE_TTL);
      try {
        workers.execute(() -> process(id));
        keep.add(id);
        log.info("Resuming clip {} ('{}') interrupted by a restart", id, clip.title());
      } catch (RejectedExecutionException e) {
        owned.remove(id);
        failStored(
            queued,
            "the server restarted while this clip was being processed and could not resume it"
                + " (the transcoding queue is full); upload it again");
      }
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(sourcesDir)) {
      for (Path f : files) {
        if (!keep.contains(f.getFileName().toString())) {
          log.info("Removing orphaned upload {}", f);
          Files.deleteIfExists(f);
        }
      }
    } catch (IOException e) {
      log.warn("Could not clean {}: {}", sourcesDir, e.toString());
    }
  }

  private void failStored(Clip clip, String error) {
    Clip failed = withFailure(clip, error);
    store.put(failed);
    store.unmarkProcessing(clip.id());
    store.release(clip.id(), nodeId);
    deleteQuietly(sourcesDir.resolve(clip.id()));
    log.info("Clip {} failed: {}", clip.id(), error);
    notifyListeners(failed);
  }

  private void renewLeases() {
    for (String id : owned) {
      try {
        store.lease(id, nodeId, LEASE_TTL);
      } catch (RuntimeException e) {
        log.warn("Could not renew the lease of clip {}: {}", id, e.toString());
      }
    }
  }

  /** Stops the workers, kills running ffmpeg processes and waits briefly for the workers. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    workers.shutdownNow();
    runner.killAll();
    housekeeping.shutdownNow();
    healthChecks.shutdownNow();
    try {
      if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("Clip workers did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    runner.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Public API

  /**
   * Where the server streams upload bodies: on the media directory's file system, so that {@link
   * #ingest} moves them atomically.
   */
  public Path incomingDir() {
    return incomingDir;
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
    Path source = null;
    boolean handedOver = false;
    try {
      if (closed) {
        throw new OverloadedException("the server is shutting down", RETRY_AFTER_SECONDS);
      }
      if (!started) throw new IllegalStateException("the clip library is not started");
      String cleanTitle = cleanTitle(title);
      long size = Files.size(uploadedFile);
      if (size == 0) {
        throw new InvalidInputException(
            "body", "the upload is empty: send the audio file as the request body");
      }
      if (queueFull()) throw overloaded();
      checkFreeSpace();
      String sha = sha256(uploadedFile);
      Optional<Clip> existing = reusable(sha);
      if (existing.isPresent()) {
        log.info(
            "Upload matches clip {} (sha-256 {}); not processing it again",
            existing.get().id(),
            sha);
        return existing.get();
      }
      String id = randomId();
      source = sourcesDir.resolve(id);
      moveIn(uploadedFile, source);
      Instant now = clock.instant();
      Clip clip =
          new Clip(
              id,
              cleanTitle,
              ClipStatus.PROCESSING,
              null,
              "queued",
              0,
              null,
              null,
              null,
              sha,
              now,
              now);
      try {
        store.put(clip);
        store.markProcessing(id);
        if (!store.claimHash(sha, id)) {
          Optional<Clip> raced = reusable(sha);
          if (raced.isPresent()) {
            forget(id, sha);
            return raced.get();
          }
          store.pointHash(sha, id);
        }
        owned.add(id);
        store.lease(id, nodeId, LEASE_TTL);
        notifyListeners(clip);
        try {
          workers.execute(() -> process(id));
        } catch (RejectedExecutionException e) {
          forget(id, sha);
          throw overloaded();
        }
      } catch (RuntimeException e) {
        if (!(e instanceof OverloadedException)) {
          forgetQuietly(id, sha);
        }
        throw e;
      }
      handedOver = true;
      log.info("Clip {} ('{}') accepted: {} bytes, sha-256 {}", id, cleanTitle, size, sha);
      return clip;
    } catch (IOException e) {
      throw storageError("cannot store the upload", e);
    } finally {
      deleteQuietly(uploadedFile);
      if (!handedOver && source != null) {
        deleteQuietly(source);
      }
    }
  }

  public Optional<Clip> find(String id) {
    if (id == null || !CLIP_ID.matcher(id).matches()) return Optional.empty();
    return store.get(id);
  }

  /**
   * The file of a rendition, by its name ({@code <sha256>-<profile>.mp3|m4a}); empty for any other
   * name, for anything outside the media directory, and for files that do not exist.
   */
  public Optional<Path> mediaFile(String name) {
    if (name == null || !RENDITION_NAME.matcher(name).matches()) return Optional.empty();
    Path file = mediaDir.resolve(name).normalize();
    if (!mediaDir.equals(file.getParent())) return Optional.empty();
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
    return Optional.of(file);
  }

  /** Called (on worker threads) on every change of a clip's stage, progress or status. */
  public void addListener(Consumer<Clip> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * True when {@code ffmpeg -version} ran successfully within the last half minute or so. Never
   * waits for ffmpeg: a stale result triggers a check in the background.
   */
  public boolean ffmpegWorks() {
    if (closed) return false;
    Health h = health.get();
    long now = System.nanoTime();
    if (h == null || now - h.checkedAtNanos() > HEALTH_MAX_AGE_NANOS) {
      checkFfmpegInBackground();
    }
    return h != null && h.ok() && now - h.checkedAtNanos() < 2 * HEALTH_MAX_AGE_NANOS;
  }

  // ---------------------------------------------------------------------------------------------
  // Ingest helpers

  static String cleanTitle(String title) {
    String t = title == null ? "" : title.replaceAll("\\p{Cntrl}", " ").strip();
    if (t.isEmpty()) return "Untitled";
    if (t.codePointCount(0, t.length()) > MAX_TITLE_LENGTH) {
      throw new InvalidInputException(
          "title", "the title is longer than " + MAX_TITLE_LENGTH + " characters");
    }
    return t;
  }

  private boolean queueFull() {
    return workers.getActiveCount() >= workers.getMaximumPoolSize()
        && workers.getQueue().remainingCapacity() == 0;
  }

  private OverloadedException overloaded() {
    return new OverloadedException(
        "the transcoding queue is full ("
            + settings.ffmpeg().queueSize()
            + " clips waiting); try again shortly",
        RETRY_AFTER_SECONDS);
  }

  private void checkFreeSpace() throws IOException {
    long free = Files.getFileStore(mediaDir).getUsableSpace();
    if (free < minFreeBytes) {
      throw new StorageFullException(
          "the media disk is full: "
              + free / (1024 * 1024)
              + " MiB free, and at least "
              + minFreeBytes / (1024 * 1024)
              + " MiB must stay free for renditions",
          null);
    }
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        digest.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** The clip already made from these bytes, when it is ready (files present) or processing. */
  private Optional<Clip> reusable(String sha) {
    return store
        .idForHash(sha)
        .flatMap(store::get)
        .filter(
            c ->
                c.status() == ClipStatus.PROCESSING
                    || (c.status() == ClipStatus.READY && renditionsPresent(c)));
  }

  private boolean renditionsPresent(Clip clip) {
    if (clip.renditions() == null || clip.renditions().isEmpty()) return false;
    return clip.renditions().values().stream().allMatch(r -> mediaFile(r.file()).isPresent());
  }

  private static void moveIn(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Undoes a clip that was never handed to a worker. */
  private void forget(String id, String sha) {
    owned.remove(id);
    store.delete(id);
    store.unmarkProcessing(id);
    store.releaseHash(sha, id);
    store.release(id, nodeId);
  }

  private void forgetQuietly(String id, String sha) {
    try {
      forget(id, sha);
    } catch (RuntimeException e) {
      log.warn("Could not remove the partly stored clip {}: {}", id, e.toString());
    }
  }

  private static RuntimeException storageError(String what, IOException e) {
    if (isDiskFull(e)) {
      return new StorageFullException("the media disk is full: " + what, e);
    }
    return new UncheckedIOException(what + ": " + e.getMessage(), e);
  }

  static boolean isDiskFull(IOException e) {
    String reason =
        e instanceof FileSystemException fse && fse.getReason() != null
            ? fse.getReason()
            : String.valueOf(e.getMessage());
    return reason.contains("No space left on device") || reason.contains("Disk quota exceeded");
  }

  static String randomId() {
    byte[] bytes = new byte[9];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("Could not delete {}: {}", file, e.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Health

  private void checkFfmpegNow() {
    health.set(new Health(System.nanoTime(), ffmpegRuns()));
    if (!health.get().ok()) {
      log.warn("ffmpeg {} does not run ('-version' failed)", ffmpeg.ffmpeg());
    }
  }

  private void checkFfmpegInBackground() {
    if (!healthCheckRunning.compareAndSet(false, true)) return;
    try {
      healthChecks.execute(
          () -> {
            try {
              checkFfmpegNow();
            } finally {
              healthCheckRunning.set(false);
            }
          });
    } catch (RejectedExecutionException e) {
      healthCheckRunning.set(false);
    }
  }

  private boolean ffmpegRuns() {
    Process p = null;
    try {
      p =
          new ProcessBuilder(ffmpeg.ffmpeg().toString(), "-hide_banner", "-version")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.getOutputStream().close();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (p != null && p.isAlive()) p.destroyForcibly();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Processing

  /** A user-facing reason a clip cannot be used; becomes the clip's {@code error}. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** The library is closing: leave the clip processing, to be resumed at the next start. */
  private static final class Abandoned extends Exception {
    Abandoned() {
      super(null, null, false, false);
    }
  }

  /** What the analysis found out about an input. */
  private record Analysis(
      double decodedSeconds,
      int channels,
      double inputLufs,
      double truePeakDb,
      Map<String, Double> profileLufs,
      Double trimStart,
      Double trimEnd) {
    double playSeconds() {
      double end = trimEnd != null ? trimEnd : decodedSeconds;
      double start = trimStart != null ? trimStart : 0;
      return Math.max(0.01, end - start);
    }
  }

  /** A finished rendition file as measured. */
  private record Measured(double lufs, double seconds, FfmpegLog.AudioStream stream) {}

  private void process(String id) {
    Path source = sourcesDir.resolve(id);
    Job job = new Job(id);
    boolean finished = false;
    try {
      Optional<Clip> found = store.get(id);
      if (found.isEmpty() || found.get().status() != ClipStatus.PROCESSING) {
        finished = true;
        return;
      }
      job.clip = found.get();
      if (!Files.isRegularFile(source)) {
        job.failQuietly("the uploaded file is no longer on disk; upload it again");
        finished = true;
        return;
      }
      pipeline(job, source);
      finished = true;
    } catch (Refused e) {
      job.failQuietly(e.getMessage());
      finished = true;
    } catch (Abandoned | InterruptedException e) {
      log.info("Clip {} left processing: the library is closing; it resumes at the next start", id);
    } catch (Exception e) {
      if (closed) {
        log.info("Clip {} interrupted by shutdown ({})", id, e.toString());
      } else {
        log.error("Processing clip {} failed", id, e);
        boolean full = e instanceof IOException io && isDiskFull(io);
        job.failQuietly(
            full
                ? "the server's disk is full; the clip could not be stored. Try again later"
                : "processing failed because of an internal error ("
                    + e.toString().replace(mediaDir.toString(), "<media>")
                    + ")");
        finished = true;
      }
    } finally {
      job.deleteTemporaryFiles();
      owned.remove(id);
      if (finished) {
        deleteQuietly(source);
        try {
          store.unmarkProcessing(id);
          store.release(id, nodeId);
        } catch (RuntimeException e) {
          log.warn("Could not update Redis for clip {}: {}", id, e.toString());
        }
      }
    }
  }

  private void pipeline(Job job, Path source) throws Exception {
    job.stage("analyzing", 0);
    Analysis a = analyze(job, source);
    ProfileSpec first = profiles.get(0);
    Loudness loudness =
        new Loudness(
            round1(a.inputLufs()), round1(a.truePeakDb()), first.profile().targetLufs(), null);
    job.measured(Math.round(a.playSeconds() * 1000), loudness);
    Map<String, Rendition> renditions = new LinkedHashMap<>();
    long durationMs = 0;
    double span = (100 - ANALYSIS_PROGRESS - 5) / profiles.size();
    for (int i = 0; i < profiles.size(); i++) {
      ProfileSpec spec = profiles.get(i);
      double from = ANALYSIS_PROGRESS + i * span;
      job.stage(spec.name(), (int) Math.round(from));
      RenditionResult r = render(job, source, a, spec, from, span);
      renditions.put(spec.name(), r.rendition());
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

  private Analysis analyze(Job job, Path source) throws Exception {
    Duration timeout = settings.ffmpeg().timeout();
    double maxSeconds = settings.media().maxDuration().toMillis() / 1000.0;

    FfmpegLog probe = new FfmpegLog();
    FfmpegRunner.Result probed = runner.run(FfmpegCommands.probe(source), timeout, probe, us -> {});
    probe.finish();
    checkRun(probed, "checking the file");
    if (!probe.inputOpened()) throw new Refused(unreadable(probe));
    FfmpegLog.AudioStream audio =
        probe
            .audio()
            .orElseThrow(
                () ->
                    new Refused(
                        probe.hasVideo()
                            ? "the file has no audio stream (it is a video without sound)"
                            : "the file has no audio stream"));
    int channels = audio.channels() > 0 ? audio.channels() : 2;
    Optional<Double> declared = probe.declaredSeconds();
    long bytes = Files.size(source);
    if ("wav".equals(probe.inputFormat())) {
      Optional<RiffHeader.DataChunk> chunk = RiffHeader.dataChunk(source);
      if (chunk.isPresent() && chunk.get().truncated()) {
        throw new Refused(
            "the file is truncated: its header declares "
                + size(chunk.get().declared())
                + " of audio data but only "
                + size(chunk.get().present())
                + " are there");
      }
    }
    if (declared.isPresent()
        && declared.get() > maxSeconds
        && bytes * 8 / declared.get() >= 2000) { // a plausible bit rate: not a lying header
      throw new Refused(tooLong(declared.get(), maxSeconds));
    }

    List<String> chains = new ArrayList<>();
    Map<String, Integer> branchOf = new HashMap<>();
    for (ProfileSpec spec : profiles) {
      int out = outputChannels(spec.profile(), channels);
      if (out != channels || spec.profile().highpassHz() > 0) {
        String chain = FfmpegCommands.shapingChain(out, 0, spec.profile().highpassHz());
        int index = chains.indexOf(chain);
        if (index < 0) {
          chains.add(chain);
          index = chains.size() - 1;
        }
        branchOf.put(spec.name(), index + 1);
      }
    }

    long limit = (long) Math.ceil(maxSeconds) + 1;
    Double rough = probe.roughSeconds().orElse(null);
    AtomicLong decodedMicros = new AtomicLong();
    FfmpegLog analysis = new FfmpegLog();
    FfmpegRunner.Result analyzed =
        runner.run(
            FfmpegCommands.analyze(source, chains, limit, 0),
            timeout,
            analysis,
            us -> {
              decodedMicros.set(us);
              if (rough != null && rough > 0) {
                job.progress(ANALYSIS_PROGRESS * Math.min(1, us / 1e6 / rough));
              }
            });
    analysis.finish();
    checkRun(analyzed, "decoding the file");
    if (!analyzed.ok()) {
      throw new Refused("the audio could not be decoded" + ffmpegSays(analysis));
    }
    if (analysis.errorCount() > 0) {
      throw new Refused("the file has damaged data that cannot be decoded" + ffmpegSays(analysis));
    }
    double decoded = decodedMicros.get() / 1e6;
    if (decoded <= 0) {
      throw new Refused("the file contains no audio (its duration is zero)");
    }
    if (decoded > maxSeconds) {
      throw new Refused(tooLong(decoded, maxSeconds));
    }
    if (declared.isPresent() && !probe.hasVideo()) {
      double expected = declared.get();
      if (decoded < expected - Math.max(0.5, expected * 0.01)) {
        throw new Refused(
            "the file is truncated: its audio ends after "
                + seconds(decoded)
                + " but the file declares "
                + seconds(expected));
      }
    }

    FfmpegLog loudnessLog = analysis;
    FfmpegLog.Loudness input = loudness(analysis, "ebur128@input");
    if (decoded < SHORT_CLIP_SECONDS
        && input.integratedLufs() <= -70
        && input.peakDb() != null
        && input.peakDb() > SILENT_BELOW_LUFS) {
      // too short for a 400 ms loudness block: measure it looped instead
      int loops = (int) Math.min(50, Math.ceil(1.0 / decoded));
      loudnessLog = new FfmpegLog();
      FfmpegRunner.Result looped =
          runner.run(
              FfmpegCommands.analyze(source, chains, limit, loops), timeout, loudnessLog, us -> {});
      loudnessLog.finish();
      checkRun(looped, "measuring the loudness");
      input = loudness(loudnessLog, "ebur128@input");
    }
    double peak = input.peakDb() == null ? Double.NEGATIVE_INFINITY : input.peakDb();
    if (input.integratedLufs() < SILENT_BELOW_LUFS || peak == Double.NEGATIVE_INFINITY) {
      throw new Refused(
          "the clip is silent (integrated loudness "
              + lufs(input.integratedLufs())
              + ", below "
              + lufs(SILENT_BELOW_LUFS)
              + "): there is nothing to broadcast, and amplifying it would only make noise."
              + " Check the recording and upload it again");
    }
    Map<String, Double> profileLufs = new HashMap<>();
    for (ProfileSpec spec : profiles) {
      Integer branch = branchOf.get(spec.name());
      double value =
          branch == null
              ? input.integratedLufs()
              : loudness(loudnessLog, "ebur128@b" + branch).integratedLufs();
      if (value < SILENT_BELOW_LUFS) {
        throw new Refused(
            "the clip has no sound the "
                + spec.name()
                + " rendition can carry (after its "
                + spec.profile().highpassHz()
                + " Hz high-pass filter it is silent)");
      }
      profileLufs.put(spec.name(), value);
    }

    Double trimStart =
        analysis
            .leadingSilenceEnd()
            .map(end -> end - TRIM_PAD_START_SECONDS)
            .filter(s -> s > 0.01)
            .orElse(null);
    Double trimEnd =
        analysis
            .trailingSilenceStart(decoded)
            .map(start -> start + TRIM_PAD_END_SECONDS)
            .filter(e -> e < decoded)
            .orElse(null);
    if (trimStart != null && trimEnd != null && trimEnd - trimStart < 0.1) {
      trimStart = null;
      trimEnd = null;
    }
    job.progress(ANALYSIS_PROGRESS);
    return new Analysis(
        decoded, channels, input.integratedLufs(), peak, profileLufs, trimStart, trimEnd);
  }

  private FfmpegLog.Loudness loudness(FfmpegLog log, String instance) throws Refused {
    return log.loudness(instance)
        .orElseThrow(
            () -> new Refused("the loudness of the audio could not be measured" + ffmpegSays(log)));
  }

  /** Channels of a profile's rendition: the profile's, but never more than the source has. */
  static int outputChannels(Settings.Profile profile, int sourceChannels) {
    int wanted = Math.max(1, Math.min(2, profile.channels()));
    return sourceChannels == 1 ? 1 : wanted;
  }

  private record RenditionResult(Rendition rendition, double seconds) {}

  private RenditionResult render(
      Job job, Path source, Analysis a, ProfileSpec spec, double from, double span)
      throws Exception {
    Settings.Profile p = spec.profile();
    int channels = outputChannels(p, a.channels());
    String name = job.clip.contentHash() + "-" + spec.name() + "." + spec.encoding().extension();
    Path tmp = job.temporaryFile(spec.name(), spec.encoding().extension());
    double target = p.targetLufs();
    double gain = target - a.profileLufs().get(spec.name());
    Measured m = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      double encodeFrom = from + (attempt == 0 ? 0 : span * 0.5);
      double encodeSpan = span * ENCODE_SHARE / (attempt == 0 ? 1 : 2);
      encode(job, source, tmp, spec, channels, gain, a, encodeFrom, encodeSpan);
      m = measure(tmp, spec.name());
      double off = target - m.lufs();
      if (Math.abs(off) <= CORRECT_ABOVE_LU || !Double.isFinite(m.lufs())) break;
      log.info(
          "Clip {} {} rendition measured {} for a target of {}; encoding again with {} dB more",
          job.id,
          spec.name(),
          lufs(m.lufs()),
          lufs(target),
          String.format(Locale.ROOT, "%.1f", off));
      gain += off;
    }
    if (Math.abs(target - m.lufs()) > 1.0) {
      log.warn(
          "Clip {} {} rendition ends at {} for a target of {} (limited by its peaks)",
          job.id,
          spec.name(),
          lufs(m.lufs()),
          lufs(target));
    }
    job.progress(from + span);
    long bytes = Files.size(tmp);
    Path target0 = mediaDir.resolve(name);
    Files.move(tmp, target0, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    job.forget(tmp);
    FfmpegLog.AudioStream s = m.stream();
    Rendition rendition =
        new Rendition(
            Rendition.URL_PREFIX + name,
            name,
            spec.encoding().codec(),
            s != null && s.channels() > 0 ? s.channels() : channels,
            s != null && s.sampleRate() > 0 ? s.sampleRate() : p.sampleRate(),
            p.bitrate(),
            bytes,
            target,
            round1(m.lufs()));
    return new RenditionResult(rendition, m.seconds());
  }

  private void encode(
      Job job,
      Path source,
      Path tmp,
      ProfileSpec spec,
      int channels,
      double gainDb,
      Analysis a,
      double from,
      double span)
      throws Exception {
    Settings.Profile p = spec.profile();
    List<String> args =
        FfmpegCommands.encode(
            source,
            tmp,
            spec.encoding(),
            channels,
            p.sampleRate(),
            p.bitrate(),
            p.highpassHz(),
            gainDb,
            p.truePeakDb() - LIMITER_MARGIN_DB,
            a.trimStart(),
            a.trimEnd());
    double expected = a.playSeconds();
    FfmpegLog out = new FfmpegLog();
    FfmpegRunner.Result r =
        runner.run(
            args,
            settings.ffmpeg().timeout(),
            out,
            us -> job.progress(from + span * Math.min(1, us / 1e6 / expected)));
    out.finish();
    checkRun(r, "encoding the " + spec.name() + " rendition");
    if (out.diskFull()) {
      throw new Refused("the server's disk is full; the clip could not be stored. Try again later");
    }
    if (!r.ok()) {
      throw new Refused("encoding the " + spec.name() + " rendition failed" + ffmpegSays(out));
    }
  }

  private Measured measure(Path file, String profile) throws Exception {
    FfmpegLog out = new FfmpegLog();
    AtomicLong micros = new AtomicLong();
    FfmpegRunner.Result r =
        runner.run(FfmpegCommands.measure(file, 0), settings.ffmpeg().timeout(), out, micros::set);
    out.finish();
    checkRun(r, "measuring the " + profile + " rendition");
    if (!r.ok()) {
      throw new IllegalStateException(
          "the "
              + profile
              + " rendition just written does not decode: "
              + lastChars(r.stderrTail(), 300));
    }
    double seconds = micros.get() / 1e6;
    FfmpegLog.Loudness l = loudness(out, "ebur128@output");
    if (seconds < SHORT_CLIP_SECONDS && l.integratedLufs() <= -70) {
      int loops = (int) Math.min(50, Math.ceil(1.0 / Math.max(seconds, 0.02)));
      FfmpegLog looped = new FfmpegLog();
      FfmpegRunner.Result lr =
          runner.run(
              FfmpegCommands.measure(file, loops), settings.ffmpeg().timeout(), looped, us -> {});
      looped.finish();
      checkRun(lr, "measuring the " + profile + " rendition");
      l = loudness(looped, "ebur128@output");
    }
    return new Measured(l.integratedLufs(), seconds, out.audio().orElse(null));
  }

  /** Turns a killed or timed-out run into the matching outcome. */
  private void checkRun(FfmpegRunner.Result r, String doing) throws Refused, Abandoned {
    if (r.killed() || closed) throw new Abandoned();
    if (r.timedOut()) {
      throw new Refused(
          "processing was stopped: ffmpeg took longer than "
              + human(settings.ffmpeg().timeout())
              + " (ffmpeg.timeout) while "
              + doing);
    }
  }

  /** ffmpeg's first error, for a clip's error text, without the server's paths in it. */
  private String ffmpegSays(FfmpegLog log) {
    return log.firstError()
        .map(
            e ->
                e.replaceAll(
                    "(?:file:)?" + Pattern.quote(mediaDir.toString()) + "[\\w./-]*(?:: )?", ""))
        .filter(e -> !e.isBlank())
        .map(e -> " (ffmpeg: " + e.strip() + ")")
        .orElse("");
  }

  private String unreadable(FfmpegLog probe) {
    Optional<String> format = probe.refusedFormat();
    if (format.isPresent()) {
      return "the file is not an accepted audio or video file: ffmpeg recognised it as '"
          + format.get()
          + "', and playlists, scripts, references to other files and images are refused";
    }
    Optional<String> protocol = probe.refusedProtocol();
    if (protocol.isPresent()) {
      return "the file refers to other files or network addresses ('"
          + protocol.get()
          + "'), which is refused; upload the audio itself";
    }
    return "the file is not a recognisable audio or video file" + ffmpegSays(probe);
  }

  private static String tooLong(double seconds, double maxSeconds) {
    return "the clip is longer than the maximum of "
        + human(Duration.ofMillis(Math.round(maxSeconds * 1000)))
        + " (media.maxDuration): it lasts at least "
        + human(Duration.ofMillis(Math.round(seconds * 1000)));
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0) return ms / 3_600_000 + " h";
    if (ms % 60_000 == 0) return ms / 60_000 + " min";
    if (ms >= 3_600_000) {
      return String.format(Locale.ROOT, "%d h %02d min", ms / 3_600_000, ms % 3_600_000 / 60_000);
    }
    return seconds(ms / 1000.0);
  }

  private static String lastChars(String text, int n) {
    return text.length() <= n ? text.strip() : "..." + text.substring(text.length() - n).strip();
  }

  static String size(long bytes) {
    if (bytes >= 1L << 30)
      return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    if (bytes >= 1L << 20)
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    if (bytes >= 1L << 10)
      return String.format(Locale.ROOT, "%.1f KiB", bytes / (double) (1L << 10));
    return bytes + " bytes";
  }

  private static String seconds(double s) {
    return String.format(Locale.ROOT, "%.1f s", s);
  }

  private static String lufs(double value) {
    return Double.isInfinite(value) ? "-inf LUFS" : String.format(Locale.ROOT, "%.1f LUFS", value);
  }

  private static Double round1(double v) {
    return Double.isFinite(v) ? Math.round(v * 10) / 10.0 : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Clip state

  private static Clip withProgress(Clip c, String stage, int progress) {
    return new Clip(
        c.id(),
        c.title(),
        c.status(),
        c.error(),
        stage,
        progress,
        c.durationMs(),
        c.loudness(),
        c.renditions(),
        c.contentHash(),
        c.createdAt(),
        c.updatedAt());
  }

  private Clip touched(Clip c) {
    return new Clip(
        c.id(),
        c.title(),
        c.status(),
        c.error(),
        c.stage(),
        c.progress(),
        c.durationMs(),
        c.loudness(),
        c.renditions(),
        c.contentHash(),
        c.createdAt(),
        clock.instant());
  }

  private Clip withFailure(Clip c, String error) {
    return new Clip(
        c.id(),
        c.title(),
        ClipStatus.FAILED,
        error,
        c.stage(),
        c.progress(),
        c.durationMs(),
        c.loudness(),
        null,
        c.contentHash(),
        c.createdAt(),
        clock.instant());
  }

  private void notifyListeners(Clip clip) {
    for (Consumer<Clip> listener : listeners) {
      try {
        listener.accept(clip);
      } catch (RuntimeException e) {
        log.warn("A clip listener failed on clip {}", clip.id(), e);
      }
    }
  }

  /** One clip being processed: its current state, written through to Redis, and its temp files. */
  private final class Job {
    final String id;
    volatile Clip clip;
    private final List<Path> temporary = new ArrayList<>();
    private long lastWrite;

    Job(String id) {
      this.id = id;
    }

    private synchronized void save(Clip next) {
      clip = touched(next);
      store.put(clip);
      lastWrite = System.nanoTime();
      notifyListeners(clip);
    }

    synchronized void stage(String stage, int progress) {
      save(withProgress(clip, stage, Math.max(progress, clip.progress())));
    }

    /** A progress report; written when it moved by a point and a fifth of a second has passed. */
    synchronized void progress(double value) {
      int p = (int) Math.min(99, Math.max(0, Math.floor(value)));
      if (clip == null || p <= clip.progress() || closed) return;
      if (System.nanoTime() - lastWrite < TimeUnit.MILLISECONDS.toNanos(200)) return;
      try {
        save(withProgress(clip, clip.stage(), p));
      } catch (RuntimeException e) {
        log.warn("Could not store the progress of clip {}: {}", id, e.toString());
      }
    }

    synchronized void measured(long durationMs, Loudness loudness) {
      Clip c = clip;
      save(
          new Clip(
              c.id(),
              c.title(),
              c.status(),
              c.error(),
              c.stage(),
              c.progress(),
              durationMs,
              loudness,
              c.renditions(),
              c.contentHash(),
              c.createdAt(),
              c.updatedAt()));
    }

    synchronized void ready(long durationMs, Loudness loudness, Map<String, Rendition> r) {
      Clip c = clip;
      save(
          new Clip(
              c.id(),
              c.title(),
              ClipStatus.READY,
              null,
              "done",
              100,
              durationMs,
              loudness,
              new LinkedHashMap<>(r),
              c.contentHash(),
              c.createdAt(),
              c.updatedAt()));
      log.info(
          "Clip {} ready: {} ms, {} -> {}",
          id,
          durationMs,
          lufs(loudness.inputLufs() == null ? Double.NaN : loudness.inputLufs()),
          r.keySet());
    }

    synchronized void fail(String error) {
      log.info("Clip {} failed: {}", id, error);
      save(withFailure(clip, error));
    }

    void failQuietly(String error) {
      try {
        if (clip != null) fail(error);
      } catch (RuntimeException e) {
        log.warn("Could not mark clip {} failed: {}", id, e.toString());
      }
    }

    synchronized Path temporaryFile(String profile, String extension) {
      Path p = tmpDir.resolve(id + "-" + profile + "-" + randomId() + "." + extension);
      temporary.add(p);
      return p;
    }

    synchronized void forget(Path p) {
      temporary.remove(p);
    }

    synchronized void deleteTemporaryFiles() {
      for (Path p : temporary) deleteQuietly(p);
      temporary.clear();
    }
  }
}
