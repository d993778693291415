package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.xiaolaba.config.errors.ConflictException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipLibrary;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.scheduler.Item;
import org.xiaolaba.scheduler.ItemService;
import org.xiaolaba.scheduler.Program;
import org.xiaolaba.scheduler.ProgramService;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiException;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.ClientThrottle;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/**
 * Editors upload audio; editors and broadcasters list the clips (newest first, in pages), follow a
 * clip to ready and find its renditions. Editors delete clips that no program with a run to come
 * plays and no bulletin to come reads out.
 */
public final class ClipsApi {
  static final int DEFAULT_LIMIT = 50;

  private final ClipLibrary library;
  private final ProgramService programs;
  private final ItemService items;
  private final ZoneId zone;

  public ClipsApi(ClipLibrary library, ProgramService programs, ItemService items, ZoneId zone) {
    this.items = items;
    this.zone = zone;
    this.library = library;
    this.programs = programs;
  }

  public void register(Router router) {
    router
        .add(
            Route.of(HttpMethod.POST, "/api/v1/clips", Route.Body.UPLOAD, this::upload, Role.EDITOR)
                .throttled(ClientThrottle.Kind.UPLOAD))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/clips",
                Route.Body.NONE,
                this::list,
                Role.EDITOR,
                Role.BROADCASTER))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/clips/{id}",
                Route.Body.NONE,
                this::get,
                Role.EDITOR,
                Role.BROADCASTER))
        .add(
            Route.of(
                HttpMethod.DELETE,
                "/api/v1/clips/{id}",
                Route.Body.NONE,
                this::delete,
                Role.EDITOR));
  }

  private ApiResponse upload(ApiRequest r) throws IOException {
    Path body = r.bodyFile();
    if (Files.size(body) == 0)
      throw new InvalidInputException(
          "body",
          "the request has no body; send the audio file as the body or as multipart field 'file'");
    String title = r.queryParam("title").orElse(null);
    String contentType = r.headers().get(HttpHeaderNames.CONTENT_TYPE);
    Path audio = body;
    if (MultipartUpload.isMultipart(contentType)) {
      MultipartUpload.Part part = MultipartUpload.extract(body, contentType, library.incomingDir());
      audio = part.file();
      if (title == null) title = part.title();
    }
    try {
      if (title == null || title.isBlank())
        throw new InvalidInputException("title", "title is required: add ?title=… to the URL");
      if (title.length() > 200)
        throw new InvalidInputException("title", "title is longer than 200 characters");
      Optional<String> notAudio = NotAudio.identify(audio);
      if (notAudio.isPresent()) {
        throw new ApiException(
            HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
            "the file is "
                + notAudio.get()
                + ", not audio: send an audio file (MP3, WAV, FLAC, AAC/M4A, Ogg, AMR, …)");
      }
      Clip clip = library.ingest(audio, title.trim());
      return ApiResponse.json(HttpResponseStatus.ACCEPTED, clip)
          .header(HttpHeaderNames.LOCATION, "/api/v1/clips/" + clip.id());
    } finally {
      if (audio != body) Files.deleteIfExists(audio); // ingest moved it when it took it
    }
  }

  /**
   * Newest first: {@code limit} (default 50, at most 200), after {@code cursor} (a page's {@code
   * nextCursor}) or created before {@code before} (an ISO instant), of {@code status} when given.
   */
  private ApiResponse list(ApiRequest r) {
    int limit = r.queryParam("limit").map(ClipsApi::limit).orElse(DEFAULT_LIMIT);
    Instant before = r.queryParam("before").map(ClipsApi::instant).orElse(null);
    ClipStatus status = r.queryParam("status").map(ClipsApi::status).orElse(null);
    return ApiResponse.ok(library.list(limit, r.queryParam("cursor").orElse(null), before, status));
  }

  private static int limit(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          "limit", "limit must be a whole number from 1 to 200, not '" + text + "'");
    }
  }

  private static Instant instant(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidInputException(
          "before",
          "before must be an ISO instant with an offset, e.g. 2026-11-27T08:00:00+08:00, not '"
              + text
              + "'");
    }
  }

  private static ClipStatus status(String text) {
    for (ClipStatus s : ClipStatus.values()) {
      if (s.json().equals(text)) return s;
    }
    throw new InvalidInputException(
        "status", "status must be processing, ready or failed, not '" + text + "'");
  }

  private ApiResponse get(ApiRequest r) {
    return ApiResponse.ok(find(r.param("id")));
  }

  /**
   * 204 once the clip and its files are gone; 409 naming the programs with a run to come that play
   * it, or while it is still processing. A program created between the check and the deletion finds
   * the clip gone when it fires, and logs that run with the error.
   */
  private ApiResponse delete(ApiRequest r) {
    String id = r.param("id");
    Clip clip = find(id);
    List<Program> using = programs.programsUsingClip(clip.id());
    if (!using.isEmpty()) {
      throw new ConflictException(
          "clip '"
              + clip.id()
              + "' is played by "
              + using.size()
              + " program(s) with runs to come ("
              + using.stream()
                  .map(p -> "'" + p.title() + "' " + p.id())
                  .collect(Collectors.joining(", "))
              + "); delete those programs first",
          using.stream().map(Program::id).toList());
    }
    List<Item> items = this.items.usingClip(clip.id(), LocalDate.now(zone));
    if (!items.isEmpty()) {
      throw new ConflictException(
          "clip '"
              + clip.id()
              + "' is read out in the bulletins of "
              + items.size()
              + " item(s) ("
              + items.stream()
                  .map(i -> "'" + i.title() + "' " + i.id() + " on " + i.date())
                  .collect(Collectors.joining(", "))
              + "); withdraw them or change their clip first",
          items.stream().map(Item::id).toList());
    }
    if (!library.delete(clip.id())) throw notFound(id);
    return ApiResponse.empty(HttpResponseStatus.NO_CONTENT);
  }

  private Clip find(String id) {
    return library.find(id).orElseThrow(() -> notFound(id));
  }

  private static NotFoundException notFound(String id) {
    return new NotFoundException("no clip with id '" + id + "'");
  }
}
