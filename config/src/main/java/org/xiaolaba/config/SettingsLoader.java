package org.xiaolaba.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Builds {@link Settings} from three layers, each overriding the one before: the embedded defaults
 * ({@code xiaolaba-defaults.yaml}), an optional YAML file, and the environment.
 *
 * <p>The environment rule covers every scalar key: {@code XIAOLABA_} plus the key path in upper
 * snake case, segments joined by {@code _}. So {@code redis.url} is {@code XIAOLABA_REDIS_URL} and
 * {@code media.maxUploadSize} is {@code XIAOLABA_MEDIA_MAX_UPLOAD_SIZE}. Lists (the area tree) are
 * set in the file only.
 */
public final class SettingsLoader {
  public static final String DEFAULTS_RESOURCE = "/xiaolaba-defaults.yaml";
  public static final String ENV_PREFIX = "XIAOLABA_";

  private final ObjectMapper yaml;

  public SettingsLoader() {
    SimpleModule texts =
        new SimpleModule()
            .addDeserializer(Duration.class, new DurationText())
            .addDeserializer(ByteSize.class, new ByteSizeText());
    this.yaml =
        new ObjectMapper(new YAMLFactory())
            .registerModule(texts)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
  }

  /** Defaults only: what the server runs with when nothing is configured. */
  public Settings defaults() {
    return load(Optional.empty(), Map.of());
  }

  public Settings load(Optional<Path> file, Map<String, String> env) {
    ObjectNode tree = readDefaults();
    file.ifPresent(f -> merge(tree, readFile(f)));
    Map<String, String> sources = applyEnvironment(tree, env);
    Settings settings = bind(tree, sources);
    SettingsValidator.validate(settings, sources);
    return settings;
  }

  /** The environment variable that overrides a key path such as {@code media.maxUploadSize}. */
  public static String envName(String keyPath) {
    StringBuilder sb = new StringBuilder(ENV_PREFIX);
    for (char c : keyPath.toCharArray()) {
      if (c == '.') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString().toUpperCase(Locale.ROOT);
  }

  private ObjectNode readDefaults() {
    try (InputStream in = SettingsLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath");
      }
      return (ObjectNode) yaml.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ObjectNode readFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config file '" + file + "' does not exist or is not a file");
    }
    try {
      JsonNode node = yaml.readTree(file.toFile());
      if (node == null || node.isMissingNode() || node.isNull()) {
        return yaml.createObjectNode();
      }
      if (!node.isObject()) {
        throw new ConfigException(
            "config file '"
                + file
                + "' must hold a YAML mapping of keys, not "
                + node.getNodeType());
      }
      return (ObjectNode) node;
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          "config file '" + file + "' is not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException("config file '" + file + "' cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Deep merge: mappings merge key by key, anything else (scalars, lists) replaces. A key left
   * empty (YAML null, as in a section whose keys are all commented out) keeps the value below it.
   */
  private static void merge(ObjectNode target, ObjectNode overlay) {
    Iterator<Map.Entry<String, JsonNode>> fields = overlay.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      JsonNode existing = target.get(e.getKey());
      if (e.getValue().isNull() && existing != null) {
        continue;
      }
      if (existing instanceof ObjectNode obj && e.getValue() instanceof ObjectNode over) {
        merge(obj, over);
      } else {
        target.set(e.getKey(), e.getValue());
      }
    }
  }

  /** Applies overrides to every scalar key; returns key path → variable for error messages. */
  private static Map<String, String> applyEnvironment(ObjectNode tree, Map<String, String> env) {
    Map<String, String> sources = new HashMap<>();
    applyEnvironment(tree, "", env, sources);
    return sources;
  }

  private static void applyEnvironment(
      ObjectNode node, String prefix, Map<String, String> env, Map<String, String> sources) {
    List<String> names = iterable(node.fieldNames());
    for (String name : names) {
      String path = prefix.isEmpty() ? name : prefix + "." + name;
      JsonNode child = node.get(name);
      if (child instanceof ObjectNode obj) {
        applyEnvironment(obj, path, env, sources);
      } else if (!child.isArray()) {
        String var = envName(path);
        String value = env.get(var);
        if (value != null) {
          node.set(name, TextNode.valueOf(value));
          sources.put(path, var);
        }
      }
    }
  }

  private static List<String> iterable(Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  private Settings bind(ObjectNode tree, Map<String, String> sources) {
    try {
      return yaml.treeToValue(tree, Settings.class);
    } catch (UnrecognizedPropertyException e) {
      String key = keyPath(e);
      throw new ConfigException(
          "unknown config key '"
              + key
              + "'; known keys here: "
              + e.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList());
    } catch (JsonMappingException e) {
      String key = keyPath(e);
      Object value = e instanceof InvalidFormatException ife ? ife.getValue() : valueAt(tree, key);
      String from = sources.containsKey(key) ? " (from " + sources.get(key) + ")" : "";
      throw new ConfigException(
          "config key '" + key + "'" + from + " has value '" + value + "': " + reason(e), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException("config cannot be read: " + e.getOriginalMessage(), e);
    }
  }

  private static String reason(JsonMappingException e) {
    String msg = e.getOriginalMessage();
    if (e instanceof InvalidFormatException ife) {
      String expected = expectedScalar(ife.getTargetType());
      if (expected != null) return expected;
    }
    if (e instanceof MismatchedInputException mie
        && mie.getTargetType() != null
        && mie.getTargetType().isPrimitive()
        && msg.startsWith("Cannot map `null`")) {
      // A missing or empty key of a mapping that has no default (a new profile, say).
      return expectedScalar(mie.getTargetType()) + "; the key is missing or empty";
    }
    // Jackson wraps our own parse messages: keep the part that says what is allowed.
    int i = msg.indexOf("expected ");
    return i >= 0 ? msg.substring(i) : msg;
  }

  private static String expectedScalar(Class<?> t) {
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
      return "expected a whole number";
    }
    if (t == double.class || t == Double.class) return "expected a number";
    if (t == boolean.class || t == Boolean.class) return "expected true or false";
    return null;
  }

  private static String keyPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  private static Object valueAt(JsonNode tree, String keyPath) {
    JsonNode n = tree;
    for (String part : keyPath.split("\\.")) {
      if (n == null) return null;
      n = n.get(part.replaceAll("\\[.*", ""));
    }
    return n == null ? null : n.isValueNode() ? n.asText() : n.toString();
  }
}
