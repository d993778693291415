package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaCodes;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.errors.ConflictException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.config.errors.VersionMismatchException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipStatus;
import redis.clients.jedis.AbstractTransaction;

/**
 * Editors' items: written as drafts, approved, withdrawn (see {@link ItemState} for the table).
 * Stored as JSON at {@code item:<id>}, indexed by day at {@code items:date:<yyyy-MM-dd>}. Every
 * change is a compare-and-set on the stored JSON, so two editors approving and editing at once
 * never lose one another's change: the loser retries on the fresh item or is told why not.
 */
public final class ItemService {
  private static final Logger log = LoggerFactory.getLogger(ItemService.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_ATTEMPTS = 5;

  /** KEYS[1]: item key. ARGV[1]: the JSON read; ARGV[2]: the JSON to write. */
  private static final String COMPARE_AND_SET =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1"
          + " else return 0 end";

  /** KEYS[1]: item key. ARGV[1]: the JSON read. */
  private static final String COMPARE_AND_DELETE =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0"
          + " end";

  private final RedisHandle redis;
  private final AreaTree areas;
  private final ClipLookup clips;
  private final Clock clock;
  private final ObjectMapper json = Json.mapper();

  public ItemService(RedisHandle redis, AreaTree areas, ClipLookup clips, Clock clock) {
    this.redis = redis;
    this.areas = areas;
    this.clips = clips;
    this.clock = clock;
  }

  public Item create(ItemRequest req, String author) {
    Checked c = check(req);
    Instant now = clock.instant();
    Item item =
        new Item(
            newId(),
            c.kind,
            c.title,
            c.body,
            c.areas,
            c.date,
            c.clipId,
            ItemState.DRAFT,
            author,
            now,
            now,
            null,
            1);
    // The item and its index entries together: a crash never leaves one without the others.
    try (AbstractTransaction tx = redis.client().multi()) {
      tx.set(key(item.id()), write(item));
      tx.sadd(dayKey(item.date()), item.id());
      if (item.clipId() != null) tx.sadd(clipKey(item.clipId()), item.id());
      tx.exec();
    }
    log.info(
        "Item {} ({} '{}') drafted for {} in {}",
        item.id(),
        item.kind().json(),
        item.title(),
        item.date(),
        item.areas());
    return item;
  }

  public Optional<Item> find(String id) {
    if (id == null || !id.matches("[A-Za-z0-9_-]{1,32}")) return Optional.empty();
    return Optional.ofNullable(redis.client().get(key(id))).map(this::read);
  }

  /** The items of a day, optionally only those reaching {@code area} and in {@code state}. */
  public List<Item> list(LocalDate date, String area, ItemState state) {
    List<Item> out = new ArrayList<>();
    for (String id : redis.client().smembers(dayKey(date))) {
      find(id)
          .filter(i -> state == null || i.state() == state)
          .filter(i -> area == null || reaches(i, area))
          .ifPresent(out::add);
    }
    out.sort(Comparator.comparing(Item::createdAt).thenComparing(Item::id));
    return out;
  }

  /**
   * What a village's bulletin holds on a day: approved items targeted at the village, its town or
   * its county, ordered by kind (policy, notice, news), then by approval time.
   */
  public List<Item> forBulletin(LocalDate date, String village) {
    List<Item> out = new ArrayList<>(list(date, village, ItemState.APPROVED));
    out.sort(
        Comparator.comparing(Item::kind)
            .thenComparing(Item::approvedAt, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(Item::id));
    return out;
  }

  /** An item reaches an area when one of its areas is that area or lies above it. */
  private boolean reaches(Item item, String area) {
    return areas.selfAndAncestors(area).stream().anyMatch(item.areas()::contains);
  }

  /** Edits a draft; approved and withdrawn items are final (409). */
  public Item update(String id, ItemRequest req) {
    return update(id, req, null);
  }

  /**
   * {@link #update} made against a version read before ({@code If-Match}: the item's {@code
   * version}); null: whatever is stored. Another version is left as it is ({@link
   * VersionMismatchException}).
   */
  public Item update(String id, ItemRequest req, String ifVersion) {
    Checked c = check(req);
    Item before = require(id);
    Item after =
        change(
            id,
            current -> {
              String version = Integer.toString(current.version());
              if (ifVersion != null && !ifVersion.equals(version)) {
                throw new VersionMismatchException("item " + id, ifVersion, version);
              }
              if (current.state() != ItemState.DRAFT) {
                throw new ConflictException(
                    "item " + id + " is " + current.state().json() + "; only drafts can be edited",
                    List.of(id));
              }
              return current.edited(
                  c.kind, c.title, c.body, c.areas, c.date, c.clipId, clock.instant());
            });
    if (!before.date().equals(after.date())) {
      redis.client().srem(dayKey(before.date()), id);
      redis.client().sadd(dayKey(after.date()), id);
    }
    if (before.clipId() != null) redis.client().srem(clipKey(before.clipId()), id);
    if (after.clipId() != null) redis.client().sadd(clipKey(after.clipId()), id);
    return after;
  }

  public Item approve(String id) {
    return transition(id, ItemState.APPROVED);
  }

  public Item withdraw(String id) {
    return transition(id, ItemState.WITHDRAWN);
  }

  private Item transition(String id, ItemState next) {
    Item item =
        change(
            id,
            current -> {
              current.state().requireCanBecome(next, id);
              return current.withState(next, clock.instant());
            });
    log.info("Item {} is now {}", id, next.json());
    return item;
  }

  /** Deletes a draft; an approved or withdrawn item stays on record (409). */
  public void delete(String id) {
    String stored = redis.client().get(key(id));
    if (stored == null) throw new NotFoundException("no item with id '" + id + "'");
    Item item = read(stored);
    if (item.state() != ItemState.DRAFT) {
      throw new ConflictException(
          "item "
              + id
              + " is "
              + item.state().json()
              + "; only drafts can be deleted (withdraw it instead)",
          List.of(id));
    }
    Object deleted = redis.client().eval(COMPARE_AND_DELETE, List.of(key(id)), List.of(stored));
    if (!Long.valueOf(1).equals(deleted)) {
      throw new ConflictException(
          "item " + id + " changed while being deleted; try again", List.of(id));
    }
    redis.client().srem(dayKey(item.date()), id);
    if (item.clipId() != null) redis.client().srem(clipKey(item.clipId()), id);
  }

  /**
   * Items that will read {@code clipId} out in a bulletin: not withdrawn, dated {@code from} or
   * later. Deleting the clip would leave those bulletins without it.
   */
  public List<Item> usingClip(String clipId, LocalDate from) {
    List<Item> out = new ArrayList<>();
    for (String id : redis.client().smembers(clipKey(clipId))) {
      find(id)
          .filter(i -> clipId.equals(i.clipId()))
          .filter(i -> i.state() != ItemState.WITHDRAWN && !i.date().isBefore(from))
          .ifPresent(out::add);
    }
    out.sort(Comparator.comparing(Item::date).thenComparing(Item::id));
    return out;
  }

  /**
   * Applies {@code change} to the stored item with compare-and-set, retrying on a concurrent write.
   */
  private Item change(String id, UnaryOperator<Item> change) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      String stored = redis.client().get(key(id));
      if (stored == null) throw new NotFoundException("no item with id '" + id + "'");
      Item next = change.apply(read(stored));
      Object ok =
          redis.client().eval(COMPARE_AND_SET, List.of(key(id)), List.of(stored, write(next)));
      if (Long.valueOf(1).equals(ok)) return next;
    }
    throw new ConflictException(
        "item " + id + " is being changed by someone else; try again", List.of(id));
  }

