package org.xiaolaba.server;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.RenditionPeers;
import org.xiaolaba.server.api.MediaApi;

/**
 * The other nodes' media, for renditions this node did not transcode: every node announces its base
 * URL in Redis ({@code media:nodes}: URL → last heard, refreshed every {@link #ANNOUNCE}), and
 * fetches a missing rendition from the nodes heard of lately, the most recently heard first, with
 * {@code GET /media/<name>} marked {@link MediaApi#PEER_HEADER}, which a node answers from its own
 * disk only. A node not heard of for {@link #PRUNE} (moved to another address, or retired) is
 * removed from the hash by whichever node announces next.
 */
final class PeerMedia implements RenditionPeers, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerMedia.class);

  static final Duration ANNOUNCE = Duration.ofSeconds(10);

  /** A node not heard of for this long is not asked. */
  static final Duration FORGET = ANNOUNCE.multipliedBy(3);

  /** A node not heard of for this long is removed from {@code media:nodes}. */
  static final Duration PRUNE = Duration.ofDays(1);

  private final RedisHandle redis;
  private final String self;
  private final Clock clock;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ScheduledExecutorService announcer =
      Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("media-peers", true));

  PeerMedia(RedisHandle redis, String selfUrl, Clock clock) {
    this.redis = redis;
    this.self = selfUrl;
    this.clock = clock;
    announcer.scheduleWithFixedDelay(this::announce, 0, ANNOUNCE.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void announce() {
    try {
      long now = clock.millis();
      redis.client().hset(key(), self, Long.toString(now));
      List<String> gone = new ArrayList<>();
      for (Map.Entry<String, String> e : redis.client().hgetAll(key()).entrySet()) {
        long heard = heardAt(e.getValue());
        if (heard >= 0 && heard < now - PRUNE.toMillis()) gone.add(e.getKey());
      }
      if (!gone.isEmpty()) {
        redis.client().hdel(key(), gone.toArray(String[]::new));
        log.info("Forgot nodes not heard of for {}: {}", PRUNE, gone);
      }
    } catch (RuntimeException e) {
      log.debug("Could not announce this node's media URL: {}", e.toString());
    }
  }

  /** When a node was last heard of (epoch millis), or -1 for a value no node wrote. */
  private static long heardAt(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private String key() {
    return redis.key("media:nodes");
  }

  /** The other nodes heard of lately, the most recently heard first. */
  List<String> others() {
    long cutoff = clock.millis() - FORGET.toMillis();
    List<Map.Entry<String, Long>> heard = new ArrayList<>();
    for (Map.Entry<String, String> e : redis.client().hgetAll(key()).entrySet()) {
      long at = heardAt(e.getValue());
      if (!e.getKey().equals(self) && at >= cutoff) heard.add(Map.entry(e.getKey(), at));
    }
    heard.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    return heard.stream().map(Map.Entry::getKey).toList();
  }

  @Override
  public boolean fetch(String name, Path target) throws IOException {
    for (String node : others()) {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(node + "/media/" + name))
              .timeout(Duration.ofSeconds(60))
              .header(MediaApi.PEER_HEADER, "1")
              .GET()
              .build();
      try {
        // Only a 200's body goes into the file, from its start: an error page of one node must
        // not stay in front of (or after) the next node's audio.
        HttpResponse<Path> r =
            http.send(
                request,
                info ->
                    info.statusCode() == 200
                        ? HttpResponse.BodySubscribers.ofFile(
                            target,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)
                        : HttpResponse.BodySubscribers.replacing(null));
        if (r.statusCode() == 200) return true;
      } catch (IOException e) {
        log.debug("Node {} did not answer for {}: {}", node, name, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while fetching " + name, e);
      }
    }
    return false;
  }

  @Override
  public void close() {
    announcer.shutdownNow();
    try {
      // An announcement under way would put this node back after the withdrawal below.
      if (!announcer.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("The media announcer did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      redis.client().hdel(key(), self);
    } catch (RuntimeException e) {
      log.debug("Could not withdraw this node's media URL: {}", e.toString());
    }
  }
}
