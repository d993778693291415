package org.xiaolaba.scheduler;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.media.Rendition;

/**
 * Scheduler nodes for one test: each its own {@link ProgramService} and Redis connection pool,
 * sharing the test's key prefix on the one real Redis, a clip library made of test data, and a
 * dispatch port per node that records what it was told to play.
 */
final class TestCluster implements AutoCloseable {
  static final String VILLAGE = "320623100201";
  static final String TOWN = "320623100";

  final String prefix = TestRedis.uniquePrefix();
  final Map<String, Clip> clips = new ConcurrentHashMap<>();

  /** Bulletin audio by {@code date + " " + area}, what {@link BulletinLookup} answers. */
  final Map<String, BulletinLookup.PlayableAudio> bulletins = new ConcurrentHashMap<>();

  private final List<AutoCloseable> open = new ArrayList<>();

  /** A play the node handed out, with when it did. */
  record Played(PlayCommand command, Instant at) {}

  /**
   * A dispatch port that remembers every play and stop; answers one terminal reached (of one
   * targeted), or what it's told.
   */
  static final class RecordingDispatch implements DispatchPort {
    final List<Played> played = new CopyOnWriteArrayList<>();
    final List<StopCommand> stopped = new CopyOnWriteArrayList<>();
    volatile TerminalSchedule attached;
    private final Function<PlayCommand, Integer> answer;

    RecordingDispatch(Function<PlayCommand, Integer> answer) {
      this.answer = answer;
    }

    @Override
    public Delivery play(PlayCommand command) {
      int reached = answer.apply(command);
      played.add(new Played(command, Instant.now()));
      return new Delivery(reached, reached);
    }

    @Override
    public void stop(StopCommand command) {
      stopped.add(command);
    }

    @Override
    public void attach(TerminalSchedule schedule) {
      attached = schedule;
    }

    final List<PushCommand> pushed = new CopyOnWriteArrayList<>();

    @Override
    public String push(PushCommand command) {
      pushed.add(command);
      return "push-" + pushed.size();
    }

    long count(String programId) {
      return played.stream().filter(p -> p.command().programId().equals(programId)).count();
    }
  }

  /**
   * One node; {@code triggers} are its manual triggers when the test fires runs by its own clock,
   * null when the node runs the real Quartz.
   */
  record Node(
      ProgramService service,
      RecordingDispatch dispatch,
      Settings settings,
      ManualTriggers triggers,
      RedisHandle redis) {}

  Node node(Map<String, String> env, Clock clock) {
    return node(env, clock, c -> 1);
  }

  Node node(Map<String, String> env, Clock clock, Function<PlayCommand, Integer> answer) {
    return node(TestRedis.settings(prefix, env), clock, answer, false);
  }

  /** A node with settings the environment cannot give (maps such as quiet hours). */
  Node nodeWith(Map<String, String> env, Clock clock, UnaryOperator<Settings> adjust) {
    return node(adjust.apply(TestRedis.settings(prefix, env)), clock, c -> 1, false);
  }

  /**
   * A node whose runs fire only when the test calls {@code triggers().fireDue(now)}, by {@code
   * clock}, instead of on Quartz's system time.
   */
  Node manualNode(Map<String, String> env, Clock clock) {
    return manualNode(env, clock, c -> 1);
  }

  /** A manual node whose dispatch port answers {@code answer} (which may hold the firing up). */
  Node manualNode(Map<String, String> env, Clock clock, Function<PlayCommand, Integer> answer) {
    return node(TestRedis.settings(prefix, env), clock, answer, true);
  }

  private Node node(
      Settings settings, Clock clock, Function<PlayCommand, Integer> answer, boolean manual) {
    RedisHandle redis = RedisHandle.open(settings);
    open.add(redis);
    RecordingDispatch dispatch = new RecordingDispatch(answer);
    AtomicReference<ManualTriggers> manualTriggers = new AtomicReference<>();
    ClipLookup clipLookup = id -> Optional.ofNullable(clips.get(id));
    BulletinLookup bulletinLookup =
        (date, area) -> Optional.ofNullable(bulletins.get(date + " " + area));
    AreaTree areas = AreaTree.of(settings.areas());
    ProgramService service =
        manual
            ? new ProgramService(
                settings,
                redis,
                areas,
                clipLookup,
                dispatch,
                clock,
                bulletinLookup,
                ManualTriggers.factory(manualTriggers))
            : new ProgramService(
                settings, redis, areas, clipLookup, dispatch, clock, bulletinLookup);
    open.add(service);
    service.start();
    return new Node(service, dispatch, settings, manualTriggers.get(), redis);
  }

  /** Adds a clip that is ready, with a loudspeaker rendition at {@code /media/<id>.mp3}. */
  Clip readyClip(String id) {
    Rendition loudspeaker =
        new Rendition(
            "/media/" + id + ".mp3", id + ".mp3", "mp3", 1, 44100, 64000, 48_000, -16.0, -16.2);
    return put(
        new Clip(
            id,
            "早间新闻 " + id,
            ClipStatus.READY,
            null,
            "done",
            100,
            6_000L,
            null,
            Map.of("loudspeaker", loudspeaker),
            "hash-" + id,
            Instant.now(),
            Instant.now()));
  }

  Clip clip(String id, ClipStatus status, String error) {
    return put(
        new Clip(
            id,
            "clip " + id,
            status,
            error,
            status.json(),
            0,
            null,
            null,
            Map.of(),
            null,
            Instant.now(),
            Instant.now()));
  }

  private Clip put(Clip clip) {
    clips.put(clip.id(), clip);
    return clip;
  }

  /** Settings with these quiet hours ({@code scheduler.quietHours}). */
  static Settings withQuietHours(Settings s, Map<String, String> quietHours) {
    Settings.Scheduler q = s.scheduler();
    return new Settings(
        s.port(),
        s.dataDir(),
        s.timezone(),
        s.admin(),
        s.redis(),
        s.ffmpeg(),
        s.media(),
        new Settings.Scheduler(
            q.leadTime(),
            q.nextRunsShown(),
            q.misfireGrace(),
            q.conflictHorizon(),
            q.minCronInterval(),
            q.bulletin(),
            Map.copyOf(quietHours)),
        s.http(),
        s.websocket(),
        s.audit(),
        s.areas());
  }

  /** A program request with every field given. */
  static ProgramRequest request(
      String clipId, String source, List<String> areas, String priority, Schedule schedule) {
    return new ProgramRequest("节目", clipId, source, areas, priority, null, schedule, null, null);
  }

  /** Keys under this test's prefix. */
  Set<String> keys() {
    return TestRedis.server().client().keys(prefix + "*");
  }

  static ProgramRequest request(String clipId, Schedule schedule) {
    return request(clipId, VILLAGE, schedule);
  }

  static ProgramRequest request(String clipId, String area, Schedule schedule) {
    return new ProgramRequest(
        "早间广播", clipId, null, List.of(area), null, null, schedule, null, null);
  }

  @Override
  public void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
  }
}
