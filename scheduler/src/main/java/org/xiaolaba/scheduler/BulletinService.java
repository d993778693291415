package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.media.Rendition;

/**
 * The daily bulletin: every morning each village's approved items become a text digest for the app
 * and one audio program for the loudspeakers; later it is pushed to the village's residents. Stored
 * at {@code bulletin:<date>:<area>}; the daily jobs run on every node and are claimed once per day
 * in Redis ({@code claim:bulletin-prepare:<date>}, {@code claim:bulletin-push:<date>}).
 */
public final class BulletinService implements BulletinLookup, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BulletinService.class);
  private static final Map<ItemKind, String> LABELS =
      Map.of(ItemKind.POLICY, "政策", ItemKind.NOTICE, "通知", ItemKind.NEWS, "新闻");

  private final Settings settings;
  private final RedisHandle redis;
  private final AreaTree areas;
  private final ItemService items;
  private final ClipLookup clips;
  private final BulletinAudioPort audio;
  private final DispatchPort dispatch;
  private final Clock clock;
  private final ObjectMapper json = Json.mapper();
  private BulletinJobs jobs;
  private Claims claims;

  public BulletinService(
      Settings settings,
      RedisHandle redis,
      AreaTree areas,
      ItemService items,
      ClipLookup clips,
      BulletinAudioPort audio,
      DispatchPort dispatch,
      Clock clock) {
    this.settings = settings;
    this.redis = redis;
    this.areas = areas;
    this.items = items;
    this.clips = clips;
    this.audio = audio;
    this.dispatch = dispatch;
    this.clock = clock;
  }

  /** Starts the daily prepare and push jobs; a bad cron stops start-up naming its key. */
  public synchronized void start(String nodeId) {
    Settings.BulletinTimes times = settings.scheduler().bulletin();
    ZoneId zone = settings.zone();
    claims = new Claims(redis, nodeId, clock);
    jobs =
        BulletinJobs.start(
            nodeId,
            zone,
            times.prepareCron(),
            times.pushCron(),
            () -> prepareAll(LocalDate.now(clock.withZone(zone))),
            () -> pushAll(LocalDate.now(clock.withZone(zone))));
  }

  /** Prepares (or prepares again, replacing) one area's bulletin for a day. */
  public Bulletin prepare(LocalDate date, String area) {
    AreaTree.Area a =
        areas
            .find(area)
            .orElseThrow(
                () -> new InvalidInputException("area", "unknown area code '" + area + "'"));
    List<Item> selected = items.forBulletin(date, area);
    List<Bulletin.Entry> entries = new ArrayList<>();
    List<String> clipIds = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Item i : selected) {
      entries.add(new Bulletin.Entry(i.id(), i.kind().json(), i.title(), i.clipId()));
      if (i.clipId() == null) continue;
      Optional<Clip> clip = clips.find(i.clipId());
      if (clip.isPresent() && clip.get().status() == ClipStatus.READY) {
        clipIds.add(i.clipId());
      } else {
        skipped.add(i.clipId());
      }
    }
    String title = "每日简报 " + date + " " + a.name();
    String error = skipped.isEmpty() ? null : "clips not ready, left out of the audio: " + skipped;
    Bulletin bulletin;
    if (clipIds.isEmpty()) {
      bulletin =
          new Bulletin(
              date,
              area,
              Bulletin.READY,
              title,
              digest(title, selected),
              entries,
              null,
              null,
              error,
              clock.instant());
    } else {
      Clip program = audio.assemble(clipIds, title);
      bulletin =
          settle(
              new Bulletin(
                  date,
                  area,
                  Bulletin.PREPARING,
                  title,
                  digest(title, selected),
                  entries,
                  null,
                  program.id(),
                  error,
                  clock.instant()),
              program);
    }
    store(bulletin);
    log.info(
        "Bulletin {} {} prepared: {} items, {} with audio, status {}",
        date,
        area,
        entries.size(),
        clipIds.size(),
        bulletin.status());
    return bulletin;
  }

  /** The stored bulletin, brought up to date with its audio's processing. */
  public Optional<Bulletin> find(LocalDate date, String area) {
    String text = redis.client().get(key(date, area));
    if (text == null) return Optional.empty();
    Bulletin stored = read(text);
    if (!Bulletin.PREPARING.equals(stored.status())) return Optional.of(stored);
    Optional<Clip> clip = clips.find(stored.clipId());
    Bulletin now =
        clip.map(c -> settle(stored, c))
            .orElse(stored.settled(Bulletin.FAILED, null, "the bulletin's audio clip is gone"));
    if (!now.status().equals(stored.status())) store(now);
    return Optional.of(now);
  }

  private static Bulletin settle(Bulletin b, Clip clip) {
    if (clip.status() == ClipStatus.FAILED)
      return b.settled(Bulletin.FAILED, null, "the audio could not be made: " + clip.error());
    if (clip.status() != ClipStatus.READY) return b;
    Rendition app = clip.renditions().get("app");
    Rendition horn = clip.renditions().get("loudspeaker");
    long ms = clip.durationMs() == null ? 0 : clip.durationMs();
    return b.settled(
        Bulletin.READY,
        new Bulletin.Audio(app == null ? null : app.url(), horn == null ? null : horn.url(), ms),
        b.error());
  }

  @Override
  public Optional<PlayableAudio> audioFor(LocalDate date, String area) {
    return find(date, area)
        .filter(b -> b.audio() != null && b.audio().loudspeakerUrl() != null)
        .map(
            b -> new PlayableAudio(b.audio().loudspeakerUrl(), b.audio().durationMs(), b.clipId()));
  }

  /** The morning job: every village's bulletin, once across the cluster. */
  void prepareAll(LocalDate date) {
    claimed(
        "bulletin-prepare:" + date, "preparing the bulletins of " + date, () -> prepareEach(date));
  }

  private void prepareEach(LocalDate date) {
    int n = 0;
    for (AreaTree.Area a : areas.all()) {
      if (a.level() != AreaTree.Level.VILLAGE) continue;
      try {
        prepare(date, a.code());
        n++;
      } catch (RuntimeException e) {
        log.error(
            "The bulletin of {} for {} could not be prepared; the others go on", a.code(), date, e);
      }
    }
    log.info("Prepared {} village bulletins for {}", n, date);
  }

  /** The push job: each village's residents get its bulletin (villages without items get none). */
  void pushAll(LocalDate date) {
    claimed("bulletin-push:" + date, "pushing the bulletins of " + date, () -> pushEach(date));
  }

  private void pushEach(LocalDate date) {
    int n = 0;
    for (AreaTree.Area a : areas.all()) {
      if (a.level() != AreaTree.Level.VILLAGE) continue;
      Optional<Bulletin> b = find(date, a.code());
      if (b.isEmpty() || b.get().items().isEmpty()) continue;
      Bulletin bulletin = b.get();
      String audioUrl = bulletin.audio() == null ? null : bulletin.audio().url();
      dispatch.push(
          new PushCommand(
              List.of(a.code()), "bulletin", bulletin.title(), bulletin.text(), audioUrl));
      n++;
    }
    log.info("Pushed {} village bulletins for {}", n, date);
  }

  /** Does the day's job here once across the cluster; taken over if its node dies doing it. */
  private void claimed(String name, String what, Runnable job) {
    Claims c = claims;
    if (c == null) throw new IllegalStateException("the bulletin jobs are not started");
    if (!c.once(name, what, takenOver -> job.run())) {
      log.debug("{} was claimed by another node", what);
    }
  }

  /** The text residents read: a heading, then each item under its kind's label. */
  static String digest(String title, List<Item> selected) {
    StringBuilder sb = new StringBuilder(title).append("\n");
    if (selected.isEmpty()) return sb.append("\n今日暂无内容。").toString();
    for (Item i : selected) {
      sb.append("\n【").append(LABELS.get(i.kind())).append("】").append(i.title()).append("\n");
      if (!i.body().isBlank()) sb.append(i.body()).append("\n");
    }
    return sb.toString();
  }

  private String key(LocalDate date, String area) {
    return redis.key("bulletin:" + date + ":" + area);
  }

  private void store(Bulletin b) {
    try {
      redis
          .client()
          .setex(
              key(b.date(), b.area()), Duration.ofDays(90).toSeconds(), json.writeValueAsString(b));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Bulletin read(String text) {
    try {
      return json.readValue(text, Bulletin.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a bulletin in Redis is unreadable", e);
    }
  }

  @Override
  public synchronized void close() {
    if (jobs != null) jobs.close();
    if (claims != null) claims.close();
  }
}
