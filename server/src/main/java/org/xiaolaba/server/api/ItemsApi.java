package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.scheduler.Item;
import org.xiaolaba.scheduler.ItemRequest;
import org.xiaolaba.scheduler.ItemService;
import org.xiaolaba.scheduler.ItemState;
import org.xiaolaba.server.auth.AreaAccess;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;
import org.xiaolaba.server.http.Versions;

/** Editors write items for their areas, approve them and withdraw them. */
public final class ItemsApi {
  private final ItemService items;
  private final AreaAccess access;

  public ItemsApi(ItemService items, AreaAccess access) {
    this.items = items;
    this.access = access;
  }

  public void register(Router router) {
    router
        .add(Route.of(HttpMethod.POST, "/api/v1/items", Route.Body.JSON, this::create, Role.EDITOR))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/items",
                Route.Body.NONE,
                this::list,
                Role.EDITOR,
                Role.BROADCASTER))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/items/{id}",
                Route.Body.NONE,
                this::get,
                Role.EDITOR,
                Role.BROADCASTER))
        .add(
            Route.of(
                HttpMethod.PUT, "/api/v1/items/{id}", Route.Body.JSON, this::update, Role.EDITOR))
        .add(
            Route.of(
                HttpMethod.DELETE,
                "/api/v1/items/{id}",
                Route.Body.NONE,
                this::delete,
                Role.EDITOR))
        .add(
            Route.of(
                HttpMethod.POST,
                "/api/v1/items/{id}/approve",
                Route.Body.NONE,
                r -> ApiResponse.ok(items.approve(owned(r).id())),
                Role.EDITOR))
        .add(
            Route.of(
                HttpMethod.POST,
                "/api/v1/items/{id}/withdraw",
                Route.Body.NONE,
                r -> ApiResponse.ok(items.withdraw(owned(r).id())),
                Role.EDITOR));
  }

  private ApiResponse create(ApiRequest r) {
    ItemRequest sent = r.json(ItemRequest.class);
    ItemRequest req = sent.withAreas(access.authorise(r.principal(), sent.areas(), "areas"));
    Item item = items.create(req, r.principal().id());
    return ApiResponse.json(HttpResponseStatus.CREATED, item)
        .header(HttpHeaderNames.LOCATION, "/api/v1/items/" + item.id())
        .header(HttpHeaderNames.ETAG, tag(item));
  }

  private ApiResponse list(ApiRequest r) {
    String dateText =
        r.queryParam("date")
            .orElseThrow(() -> new InvalidInputException("date", "add ?date=yyyy-MM-dd"));
    LocalDate date;
    try {
      date = LocalDate.parse(dateText);
    } catch (DateTimeParseException e) {
      throw new InvalidInputException("date", "date must be yyyy-MM-dd, not '" + dateText + "'");
    }
    String area = r.queryParam("area").map(a -> access.parseOne(a, "area")).orElse(null);
    ItemState state = r.queryParam("state").map(ItemsApi::state).orElse(null);
    return ApiResponse.ok(
        access.visible(r.principal(), items.list(date, area, state), Item::areas));
  }

  private ApiResponse get(ApiRequest r) {
    Item item = find(r);
    access.requireConcerns(r.principal(), item.areas(), "item " + item.id());
    return ApiResponse.ok(item).header(HttpHeaderNames.ETAG, tag(item));
  }

  private static ItemState state(String text) {
    for (ItemState s : ItemState.values()) {
      if (s.json().equals(text)) return s;
    }
    throw new InvalidInputException(
        "state", "state must be draft, approved or withdrawn, not '" + text + "'");
  }

  private ApiResponse update(ApiRequest r) {
    Item current = owned(r);
    ItemRequest sent = r.json(ItemRequest.class);
    ItemRequest req = sent.withAreas(access.authorise(r.principal(), sent.areas(), "areas"));
    Item changed = items.update(current.id(), req, Versions.ifMatch(r));
    return ApiResponse.ok(changed).header(HttpHeaderNames.ETAG, tag(changed));
  }

  private static String tag(Item item) {
    return Versions.tag(Integer.toString(item.version()));
  }

  private ApiResponse delete(ApiRequest r) {
    items.delete(owned(r).id());
    return ApiResponse.empty(HttpResponseStatus.NO_CONTENT);
  }

  private Item find(ApiRequest r) {
    String id = r.param("id");
    return items.find(id).orElseThrow(() -> new NotFoundException("no item with id '" + id + "'"));
  }

  /** The item, when the caller's token covers its areas. */
  private Item owned(ApiRequest r) {
    Item item = find(r);
    access.require(r.principal(), item.areas());
    return item;
  }
}