  private Item require(String id) {
    return find(id).orElseThrow(() -> new NotFoundException("no item with id '" + id + "'"));
  }

  /** A request that passed every check, in its typed form. */
  private record Checked(
      ItemKind kind,
      String title,
      String body,
      List<String> areas,
      LocalDate date,
      String clipId) {}

  private Checked check(ItemRequest req) {
    if (req == null) throw new InvalidInputException("body", "the request needs a JSON body");
    ItemKind kind =
        ItemKind.parse(req.kind())
            .orElseThrow(
                () ->
                    new InvalidInputException(
                        "kind", "kind must be policy, notice or news, not '" + req.kind() + "'"));
    if (req.title() == null || req.title().isBlank())
      throw new InvalidInputException("title", "title is required");
    if (req.title().length() > 200)
      throw new InvalidInputException("title", "title is longer than 200 characters");
    String body = req.body() == null ? "" : req.body();
    if (body.length() > 20_000)
      throw new InvalidInputException("body", "body is longer than 20000 characters");
    List<String> codes = AreaCodes.parse(areas, req.areas(), "areas");
    if (req.date() == null)
      throw new InvalidInputException("date", "date is required, e.g. 2026-11-27");
    LocalDate date;
    try {
      date = LocalDate.parse(req.date());
    } catch (DateTimeParseException e) {
      throw new InvalidInputException("date", "date must be yyyy-MM-dd, not '" + req.date() + "'");
    }
    if (req.clipId() != null) {
      Clip clip =
          clips
              .find(req.clipId())
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          "clipId", "no clip with id '" + req.clipId() + "'"));
      if (clip.status() == ClipStatus.FAILED) {
        throw new InvalidInputException(
            "clipId", "clip '" + req.clipId() + "' failed processing: " + clip.error());
      }
    }
    return new Checked(kind, req.title().trim(), body, codes, date, req.clipId());
  }

  private String key(String id) {
    return redis.key("item:" + id);
  }

  private String clipKey(String clipId) {
    return redis.key("items:clip:" + clipId);
  }

  private String dayKey(LocalDate date) {
    return redis.key("items:date:" + date);
  }

  private String write(Item item) {
    try {
      return json.writeValueAsString(item);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Item read(String text) {
    try {
      return json.readValue(text, Item.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an item in Redis is unreadable", e);
    }
  }

  private static String newId() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
