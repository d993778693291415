package org.xiaolaba.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipLibrary;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.scheduler.ProgramService;
import org.xiaolaba.server.push.PushHub;

/**
 * This node's Prometheus registry and what feeds it besides HTTP ({@code HttpMetrics}): JVM, the
 * blocking pool, WebSocket connections, pushes and their fan-out, the ffmpeg queue and clip
 * processing times, Quartz fires and misfires, and Redis round trips (a PING every {@link
 * #PING_EVERY}).
 */
final class NodeMetrics implements AutoCloseable {
  static final Duration PING_EVERY = Duration.ofSeconds(10);

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer fanOut =
      Timer.builder("xiaolaba.push.fanout")
          .description("From a live push appended in Redis to its last subscriber's write queued")
          .register(registry);
  private final Map<String, Long> processingSince = new ConcurrentHashMap<>();
  private ScheduledExecutorService pinger;

  NodeMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Where the push hub reports each live message's fan-out time, in milliseconds from its append in
   * Redis to its last subscriber's write queued here: the {@code xiaolaba.push.fanout} timer.
   */
  LongConsumer fanOutMillis() {
    return millis -> fanOut.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  /** Pushes sent through the API, timed from request to written and published in Redis. */
  Timer pushPublish() {
    return Timer.builder("xiaolaba.push.publish")
        .description("Pushes sent through the API: writing their history and publishing them")
        .register(registry);
  }

  void blockingPool(ThreadPoolExecutor blocking) {
    Gauge.builder("xiaolaba.blocking.queue", blocking, e -> e.getQueue().size())
        .description("Tasks waiting for a blocking worker")
        .register(registry);
  }

  void pushHub(PushHub hub) {
    Gauge.builder("xiaolaba.websocket.connections", hub, PushHub::connections)
        .description("Open WebSocket connections on this node")
        .register(registry);
    Gauge.builder("xiaolaba.push.outbox.queued", hub, PushHub::outboxQueued)
        .description("Live messages queued for the event loops' connections, not written yet")
        .register(registry);
    Gauge.builder("xiaolaba.push.channels", hub, PushHub::channelsWatched)
        .description("Channels with at least one subscriber on this node")
        .register(registry);
  }

  /** The transcoding queue, and each clip's time from accepted to ready or failed. */
  void clips(ClipLibrary clips) {
    Gauge.builder("xiaolaba.ffmpeg.queue", clips, ClipLibrary::clipsWaiting)
        .description("Clips waiting for a transcoding worker")
        .register(registry);
    Gauge.builder("xiaolaba.ffmpeg.active", clips, ClipLibrary::clipsTranscoding)
        .description("Clips being transcoded now")
        .register(registry);
    for (ClipStatus done : new ClipStatus[] {ClipStatus.READY, ClipStatus.FAILED}) {
      clipTimer(done);
    }
    clips.addListener(this::clipChanged);
  }

  private Timer clipTimer(ClipStatus outcome) {
    return Timer.builder("xiaolaba.clips.processing")
        .description("Clips from upload accepted to ready or failed (queue wait and ffmpeg runs)")
        .tag("outcome", outcome.json())
        .register(registry);
  }

  private void clipChanged(Clip clip) {
    if (clip.status() == ClipStatus.PROCESSING) {
      processingSince.putIfAbsent(clip.id(), System.nanoTime());
      return;
    }
    Long since = processingSince.remove(clip.id());
    if (since != null)
      clipTimer(clip.status()).record(System.nanoTime() - since, TimeUnit.NANOSECONDS);
  }

  void scheduler(ProgramService programs) {
    FunctionCounter.builder("xiaolaba.quartz.fires", programs, p -> p.fireCounts().fires())
        .description("Program triggers fired on this node")
        .register(registry);
    FunctionCounter.builder("xiaolaba.quartz.misfires", programs, p -> p.fireCounts().missed())
        .description("Runs that passed while no node was up, by what became of them")
        .tag("outcome", "missed")
        .register(registry);
    FunctionCounter.builder("xiaolaba.quartz.misfires", programs, p -> p.fireCounts().late())
        .description("Runs that passed while no node was up, by what became of them")
        .tag("outcome", "late")
        .register(registry);
  }

  /** Times a Redis PING now and then on its own thread, so a slow Redis shows before it fails. */
  void redis(RedisHandle redis) {
    Timer ok = pingTimer("ok");
    Timer failed = pingTimer("failed");
    pinger =
        Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("redis-ping", true));
    pinger.scheduleWithFixedDelay(
        () -> {
          long start = System.nanoTime();
          boolean up = redis.ping();
          (up ? ok : failed).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        },
        0,
        PING_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private Timer pingTimer(String outcome) {
    return Timer.builder("xiaolaba.redis.ping")
        .description("Redis PING round trips from this node")
        .tag("outcome", outcome)
        .register(registry);
  }

  @Override
  public void close() {
    if (pinger != null) pinger.shutdownNow();
  }
}
