package org.xiaolaba.terminal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loudspeaker terminal that plays what the server schedules, on time, whether or not the link is
 * up at that moment. Every {@code play} it hears is written to a {@link LocalSchedule} on disk and
 * its audio fetched ahead into the data directory; a play starts at its {@code startAt} by the
 * terminal's own clock, decoded into a {@link PlaybackSink}. It honours {@code stop}, lets a play
 * of the same or a higher priority take over from the current one, reports its status, and
 * reconnects with its last offsets so it recovers what it missed.
 *
 * <p>Concurrency: every decision runs on one control thread; the WebSocket threads only hand frames
 * to it (at most {@link #MAX_PENDING_FRAMES} waiting, past which the link is dropped and recovered
 * from offsets), downloads run on one fetch thread with a bounded queue, and each playback has its
 * own decoding thread.
 */
public final class ReferenceTerminal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReferenceTerminal.class);
  static final int MAX_PENDING_FRAMES = 256;
  static final int MAX_QUEUED_FETCHES = 64;

  /**
   * A play found running later than this joins at its current position rather than from the top.
   */
  static final Duration JOIN_LATE_AFTER = Duration.ofSeconds(3);

  /** Less than this left of a play: not worth starting. */
  static final Duration MIN_REMAINING = Duration.ofSeconds(1);

  static final Duration RETRY_FAILED_AFTER = Duration.ofSeconds(5);
  static final Duration REFETCH_AFTER = Duration.ofSeconds(10);
  static final Duration HOUSEKEEPING_EVERY = Duration.ofSeconds(5);

  /**
   * The longest the control thread waits between looks at the schedule, in case the clock jumps.
   */
  static final Duration MAX_WAKE = Duration.ofSeconds(1);

  private final TerminalConfig config;
  private final Clock clock;
  private final LocalSchedule schedule;
  private final PlaybackSink sink;
  private final HttpClient http;
  private final AudioFetcher fetcher;
  private final ClockOffsetProbe clockProbe;
  private final ScheduledThreadPoolExecutor control;
  private final ThreadPoolExecutor fetching;
  private final TerminalLink link;
  private final AtomicInteger pendingFrames = new AtomicInteger();
  private final Set<URI> fetchesInFlight = ConcurrentHashMap.newKeySet();
  private final Map<URI, Instant> lastFetchAttempt = new ConcurrentHashMap<>();

  // Owned by the control thread.
  private final Map<String, Outcome> outcomes = boundedMap(2000);

  /** Stops for runs not heard of yet (a stop can overtake its play), by run id. */
  private final Map<String, Instant> earlyStops = boundedMap(200);

  private Current current;
  private ScheduledFuture<?> wake;
  private boolean proven;
  private volatile TerminalStatus status;
  private volatile boolean closed;

  /** How a run ended for this terminal; a run without one may still (re)start while on air. */
  private record Outcome(Kind kind, Instant retryAt) {
    enum Kind {
      DONE,
      FAILED
    }

    boolean allowsStartAt(Instant now) {
      return kind == Kind.FAILED && !now.isBefore(retryAt);
    }
  }

  /** The play on air: its playback and the position it started from. */
  private record Current(ScheduledPlay play, PlaybackSink.Playback playback, Duration position) {}

  public ReferenceTerminal(
      TerminalConfig config, PlaybackSink sink, Clock clock, ReconnectPolicy reconnect) {
    this.config = config;
    this.clock = clock;
    this.sink = sink;
    this.schedule = LocalSchedule.open(config.dataDir());
    this.status = TerminalStatus.idle(config.volume());
    this.control = new ScheduledThreadPoolExecutor(1, daemon("terminal-control"));
    this.control.setRemoveOnCancelPolicy(true);
    this.fetching =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(MAX_QUEUED_FETCHES),
            daemon("terminal-fetch"));
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    this.fetcher =
        new AudioFetcher(http, config.dataDir().resolve("audio"), control, Duration.ofSeconds(30));
    this.clockProbe = new ClockOffsetProbe(http, config.httpBase(), clock);
    this.link =
        new TerminalLink(
            http, config.webSocketUri(), config.authFrame(), control, reconnect, new LinkEvents());
  }

  /** Starts playing from the local schedule at once, and connects to the server. */
  public ReferenceTerminal start() {
    log.info(
        "Terminal starting with {} plays on disk in {}; server {}",
        schedule.plays().size(),
        config.dataDir().toAbsolutePath(),
        config.httpBase());
    control.execute(
        () -> {
          schedule.prune(clock.instant());
          schedule.plays().forEach(this::prefetch);
          tick();
        });
    long every = HOUSEKEEPING_EVERY.toMillis();
    control.scheduleWithFixedDelay(this::housekeeping, every, every, TimeUnit.MILLISECONDS);
    link.start();
    return this;
  }

  // ---- what tests and the CLI look at ----

  /** The status last reported (or about to be, when the link is down). */
  public TerminalStatus status() {
    return status;
  }

  public List<ScheduledPlay> plays() {
    return schedule.plays();
  }

  public Map<String, String> offsets() {
    return schedule.offsets();
  }

  public boolean isConnected() {
    return link.isConnected();
  }

  /** How many times the link has been opened. */
  public int connects() {
    return link.connects();
  }

  /** Whether the audio of a play is complete on local disk. */
  public boolean hasAudio(ScheduledPlay play) {
    return fetcher.isComplete(audioUri(play));
  }

  public Path audioFile(ScheduledPlay play) {
    return fetcher.localFile(audioUri(play));
  }

  /** Drops the link as a network fault would; it comes back after the backoff. */
  public void dropLink() {
    link.drop("dropped on request");
  }

  // ---- frames from the server (control thread) ----

  private final class LinkEvents implements TerminalLink.Listener {
    @Override
    public void onConnected() {
      onControl(ReferenceTerminal.this::connected);
    }

    @Override
    public void onFrame(String text) {
      if (pendingFrames.incrementAndGet() > MAX_PENDING_FRAMES) {
        pendingFrames.decrementAndGet();
        link.drop("more than " + MAX_PENDING_FRAMES + " messages waiting to be handled");
        return;
      }
      onControl(
          () -> {
            pendingFrames.decrementAndGet();
            handle(text);
          });
    }

    @Override
    public void onDisconnected(String why) {
      onControl(() -> proven = false);
    }
  }

  private void onControl(Runnable task) {
    try {
      control.execute(task);
    } catch (RejectedExecutionException e) {
      if (!closed) log.warn("Terminal control thread refused a task: {}", e.getMessage());
    }
  }

  /** On every (re)connect: recover from our offsets, say how we are, fetch what is missing. */
  private void connected() {
    Map<String, String> since = schedule.offsets();
    if (!since.isEmpty()) {
      Map<String, Object> subscribe = new LinkedHashMap<>();
      subscribe.put("op", "subscribe");
      subscribe.put("channels", List.copyOf(since.keySet()));
      subscribe.put("since", since);
      subscribe.put("epochs", schedule.epochs());
      send(subscribe);
    }
    send(status.toMessage());
    schedule.plays().forEach(this::prefetch);
    measureClock();
  }

  void handle(String text) {
    JsonNode frame;
    try {
      frame = Json.MAPPER.readTree(text);
    } catch (IOException e) {
      log.warn("Ignoring a message from the server that is not JSON");
      return;
    }
    if (!proven) {
      proven = true;
      link.proven();
    }
    String channel = frame.path("channel").asText(null);
    String offset = frame.path("offset").asText(null);
    String type = frame.path("type").asText("");
    boolean fresh = true;
    if (channel != null && offset != null && !type.equals("subscribed")) {
      fresh = advance(channel, offset);
    }
    if (!fresh) return; // already handled before a reconnect
    switch (type) {
      case "authed" ->
          log.info("Authenticated as {} for {}", frame.path("role").asText(), frame.get("areas"));
      case "subscribed" -> onSubscribed(frame, channel, offset);
      case "play" -> onPlay(frame);
      case "stop" -> onStop(frame);
      case "error" ->
          log.warn(
              "The server answered with error {}: {}",
              frame.path("code").asText(),
              frame.path("message").asText());
      case "push" -> log.debug("Push on {} at {}", channel, offset);
      default -> log.debug("Ignoring a '{}' message", type);
    }
  }

  private boolean advance(String channel, String offset) {
    try {
      return schedule.advance(channel, offset);
    } catch (IllegalArgumentException e) {
      log.warn("Ignoring offset '{}' on {}: {}", offset, channel, e.getMessage());
      return true;
    }
  }

  private void onSubscribed(JsonNode frame, String channel, String offset) {
    if (channel == null) return;
    boolean recovered = frame.path("recovered").asBoolean(true);
    if (frame.path("epoch").isTextual()) schedule.epoch(channel, frame.path("epoch").asText());
    if (!recovered) {
      log.info(
          "The server no longer has the history of {} after our offset; going on from {}",
          channel,
          offset);
      schedule.reset(channel, offset);
    } else if (offset != null && schedule.offset(channel).isEmpty()) {
      schedule.advance(channel, offset);
    }
  }

  private void onPlay(JsonNode frame) {
    ScheduledPlay play;
    try {
      play = ScheduledPlay.fromFrame(frame);
    } catch (IllegalArgumentException e) {
      log.warn("Ignoring a play message: {}", e.getMessage());
      return;
    }
    // A run sent again (on connect, then ahead of its start) keeps any stop already asked for.
    Instant stop =
        schedule.get(play.runId()).map(ScheduledPlay::stopAt).orElse(earlyStops.get(play.runId()));
    play = play.stoppingAt(stop);
    if (!play.offAirAt().isAfter(clock.instant())) {
      log.info("Ignoring play {}: it was off air by {}", play.runId(), play.offAirAt());
      return;
    }
    if (schedule.put(play)) {
      log.info(
          "Scheduled {} '{}' ({}) at {} for {} ms",
          play.runId(),
          play.title(),
          play.priority().wireName(),
          play.startAt(),
          play.durationMs());
      prefetch(play);
      tick();
    }
  }

  /**
   * A run must not play from {@code at} on (now, when absent): it is cut then if it is playing, and
   * never starts if it would have started later. Named by run id, or by program for all its runs.
   */
  private void onStop(JsonNode frame) {
    String runId = frame.path("runId").asText(null);
    String program = frame.path("program").asText(null);
    String reason = frame.path("reason").asText("no reason given");
    Instant now = clock.instant();
    Instant at = now;
    if (frame.hasNonNull("at")) {
      try {
        at = OffsetDateTime.parse(frame.get("at").asText()).toInstant();
      } catch (DateTimeParseException e) {
        log.warn("Stop with an unreadable 'at' ({}); stopping now", frame.get("at").asText());
      }
    }
    List<ScheduledPlay> runs;
    if (runId != null) {
      runs = schedule.get(runId).map(List::of).orElse(List.of());
      if (runs.isEmpty()) earlyStops.put(runId, at);
    } else if (program != null) {
      runs = schedule.plays().stream().filter(p -> p.program().equals(program)).toList();
    } else {
      log.warn("Ignoring a stop that names neither a runId nor a program");
      return;
    }
    for (ScheduledPlay p : runs) schedule.put(p.stoppingAt(at));
    log.info(
        "Stop for {} at {} ({}): {} run(s) affected",
        runId != null ? runId : "program " + program,
        at,
        reason,
        runs.size());
    tick();
  }

  // ---- playing (control thread) ----

  /** Starts whatever should be on air now, then sleeps until the next start. */
  void tick() {
    if (closed) return;
    Instant now = clock.instant();
    cutIfStopped(now);
    Optional<ScheduledPlay> due =
        schedule.plays().stream()
            .filter(p -> mayStart(p, now))
            .max(
                Comparator.comparing(ScheduledPlay::priority)
                    .thenComparing(ScheduledPlay::startAt));
    if (due.isPresent() && takesOver(due.get())) start(due.get(), now);
    planWake(now);
  }

  /** Ends the current play when a stop says it must be off air by now. */
  private void cutIfStopped(Instant now) {
    if (current == null) return;
    ScheduledPlay latest = schedule.get(current.play().runId()).orElse(current.play());
    if (latest.stopAt() == null || now.isBefore(latest.stopAt())) return;
    log.info("Stopping {} as the server asked, at {}", latest.runId(), latest.stopAt());
    current.playback().stop();
    current = null;
    report(status.stopped());
  }

  private boolean mayStart(ScheduledPlay p, Instant now) {
    if (current != null && current.play().runId().equals(p.runId())) return false;
    if (!p.isOnAir(now) || Duration.between(now, p.offAirAt()).compareTo(MIN_REMAINING) < 0) {
      return false;
    }
    Outcome o = outcomes.get(p.runId());
    return o == null || o.allowsStartAt(now);
  }

  /** A higher priority takes over; at the same priority the later-starting run does. */
  private boolean takesOver(ScheduledPlay candidate) {
    if (current == null) return true;
    ScheduledPlay on = current.play();
    int c = candidate.priority().compareTo(on.priority());
    return c > 0 || (c == 0 && candidate.startAt().isAfter(on.startAt()));
  }

  private void start(ScheduledPlay play, Instant now) {
    if (current != null) {
      // Not an outcome: the interrupted run may go on from its position once the new one ends.
      log.info(
          "{} ({}) takes over from {}",
          play.runId(),
          play.priority().wireName(),
          current.play().runId());
      current.playback().stop();
      current = null;
    }
    Duration late = Duration.between(play.startAt(), now);
    Duration position = late.compareTo(JOIN_LATE_AFTER) > 0 ? play.positionAt(now) : Duration.ZERO;
    URI uri = audioUri(play);
    String source;
    if (fetcher.isComplete(uri)) {
      source = fetcher.localFile(uri).toString();
    } else {
      log.warn("Audio of {} is not on disk yet; streaming it from {}", play.runId(), uri);
      source = uri.toString();
    }
    PlaybackSink.Playback playback;
    try {
      playback = sink.start(source, position, config.volume());
    } catch (IOException | RuntimeException e) {
      fail(play, "cannot start decoding: " + e.getMessage());
      return;
    }
    Current started = new Current(play, playback, position);
    current = started;
    log.info(
        "Playing {} '{}'{}",
        play.runId(),
        play.title(),
        position.isZero() ? "" : " from " + position.toMillis() + " ms in (joined late)");
    playback.firstSound().whenComplete((at, err) -> onControl(() -> soundStarted(started, at)));
    playback.finished().whenComplete((v, err) -> onControl(() -> finished(started, err)));
  }

  private void soundStarted(Current started, Instant at) {
    if (current != started || at == null) return;
    Instant due = started.play().startAt().plus(started.position());
    long errorMs = Duration.between(due, at).toMillis();
    log.info("{} started {} ms after its start time", started.play().runId(), errorMs);
    report(status.playing(started.play().runId(), errorMs));
  }

  private void finished(Current started, Throwable err) {
    if (current != started) return; // replaced or stopped: already accounted for
    current = null;
    ScheduledPlay play = started.play();
    if (err != null) {
      fail(play, "decoding failed: " + rootMessage(err));
    } else {
      outcomes.put(play.runId(), new Outcome(Outcome.Kind.DONE, null));
      log.info(
          "Finished {} ({} bytes of PCM decoded)", play.runId(), started.playback().bytesDecoded());
      report(status.stopped());
    }
    tick();
  }

  private void fail(ScheduledPlay play, String why) {
    log.warn(
        "Cannot play {}: {}; trying again in {} s",
        play.runId(),
        why,
        RETRY_FAILED_AFTER.toSeconds());
    outcomes.put(
        play.runId(), new Outcome(Outcome.Kind.FAILED, clock.instant().plus(RETRY_FAILED_AFTER)));
    report(status.failed(play.runId(), why));
  }

  private void planWake(Instant now) {
    if (wake != null) wake.cancel(false);
    Duration delay = MAX_WAKE;
    if (current != null) {
      Instant stop = schedule.get(current.play().runId()).map(ScheduledPlay::stopAt).orElse(null);
      if (stop != null && stop.isAfter(now) && Duration.between(now, stop).compareTo(delay) < 0) {
        delay = Duration.between(now, stop);
      }
    }
    for (ScheduledPlay p : schedule.plays()) {
      if (p.startAt().isAfter(now)) {
        Duration until = Duration.between(now, p.startAt());
        if (until.compareTo(delay) < 0) delay = until;
        break;
      }
    }
    wake = control.schedule(this::tick, Math.max(1, delay.toNanos()), TimeUnit.NANOSECONDS);
  }

  // ---- status, fetching and housekeeping ----

  private void report(TerminalStatus next) {
    if (next.equals(status)) return;
    status = next;
    send(next.toMessage());
  }

  private void send(Map<String, Object> message) {
    link.send(Json.MAPPER.valueToTree(message).toString());
  }

  private void measureClock() {
    try {
      fetching.execute(
          () -> {
            try {
              clockProbe
                  .measure()
                  .ifPresent(ms -> onControl(() -> report(status.withClockOffset(ms))));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
    } catch (RejectedExecutionException e) {
      log.debug("Clock check skipped: the fetch queue is full");
    }
  }

  private URI audioUri(ScheduledPlay play) {
    return config.httpBase().resolve(play.audioUrl());
  }

  /** Queues a download of a play's audio unless it is on disk, on its way, or tried just now. */
  private void prefetch(ScheduledPlay play) {
    Instant now = clock.instant();
    if (!play.offAirAt().isAfter(now)) return;
    URI uri = audioUri(play);
    if (fetcher.isComplete(uri) || !fetchesInFlight.add(uri)) return;
    Instant last = lastFetchAttempt.get(uri);
    if (last != null && Duration.between(last, now).compareTo(REFETCH_AFTER) < 0) {
      fetchesInFlight.remove(uri);
      return;
    }
    lastFetchAttempt.put(uri, now);
    try {
      fetching.execute(() -> fetch(uri, play));
    } catch (RejectedExecutionException e) {
      fetchesInFlight.remove(uri);
      log.warn("Fetch of {} not queued ({} waiting); trying again later", uri, MAX_QUEUED_FETCHES);
    }
  }

  private void fetch(URI uri, ScheduledPlay play) {
    try {
      fetcher.fetch(uri);
      lastFetchAttempt.remove(uri);
    } catch (IOException e) {
      log.info(
          "Audio of {} not fetched yet ({}); trying again in {} s",
          play.runId(),
          e.getMessage(),
          REFETCH_AFTER.toSeconds());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      fetchesInFlight.remove(uri);
    }
  }

  private void housekeeping() {
    Instant now = clock.instant();
    if (schedule.prune(now) > 0) deleteUnusedAudio();
    if (link.isConnected()) schedule.plays().forEach(this::prefetch);
    tick();
  }

  /** Removes audio files no kept play refers to. */
  private void deleteUnusedAudio() {
    Set<String> used = new HashSet<>();
    for (ScheduledPlay p : schedule.plays()) {
      String name = fetcher.localFile(audioUri(p)).getFileName().toString();
      used.add(name);
      used.add(name + AudioFetcher.PART);
    }
    Path dir = config.dataDir().resolve("audio");
    if (!Files.isDirectory(dir)) return;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        if (!used.contains(f.getFileName().toString())) Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      log.warn("Old audio in {} not cleaned up: {}", dir, e.getMessage());
    }
  }

  // ---- for tests: run on the control thread and wait ----

  /** Handles a frame as if the server had sent it, and waits until it is handled. */
  void receive(String frame) {
    runAndWait(() -> handle(frame));
  }

  void tickNow() {
    runAndWait(this::tick);
  }

  private void runAndWait(Runnable task) {
    try {
      control.submit(task).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    link.close();
    try {
      control
          .submit(
              () -> {
                if (current != null) current.playback().stop();
                current = null;
              })
          .get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("Stopping the current play on close: {}", e.toString());
    }
    control.shutdownNow();
    fetching.shutdownNow();
    log.info("Terminal stopped");
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) t = t.getCause();
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  private static <K, V> Map<K, V> boundedMap(int max) {
    return new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > max;
      }
    };
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** For the CLI: blocks until the terminal is closed. */
  public void awaitClosed() throws InterruptedException {
    control.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
  }
}
