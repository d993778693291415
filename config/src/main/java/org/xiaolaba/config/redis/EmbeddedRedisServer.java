package org.xiaolaba.config.redis;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.SecretFiles;
import redis.embedded.core.ExecutableProvider;

/**
 * The real redis-server binary shipped in the {@code embedded-redis} artifact, run as a child
 * process on a free loopback port with AOF persistence under {@code <dataDir>/redis}. A second
 * start on the same directory replays the AOF and finds everything the first one stored.
 *
 * <p>It is locked down against other users of the machine: it listens on 127.0.0.1 only (protected
 * mode on) and requires a password, random, made on the first start and kept in {@code
 * <dir>/password} (0600) so that later starts, and the clients of other nodes, use the same one.
 * The password reaches redis-server in {@code <dir>/redis.conf} (0600), never on its command line
 * (which every local user can read in /proc), and is never logged. The directory itself, with the
 * AOF, is 0700. Clients get it in {@link #url()}.
 */
public final class EmbeddedRedisServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedRedisServer.class);
  private static final String PID_FILE = "redis.pid";

  /** The password, kept 0600 in the Redis directory: the same one on every start. */
  public static final String PASSWORD_FILE = "password";

  /** The config file that gives redis-server its password, rewritten 0600 on every start. */
  public static final String CONFIG_FILE = "redis.conf";

  private static final String READY = "Ready to accept connections";
  private static final Path SETSID = Path.of("/usr/bin/setsid");

  private final Process process;
  private final int port;
  private final Path dir;
  private final String password;

  private EmbeddedRedisServer(Process process, int port, Path dir, String password) {
    this.process = process;
    this.port = port;
    this.dir = dir;
    this.password = password;
  }

  /** Starts redis-server persisting into {@code dir}; fails with a message saying what to do. */
  public static EmbeddedRedisServer start(Path dir, Path binDir, String appendfsync) {
    return start(dir, binDir, appendfsync, 0);
  }

  /**
   * Starts redis-server on {@code port} (0: any free one) persisting into {@code dir}: a fixed port
   * lets a test stop Redis and start it again where the clients expect it.
   */
  public static EmbeddedRedisServer start(
      Path dir, Path binDir, String appendfsync, int fixedPort) {
    String password;
    Path config = dir.resolve(CONFIG_FILE);
    try {
      SecretFiles.ownerOnlyDirectory(dir);
      Files.createDirectories(binDir);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot create the embedded Redis directory " + dir + ": " + e.getMessage(), e);
    }
    try {
      password =
          SecretFiles.readOrCreate(dir.resolve(PASSWORD_FILE), () -> SecretFiles.randomHex(32));
      SecretFiles.writeOwnerOnly(
          config,
          "# Written by xiaolaba on every start of its embedded Redis; the rest is on the command"
              + " line.\nrequirepass "
              + password
              + "\n");
    } catch (IOException e) {
      throw new ConfigException(
          "cannot write the embedded Redis password into "
              + dir
              + " (it must be writable by this user only): "
              + e.getMessage(),
          e);
    }
    File binary = binary(binDir);
    stopOrphan(dir);
    String last = "unknown reason";
    // A free port can be taken between probing and binding; try a few before giving up.
    for (int attempt = 0; attempt < (fixedPort > 0 ? 1 : 5); attempt++) {
      int port = fixedPort > 0 ? fixedPort : freeLoopbackPort();
      try {
        Process process = launch(binary, config, port, dir, appendfsync);
        Optional<String> failure = awaitReady(process, port);
        if (failure.isEmpty()) {
          log.info(
              "Embedded Redis started on 127.0.0.1:{}, persisting (AOF, appendfsync {}) into {};"
                  + " its password is in {} (readable by this user only)",
              port,
              appendfsync,
              dir.toAbsolutePath(),
              dir.toAbsolutePath().resolve(PASSWORD_FILE));
          return new EmbeddedRedisServer(process, port, dir, password);
        }
        last = failure.get();
        process.destroyForcibly();
        log.warn("Embedded Redis did not start on port {} ({}); trying another port", port, last);
      } catch (IOException e) {
        throw unsupported(new IllegalStateException(e.getMessage(), e));
      }
    }
    throw new ConfigException(
        "the embedded Redis did not start: "
            + last
            + ". Install Redis and set XIAOLABA_REDIS_URL=redis://host:port instead.");
  }

  /**
   * The redis-server binary for this OS and architecture, unpacked into {@code binDir}: it also
   * runs Redis Sentinel ({@code --sentinel}).
   */
  public static Path binaryPath(Path binDir) {
    return binary(binDir).toPath();
  }

  /** The redis-server binary for this OS and architecture, unpacked from the artifact. */
  private static File binary(Path binDir) {
    try {
      return ExecutableProvider.newJarResourceProvider(binDir.toFile()).get();
    } catch (IOException | RuntimeException e) {
      throw unsupported(e instanceof RuntimeException r ? r : new IllegalStateException(e));
    }
  }

  /**
   * We run the process ourselves rather than through the library's {@code RedisServer}, whose JVM
   * shutdown hook would stop Redis while our own graceful shutdown still needs it. {@code setsid}
   * keeps a terminal's Ctrl-C from reaching Redis directly: the server stops it last. The config
   * file (the password) comes first; nothing secret is on the command line.
   */
  private static Process launch(File binary, Path config, int port, Path dir, String appendfsync)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(SETSID)) cmd.add(SETSID.toString());
    cmd.addAll(
        List.of(
            binary.getAbsolutePath(),
            config.toAbsolutePath().toString(),
            "--port",
            Integer.toString(port),
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--dir",
            dir.toAbsolutePath().toString(),
            "--pidfile",
            dir.toAbsolutePath().resolve(PID_FILE).toString(),
            "--appendonly",
            "yes",
            "--appendfsync",
            appendfsync,
            "--save",
            ""));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** Waits for the ready line; empty when ready, else why not. Output keeps draining afterwards. */
  private static Optional<String> awaitReady(Process process, int port) {
    CompletableFuture<Optional<String>> ready = new CompletableFuture<>();
    Thread drain =
        new Thread(
            () -> {
              String lastLine = "redis-server exited";
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  log.debug("redis-server: {}", line);
                  lastLine = line;
                  if (line.contains(READY)) ready.complete(Optional.empty());
                }
              } catch (IOException e) {
                lastLine = e.getMessage();
              }
              ready.complete(Optional.of(lastLine.replaceAll("^.*? [.*#-] ", "")));
            },
            "redis-server-log-" + port);
    drain.setDaemon(true);
    drain.start();
    try {
      return ready.get(15, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return Optional.of("not ready within 15 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while starting");
    } catch (ExecutionException e) {
      return Optional.of(e.getCause().toString());
    }
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

  /**
   * How clients reach it, password included ({@code redis://:PASSWORD@127.0.0.1:PORT}): keep it out
   * of logs and command lines.
   */
  public String url() {
    return "redis://:" + password + "@127.0.0.1:" + port;
  }

  /** The password every client must give (AUTH); kept in {@code <dir>/password}. */
  public String password() {
    return password;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Stops the server (SIGTERM) and waits for it to exit; redis-server fsyncs the AOF and removes
   * its pid file on this clean shutdown. A server that does not stop in 15 s is killed.
   */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        log.warn("Embedded Redis on port {} did not stop within 15 s; killing it", port);
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      log.info("Embedded Redis on port {} stopped", port);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
