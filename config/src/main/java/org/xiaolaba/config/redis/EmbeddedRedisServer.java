package org.xiaolaba.config.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.ConfigException;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * The real redis-server binary shipped in the {@code embedded-redis} artifact, run as a child
 * process on a free loopback port with AOF persistence under {@code <dataDir>/redis}. A second
 * start on the same directory replays the AOF and finds everything the first one stored.
 */
public final class EmbeddedRedisServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedRedisServer.class);
  private static final String PID_FILE = "redis.pid";

  private final RedisServer server;
  private final int port;
  private final Path dir;

  private EmbeddedRedisServer(RedisServer server, int port, Path dir) {
    this.server = server;
    this.port = port;
    this.dir = dir;
  }

  /** Starts redis-server persisting into {@code dir}; fails with a message saying what to do. */
  public static EmbeddedRedisServer start(Path dir, Path binDir, String appendfsync) {
    try {
      Files.createDirectories(dir);
      Files.createDirectories(binDir);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot create the embedded Redis directory " + dir + ": " + e.getMessage(), e);
    }
    stopOrphan(dir);
    IOException last = null;
    // A free port can be taken between probing and binding; try a few before giving up.
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = freeLoopbackPort();
      try {
        RedisServer server =
            RedisServer.newRedisServer()
                .executableProvider(ExecutableProvider.newJarResourceProvider(binDir.toFile()))
                .bind("127.0.0.1")
                .port(port)
                .setting("dir " + dir.toAbsolutePath())
                .setting("pidfile " + dir.toAbsolutePath().resolve(PID_FILE))
                .setting("appendonly yes")
                .setting("appendfsync " + appendfsync)
                .setting("save \"\"")
                .setting("protected-mode yes")
                .setting("daemonize no")
                // false: stop() sends SIGTERM and waits, so redis-server flushes the AOF and
                // removes its pid file. true would make every stop a SIGKILL without waiting.
                .onShutdownForceStop(false)
                .build();
        server.start();
        log.info(
            "Embedded Redis started on 127.0.0.1:{}, persisting (AOF, appendfsync {}) into {}",
            port,
            appendfsync,
            dir.toAbsolutePath());
        return new EmbeddedRedisServer(server, port, dir);
      } catch (IOException e) {
        last = e;
        log.warn(
            "Embedded Redis did not start on port {} ({}); trying another port",
            port,
            e.getMessage());
      } catch (RuntimeException e) {
        throw unsupported(e);
      }
    }
    throw new ConfigException(
        "the embedded Redis did not start: "
            + (last == null ? "unknown reason" : last.getMessage())
            + ". Install Redis and set XIAOLABA_REDIS_URL=redis://host:port instead.",
        last);
  }

  private static ConfigException unsupported(RuntimeException e) {
    return new ConfigException(
        "no embedded redis-server binary runs on this system ("
            + System.getProperty("os.name")
            + "/"
            + System.getProperty("os.arch")
            + ": "
            + e.getMessage()
            + "). Install Redis 6.2 or newer and set XIAOLABA_REDIS_URL=redis://host:port.",
        e);
  }

  /**
   * A previous run killed with SIGKILL leaves its redis-server running on our AOF. Two servers on
   * one AOF would corrupt it, so stop the orphan first.
   */
  private static void stopOrphan(Path dir) {
    Path pidFile = dir.resolve(PID_FILE);
    Optional<ProcessHandle> orphan =
        readPid(pidFile)
            .flatMap(ProcessHandle::of)
            .filter(ProcessHandle::isAlive)
            .filter(p -> p.info().command().map(c -> c.contains("redis-server")).orElse(false));
    orphan.ifPresent(
        p -> {
          log.warn(
              "An embedded Redis from an earlier run (pid {}) still holds {}; stopping it before starting ours",
              p.pid(),
              dir);
          p.destroy();
          try {
            p.onExit().get(10, TimeUnit.SECONDS);
          } catch (Exception e) {
            p.destroyForcibly();
          }
        });
  }

  private static Optional<Long> readPid(Path pidFile) {
    try {
      return Optional.of(
          Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static int freeLoopbackPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Stops the server and waits for it to exit; redis-server flushes the AOF and removes its pid
   * file on this clean shutdown.
   */
  @Override
  public void close() {
    try {
      server.stop();
      log.info("Embedded Redis on port {} stopped", port);
    } catch (IOException e) {
      log.warn("Embedded Redis on port {} did not stop cleanly: {}", port, e.getMessage());
    }
  }
}
