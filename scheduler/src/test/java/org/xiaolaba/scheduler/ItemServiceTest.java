package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.ConflictException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.ClipStatus;

class ItemServiceTest {
  static final String COUNTY = "320623";
  static final String TOWN = TestCluster.TOWN;
  static final String VILLAGE = TestCluster.VILLAGE;
  static final String OTHER_TOWN = "320623101";
  static final LocalDate DAY = LocalDate.of(2026, 11, 27);

  private final TestCluster cluster = new TestCluster();
  // A connection of its own under this test's key prefix, on the shared Redis.
  private final Settings settings = TestRedis.settings(cluster.prefix, Map.of());
  private final RedisHandle redis = RedisHandle.open(settings);
  private final ItemService items =
      new ItemService(
          redis,
          AreaTree.of(settings.areas()),
          id -> java.util.Optional.ofNullable(cluster.clips.get(id)),
          Clock.fixed(Instant.parse("2026-11-27T00:00:00Z"), ZoneOffset.UTC));

  @AfterEach
  void close() throws Exception {
    redis.close();
    cluster.close();
  }

  private static ItemRequest request(String kind, String title, String... areas) {
    return new ItemRequest(kind, title, "正文", List.of(areas), DAY.toString(), null);
  }

  @Test
  void aNewItemIsADraftThatCanBeApprovedThenWithdrawn() {
    Item draft = items.create(request("notice", "停电通知", VILLAGE), "editor-1");
    assertThat(draft.state()).isEqualTo(ItemState.DRAFT);
    assertThat(draft.author()).isEqualTo("editor-1");
    Item approved = items.approve(draft.id());
    assertThat(approved.state()).isEqualTo(ItemState.APPROVED);
    assertThat(approved.approvedAt()).isNotNull();
    assertThat(items.withdraw(draft.id()).state()).isEqualTo(ItemState.WITHDRAWN);
    assertThat(items.find(draft.id()).orElseThrow().version()).isEqualTo(3);
  }

  @Test
  void transitionsOutsideTheTableAreConflictsThatNameBothStates() {
    Item item = items.create(request("news", "新闻", VILLAGE), "e");
    items.withdraw(item.id());
    assertThatThrownBy(() -> items.approve(item.id()))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("withdrawn")
        .hasMessageContaining("approved");
    assertThatThrownBy(() -> items.withdraw(item.id())).isInstanceOf(ConflictException.class);
  }

  @Test
  void theTransitionTableIsExactlyDraftToApprovedOrWithdrawnAndApprovedToWithdrawn() {
    List<String> allowed = new ArrayList<>();
    for (ItemState from : ItemState.values()) {
      for (ItemState to : ItemState.values()) {
        if (from.canBecome(to)) allowed.add(from.json() + "->" + to.json());
      }
    }
    assertThat(allowed)
        .containsExactlyInAnyOrder("draft->approved", "draft->withdrawn", "approved->withdrawn");
  }

  @Test
  void onlyDraftsCanBeEditedOrDeleted() {
    Item item = items.create(request("news", "旧标题", VILLAGE), "e");
    Item edited = items.update(item.id(), request("policy", "新标题", TOWN));
    assertThat(edited.title()).isEqualTo("新标题");
    assertThat(edited.kind()).isEqualTo(ItemKind.POLICY);
    items.approve(item.id());
    assertThatThrownBy(() -> items.update(item.id(), request("news", "x", VILLAGE)))
        .isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> items.delete(item.id()))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("withdraw");

    Item draft = items.create(request("news", "草稿", VILLAGE), "e");
    items.delete(draft.id());
    assertThat(items.find(draft.id())).isEmpty();
    assertThatThrownBy(() -> items.delete(draft.id())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void aVillagesBulletinHasTheApprovedItemsForItsVillageTownAndCountyInKindOrder() {
    Item news = items.approve(items.create(request("news", "县新闻", COUNTY), "e").id());
    Item notice = items.approve(items.create(request("notice", "镇通知", TOWN), "e").id());
    Item policy = items.approve(items.create(request("policy", "村政策", VILLAGE), "e").id());
    items.create(request("policy", "未审核", VILLAGE), "e");
    Item withdrawn = items.create(request("notice", "已撤回", VILLAGE), "e");
    items.withdraw(withdrawn.id());
    items.approve(items.create(request("news", "别镇新闻", OTHER_TOWN), "e").id());
    items.approve(
        items
            .create(
                new ItemRequest(
                    "news", "明天的", "", List.of(VILLAGE), DAY.plusDays(1).toString(), null),
                "e")
            .id());

    assertThat(items.forBulletin(DAY, VILLAGE))
        .extracting(Item::id)
        .containsExactly(policy.id(), notice.id(), news.id());
  }

  @Test
  void concurrentChangesAreNeverLost() throws Exception {
    Item item = items.create(request("news", "并发", VILLAGE), "e");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    CountDownLatch go = new CountDownLatch(1);
    try {
      Callable<Object> approve =
          () -> {
            go.await();
            return items.approve(item.id());
          };
      Callable<Object> edit =
          () -> {
            go.await();
            return items.update(item.id(), request("news", "改过的", VILLAGE));
          };
      Future<Object> a = pool.submit(approve);
      Future<Object> b = pool.submit(edit);
      go.countDown();
      Object ra = outcome(a);
      Object rb = outcome(b);
      Item finalItem = items.find(item.id()).orElseThrow();
      assertThat(finalItem.state()).isEqualTo(ItemState.APPROVED);
      // Either the edit landed before the approval (and the approved item has the new title),
      // or it came after and was refused: never an edit silently overwriting the approval.
      if (rb instanceof Item) {
        assertThat(finalItem.title()).isEqualTo("改过的");
        assertThat(finalItem.version()).isEqualTo(3);
      } else {
        assertThat(rb).isInstanceOf(ConflictException.class);
        assertThat(finalItem.title()).isEqualTo("并发");
      }
      assertThat(ra).isInstanceOf(Item.class);
    } finally {
      pool.shutdownNow();
    }
  }

  private static Object outcome(Future<Object> f) throws InterruptedException {
    try {
      return f.get();
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    }
  }

  @Test
  void badInputNamesTheFieldAndStoresNothing() {
    assertField(new ItemRequest("gossip", "t", "", List.of(VILLAGE), DAY.toString(), null), "kind");
    assertField(new ItemRequest("news", " ", "", List.of(VILLAGE), DAY.toString(), null), "title");
    assertField(new ItemRequest("news", "t", "", List.of(), DAY.toString(), null), "areas");
    assertField(
        new ItemRequest("news", "t", "", List.of(VILLAGE, "12345"), DAY.toString(), null),
        "areas[1]");
    assertField(new ItemRequest("news", "t", "", List.of(VILLAGE), "27/11/2026", null), "date");
    assertField(
        new ItemRequest("news", "t", "", List.of(VILLAGE), DAY.toString(), "missing"), "clipId");
    cluster.clip("broken", ClipStatus.FAILED, "undecodable");
    assertField(
        new ItemRequest("news", "t", "", List.of(VILLAGE), DAY.toString(), "broken"), "clipId");
    assertThat(items.list(DAY, null, null)).isEmpty();
  }

  private void assertField(ItemRequest req, String field) {
    assertThatThrownBy(() -> items.create(req, "e"))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field));
  }
}
