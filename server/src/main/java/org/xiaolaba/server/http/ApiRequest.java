package org.xiaolaba.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.server.auth.Principal;

/** One HTTP request as a route sees it, with its body already complete (in memory or on disk). */
public record ApiRequest(
    HttpMethod method,
    String path,
    Map<String, String> pathParams,
    Map<String, List<String>> query,
    HttpHeaders headers,
    byte[] body,
    Path bodyFile,
    Principal principal,
    String remoteAddress) {

  public String param(String name) {
    return pathParams.get(name);
  }

  public Optional<String> queryParam(String name) {
    List<String> v = query.get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
  }

  /** Binds the JSON body; a missing, malformed or mistyped body is a 400 naming the field. */
  public <T> T json(Class<T> type) {
    if (body == null || body.length == 0) {
      throw new InvalidInputException("body", "the request needs a JSON body");
    }
    try {
      T value = Json.MAPPER.readValue(body, type);
      if (value == null) {
        throw new InvalidInputException("body", "the JSON body must be an object, not null");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      throw new InvalidInputException(fieldOf(e), "unknown field '" + e.getPropertyName() + "'");
    } catch (InvalidFormatException e) {
      throw new InvalidInputException(
          fieldOf(e), "cannot read '" + e.getValue() + "' as " + typeName(e.getTargetType()));
    } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
      // A value its type refused (a role or permission no one has heard of), named by its field.
      String field = fieldOf(e);
      String why = e.getCause() == null ? e.getOriginalMessage() : e.getCause().getMessage();
      throw new InvalidInputException(
          field.isEmpty() ? "body" : field,
          (field.isEmpty() ? "the JSON body" : "field '" + field + "'") + ": " + why);
    } catch (MismatchedInputException e) {
      String field = fieldOf(e);
      throw new InvalidInputException(
          field.isEmpty() ? "body" : field,
          (field.isEmpty() ? "the JSON body" : "field '" + field + "'")
              + " must be "
              + typeName(e.getTargetType()));
    } catch (com.fasterxml.jackson.databind.exc.InvalidDefinitionException e) {
      throw new IllegalStateException("the server cannot bind " + type.getSimpleName(), e);
    } catch (JsonProcessingException e) {
      // A limit exceeded (a number of 1,000+ digits, nesting past 1,000) has no location.
      com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
      throw new InvalidInputException(
          "body",
          "the body is not valid JSON: "
              + e.getOriginalMessage()
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    } catch (java.io.IOException e) {
      throw new InvalidInputException("body", "the body cannot be read: " + e.getMessage());
    }
  }

  private static String fieldOf(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  private static String typeName(Class<?> t) {
    if (t == null) return "a value";
    if (t == String.class) return "text";
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class)
      return "a whole number";
    if (t == double.class || t == Double.class) return "a number";
    if (t == boolean.class || t == Boolean.class) return "true or false";
    if (List.class.isAssignableFrom(t) || t.isArray()) return "a list";
    return "an object";
  }
}
