package org.xiaolaba.server.push;

import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.redis.RedisSubscription;
import org.xiaolaba.media.Clip;
import org.xiaolaba.scheduler.TerminalSchedule;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;

/**
 * Pushes to residents and terminals. Every message is appended to the Redis Stream of each channel
 * it targets (history with offsets) and published once on Redis pub/sub; each node hands it to its
 * own connections. Both happen in one Lua script, so the order of live delivery is the order of the
 * history.
 *
 * <p>A channel's history keeps at most {@code websocket.historyLength} messages, none older than
 * {@code websocket.historyMaxAge}. It has an <em>epoch</em>: a random token written with its first
 * message ({@code epoch:<channel>}). When Redis loses the history (a flush, a failover to an empty
 * replica) the next message starts a new epoch. A subscriber that comes back with an offset is told
 * {@code recovered: false} whenever what it missed cannot be replayed whole: its epoch is not the
 * channel's, the channel has no history, its offset is beyond the newest, or older than the oldest
 * kept.
 */
public final class PushHub implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PushHub.class);
  static final String CLIP_PREFIX = "clip:";
  static final String TERMINAL_PREFIX = "terminal:";

  /** A catch-up read Redis did not answer is tried again after this, the pause doubling... */
  static final Duration CATCH_UP_FIRST_PAUSE = Duration.ofMillis(100);

  /** ...up to this. */
  static final Duration CATCH_UP_MAX_PAUSE = Duration.ofSeconds(1);

  /** How long a catch-up is tried again before its connection is closed 1013 (come back later). */
  static final Duration CATCH_UP_PATIENCE = Duration.ofMinutes(1);

  private final RedisHandle redis;
  private final AreaTree areas;
  private final ExecutorService blocking;
  private final Clock clock;
  private final Map<String, Subscribers> byChannel = new ConcurrentHashMap<>();

  /** Live messages queued for each event loop's connections. */
  private final Map<EventExecutor, LoopOutbox> outboxes = new ConcurrentHashMap<>();

  private final Function<EventExecutor, LoopOutbox> outbox =
      loop -> outboxes.computeIfAbsent(loop, LoopOutbox::new);

  /** This node's connections, by the event loop they live on (each loop sweeps its own). */
  private final Map<EventExecutor, Set<WebSocketSession>> sessions = new ConcurrentHashMap<>();

  private final long pingNanos;
  private final long idleNanos;
  private final long sweepMillis;
  private final RedisSubscription subscription;
  private final Function<String, Optional<Clip>> clips;
  private final ChannelHistory history;
  private final PushStore store;

  /** Told, per live message, the milliseconds from its append in Redis to its last write here. */
  private volatile LongConsumer fanOutObserver = ms -> {};

  private final PushCounters counters;
  private final TerminalRelay terminals;

  public PushHub(
      RedisHandle redis,
      AreaTree areas,
      ExecutorService blocking,
      Clock clock,
      Function<String, Optional<Clip>> clips,
      Settings.WebSocket cfg) {
    this.redis = redis;
    this.counters = new PushCounters(redis);
    this.history =
        new ChannelHistory(
            redis,
            clock,
            cfg.historyMaxAge(),
            cfg.historyLength(),
            Math.max(2, Runtime.getRuntime().availableProcessors()));
    this.store = new PushStore(redis, areas, clock, history, cfg, liveChannel());
    this.pingNanos = cfg.pingInterval().toNanos();
    this.idleNanos = cfg.idleTimeout().toNanos();
    // A fifth of the ping interval: 5 s by default (a ping goes out 25-30 s after the client fell
    // silent), without visiting every connection every second.
    this.sweepMillis = Math.max(50, Math.min(5000, cfg.pingInterval().toMillis() / 5));
    this.clips = clips;
    this.areas = areas;
    this.blocking = blocking;
    this.clock = clock;
    this.terminals = new TerminalRelay(redis, areas, blocking, this::allSessions);
    this.subscription =
        new RedisSubscription(
            redis,
            "push-hub-subscriber",
            Map.of(
                liveChannel(), this::onLive,
                terminals.channel(), terminals::onCommand,
                clipChannel(), this::onClipEvent),
            this::catchUpAll);
  }

  public void start() {
    if (!subscription.start(Duration.ofSeconds(10))) {
      log.warn("Not yet subscribed to Redis pub/sub after 10 s; live pushes start once it is");
    }
  }

  /**
   * Observes each live message's fan-out on this node: milliseconds from its append in Redis (its
   * offset's time) until the last of this node's subscribers had it queued for writing.
   */
  public void observeFanOut(LongConsumer millis) {
    this.fanOutObserver = millis;
  }

  public AreaTree areas() {
    return areas;
  }

  String liveChannel() {
    return redis.key("live");
  }

  String clipChannel() {
    return redis.key("clip-events");
  }

  // ---- publishing (blocking workers) ----

  /** Writes a push to the history of every area channel it reaches and sends it live. */
  public String publish(PushRequest req, String audioUrl) {
    return store.publish(req, audioUrl);
  }

  public Optional<PushReport> report(String id) {
    return store.report(id);
  }

  /**
   * Sends a frame to every terminal, on any node, that lies in one of {@code targetAreas}; {@code
   * runId} names the run of a {@code play} (what the terminal may then confirm), null otherwise.
   */
  public void sendToTerminals(List<String> targetAreas, String runId, String frame) {
    terminals.send(targetAreas, runId, frame);
  }

  // ---- sessions (called on their event loops) ----

  void register(WebSocketSession s) {
    sessions.computeIfAbsent(s.loop(), this::startSweep).add(s);
  }

  /**
   * The first connection on an event loop: that loop starts sweeping its connections' heartbeats.
   */
  private Set<WebSocketSession> startSweep(EventExecutor loop) {
    Set<WebSocketSession> set = ConcurrentHashMap.newKeySet();
    loop.scheduleWithFixedDelay(
        () -> {
          long now = System.nanoTime();
          for (WebSocketSession s : set) s.heartbeat(now, pingNanos, idleNanos);
        },
        sweepMillis,
        sweepMillis,
        TimeUnit.MILLISECONDS);
    return set;
  }

  void unregister(WebSocketSession s) {
    Set<WebSocketSession> onLoop = sessions.get(s.loop());
    if (onLoop != null) onLoop.remove(s);
    for (String ch : s.channels()) unsubscribe(ch, s);
  }

  /** Adds a subscriber of a channel; the channel's entry is made with its first subscriber. */
  private void subscribers(String channel, WebSocketSession s) {
    byChannel.compute(
        channel,
        (k, set) -> {
          Subscribers subs = set == null ? new Subscribers() : set;
          subs.add(s);
          return subs;
        });
  }

  /**
   * Removes a subscriber of a channel, and the channel's entry with its last subscriber: channels
   * anyone ever subscribed to leave nothing behind (atomically with {@link #subscribers}).
   */
  private void unsubscribe(String channel, WebSocketSession s) {
    byChannel.computeIfPresent(
        channel,
        (k, set) -> {
          set.remove(s);
          return set.isEmpty() ? null : set;
        });
  }

  /** Channels with at least one subscriber on this node (a gauge). */
  public int channelsWatched() {
    return byChannel.size();
  }

  /** Live messages queued in the event loops' outboxes and not written yet (a gauge). */
  public int outboxQueued() {
    int n = 0;
    for (LoopOutbox o : outboxes.values()) n += o.queued();
    return n;
  }

  public int connections() {
    int n = 0;
    for (Set<WebSocketSession> set : sessions.values()) n += set.size();
    return n;
  }

  private Iterable<WebSocketSession> allSessions() {
    return () -> sessions.values().stream().flatMap(Set::stream).iterator();
  }

  /** Checks a channel name a client asked for; null when it may subscribe, else the reason. */
  String refusal(String channel, WebSocketSession s) {
    if (channel != null && channel.startsWith(CLIP_PREFIX)) {
      Principal p = s.principal();
      return p == null || p.role() == Role.TERMINAL
          ? "only editors, broadcasters and admins may watch clips"
          : null;
    }
    if (channel != null && channel.startsWith(TERMINAL_PREFIX)) {
      Principal p = s.principal();
      if (p == null) return "residents cannot subscribe to terminal channels";
      boolean own = p.role() == Role.TERMINAL && channel.equals(TERMINAL_PREFIX + p.id());
      return own || p.role() == Role.ADMIN
          ? null
          : "only that terminal (or an admin) may subscribe to " + channel;
    }
    if (channel == null || !channel.startsWith("area:")) {
      return "channel '"
          + channel
          + "' is not one you may subscribe to; use area:CODE, terminal:ID or clip:ID";
    }
    String code = channel.substring(5);
    return areas.contains(code) ? null : "unknown area code '" + code + "'";
  }

  /**
   * Registers for live messages first, then replays history after {@code since} on a worker, so
   * nothing falls between the two; the session drops live duplicates it already replayed.
   */
  void subscribe(WebSocketSession s, String channel, String since, String sinceEpoch) {
    subscribers(channel, s);
    s.beginReplay(channel);
    history
        .missed(channel, since, sinceEpoch)
        .whenComplete(
            (replay, failure) -> {
              if (failure == null) {
                s.endReplay(channel, replay);
              } else if (saturated(failure)) {
                s.tryAgainLater(channel, "the readers are saturated");
              } else {
                // Redis did not answer: the history may be whole, so not `recovered: false`.
                s.tryAgainLater(channel, "Redis could not be read");
              }
            });
  }

  /** A history read refused because too many are waiting (not one Redis failed to answer). */
  private static boolean saturated(Throwable failure) {
    Throwable cause = failure instanceof CompletionException c ? c.getCause() : failure;
    return cause instanceof RejectedExecutionException;
  }

  /**
   * A session's catch-up read of one channel after {@code since}. A read Redis did not answer (the
   * subscription is back before every pooled connection is: those to the Redis that died fail once
   * each) is tried again after a pause, for up to {@link #CATCH_UP_PATIENCE}; then the connection
   * is closed 1013 to come back with its offsets. It is never taken for a read that found nothing.
   */
  void catchUp(WebSocketSession s, String channel, String since) {
    catchUp(
        s,
        channel,
        since,
        System.nanoTime() + CATCH_UP_PATIENCE.toNanos(),
        CATCH_UP_FIRST_PAUSE.toMillis());
  }

  private void catchUp(
      WebSocketSession s, String channel, String since, long giveUpAt, long pauseMillis) {
    history
        .after(channel, since)
        .whenComplete(
            (entries, failure) -> {
              if (failure == null) {
                s.endCatchUp(channel, entries);
              } else if (saturated(failure)) {
                s.tryAgainLater(channel, "the readers are saturated");
              } else if (System.nanoTime() - giveUpAt > 0) {
                s.tryAgainLater(channel, "Redis did not answer for " + CATCH_UP_PATIENCE);
              } else {
                long next = Math.min(2 * pauseMillis, CATCH_UP_MAX_PAUSE.toMillis());
                s.later(pauseMillis, () -> catchUp(s, channel, since, giveUpAt, next));
              }
            });
  }

  /**
   * The pub/sub link to Redis is back after a drop: live messages sent meanwhile never reached this
   * node, so every connection catches up from its last offsets (reads coalesced per channel and
   * offset).
   */
  private void catchUpAll() {
    int n = 0;
    for (WebSocketSession s : allSessions()) {
      s.catchUp();
      n++;
    }
    log.warn("The Redis subscription was down: {} connections catch up from their last offsets", n);
  }

  // ---- clip progress (live only, no history) ----

  /** Relays a clip's change to every node; called by the clip library on its worker threads. */
  public void publishClip(Clip clip) {
    redis.client().publish(clipChannel(), clip.id() + "\n" + clipFrame(clip));
  }

  private static String clipFrame(Clip clip) {
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("type", "clip");
    frame.put("channel", CLIP_PREFIX + clip.id());
    frame.put("data", clip);
    return Frames.write(frame);
  }

  /**
   * Watches a clip: {@code subscribed}, the clip as it is now, then every change. Whether the clip
   * exists is asked on a worker; a clip that does not is answered with an error naming the channel
   * and the connection stops watching it (nothing of it is left here).
   */
  void watchClip(WebSocketSession s, String channel) {
    subscribers(channel, s);
    String id = channel.substring(CLIP_PREFIX.length());
    try {
      blocking.execute(
          () -> {
            Optional<Clip> clip;
            try {
              clip = clips.apply(id);
            } catch (RuntimeException e) {
              s.unwatch(
                  channel, "bad-channel", channel + " could not be checked now; try again shortly");
              return;
            }
            if (clip.isEmpty()) {
              s.unwatch(channel, "bad-channel", channel + ": no clip with id '" + id + "'");
              return;
            }
            s.send(Frames.subscribed(channel, true, null, null));
            s.send(clipFrame(clip.get()));
          });
    } catch (RejectedExecutionException e) {
      s.unwatch(channel, "bad-channel", channel + " could not be checked now; try again shortly");
    }
  }

  private void onClipEvent(String message) {
    int a = message.indexOf('\n');
    if (a < 0) return;
    Subscribers subs = byChannel.get(CLIP_PREFIX + message.substring(0, a));
    if (subs == null) return;
    subs.fanOut(
        Unpooled.copiedBuffer(message.substring(a + 1), StandardCharsets.UTF_8),
        outbox,
        (s, frame) -> {
          s.send(frame);
          return false;
        },
        () -> {});
  }

  void unwatch(WebSocketSession s, String channel) {
    unsubscribe(channel, s);
  }

  /** A resident acknowledged a push: count it once per connection in the push's report. */
  void acknowledge(String channel, String offset) {
    counters.acked(channel, offset);
  }

  // ---- live fan-out (the subscriber thread) ----

  private void onLive(String message) {
    int a = message.indexOf('\n');
    int b = message.indexOf('\n', a + 1);
    int c = message.indexOf('\n', b + 1);
    if (a < 0 || b < 0 || c < 0) return;
    String channel = message.substring(0, a);
    String offset = message.substring(a + 1, b);
    String pushId = message.substring(b + 1, c);
    Subscribers subs = byChannel.get(channel);
    if (subs == null) return;
    StreamOffset parsed = StreamOffset.parse(offset);
    // Encoded once; every subscriber gets a view of the same bytes, on its own event loop.
    int delivered =
        subs.fanOut(
            Frames.wireText(message.substring(c + 1)),
            outbox,
            (s, frame) -> s.deliverInLoop(channel, parsed, frame),
            () -> fanOutObserver.accept(clock.millis() - parsed.millis()));
    if (delivered == 0) return;
    counters.delivered(pushId, channel, offset, delivered);
  }

  /** Terminals' plays, stops and confirmations. */
  TerminalRelay terminals() {
    return terminals;
  }

  /** Where terminals' upcoming plays and confirmations go; set once the scheduler runs. */
  public void attach(TerminalSchedule schedule) {
    terminals.attach(schedule);
  }

  /** Closes every connection with 1001 (going away), for a graceful shutdown. */
  public void closeAll(Duration wait) {
    List<io.netty.channel.ChannelFuture> closing = new ArrayList<>();
    for (WebSocketSession s : allSessions()) closing.add(s.goAway());
    // Wait for the closes, so each session's last presence write is queued before the workers stop.
    long deadline = System.nanoTime() + wait.toNanos();
    for (io.netty.channel.ChannelFuture f : closing) {
      long left = deadline - System.nanoTime();
      if (left <= 0
          || !f.awaitUninterruptibly(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left)))
        break;
    }
  }

  @Override
  public void close() {
    subscription.close();
    history.close();
    counters.close();
  }
}
