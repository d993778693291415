package org.xiaolaba.terminal;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where a reference terminal connects and keeps its data. {@code server} is the server's address,
 * {@code ws://HOST:PORT} (or {@code wss://}, or the full {@code /ws} URL); audio URLs are resolved
 * against its HTTP form.
 */
public record TerminalConfig(URI server, String token, Path dataDir, int volume) {
  private static final Set<String> SCHEMES = Set.of("ws", "wss", "http", "https");

  public TerminalConfig {
    if (server == null || server.getScheme() == null || !SCHEMES.contains(server.getScheme())) {
      throw new IllegalArgumentException(
          "--server must be a ws:// or wss:// address such as ws://127.0.0.1:8080, not '"
              + server
              + "'");
    }
    if (server.getHost() == null) {
      throw new IllegalArgumentException("--server '" + server + "' names no host");
    }
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException(
          "--token is required: the terminal token an admin created");
    }
    if (dataDir == null) throw new IllegalArgumentException("--data is required");
    if (volume < 0 || volume > 100) {
      throw new IllegalArgumentException("--volume must be 0 to 100, not " + volume);
    }
  }

  /**
   * The WebSocket URL, {@code ws://HOST:PORT/ws}: without the token, which goes in the first frame
   * ({@link #authFrame}), never in a URL.
   */
  URI webSocketUri() {
    String scheme =
        server.getScheme().equals("https") || server.getScheme().equals("wss") ? "wss" : "ws";
    String path =
        server.getPath() == null || server.getPath().isEmpty() || server.getPath().equals("/")
            ? "/ws"
            : server.getPath();
    return URI.create(scheme + "://" + server.getRawAuthority() + path);
  }

  /** The first frame on every connection: {@code {"op": "auth", "token": "..."}}. */
  String authFrame() {
    Map<String, String> frame = new LinkedHashMap<>();
    frame.put("op", "auth");
    frame.put("token", token);
    try {
      return Json.MAPPER.writeValueAsString(frame);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Never the token: configurations end up in logs. */
  @Override
  public String toString() {
    return "TerminalConfig[server=" + server + ", dataDir=" + dataDir + ", volume=" + volume + "]";
  }

  /** The server's HTTP origin, against which {@code /media/...} URLs resolve. */
  URI httpBase() {
    String scheme =
        server.getScheme().equals("wss") || server.getScheme().equals("https") ? "https" : "http";
    return URI.create(scheme + "://" + server.getRawAuthority() + "/");
  }
}
