package org.xiaolaba.config.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.SettingsLoader;
import org.xiaolaba.config.testing.TestSettings;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The embedded Redis is closed to other users of the machine: a password only its owner can read,
 * kept across restarts, never on redis-server's command line; loopback only; 0700/0600 files.
 */
class EmbeddedRedisLockdownTest {
  @TempDir Path dir;

  private EmbeddedRedisServer start() {
    return EmbeddedRedisServer.start(dir.resolve("redis"), TestSettings.sharedBinDir(), "always");
  }

  /** The first line Redis answers to {@code command}, sent over a plain socket. */
  private static String raw(int port, String command) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
          .readLine();
    }
  }

  @Test
  void aClientWithoutThePasswordGetsNoauthAndOneWithTheUrlGetsIn() throws Exception {
    try (EmbeddedRedisServer redis = start()) {
      assertThat(raw(redis.port(), "PING")).startsWith("-NOAUTH");
      assertThat(raw(redis.port(), "SET xl:token:forged admin")).startsWith("-NOAUTH");
      try (Jedis anonymous = new Jedis("127.0.0.1", redis.port())) {
        assertThatThrownBy(() -> anonymous.set("xl:token:forged", "{}"))
            .isInstanceOf(JedisDataException.class)
            .hasMessageStartingWith("NOAUTH");
      }
      try (Jedis wrong = new Jedis("127.0.0.1", redis.port())) {
        assertThatThrownBy(() -> wrong.auth("not-the-password"))
            .isInstanceOf(JedisDataException.class);
      }
      try (Jedis owner = new Jedis(URI.create(redis.url()))) {
        assertThat(owner.ping()).isEqualTo("PONG");
        assertThat(owner.exists("xl:token:forged")).isFalse();
        assertThat(owner.configGet("bind")).containsEntry("bind", "127.0.0.1");
        assertThat(owner.configGet("protected-mode")).containsEntry("protected-mode", "yes");
      }
      assertThat(redis.password()).matches("[0-9a-f]{64}");
    }
  }

  @Test
  void theDirectoryIsOwnerOnlyAndThePasswordAndConfigFilesToo() throws Exception {
    try (EmbeddedRedisServer redis = start()) {
      Path redisDir = dir.resolve("redis");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(redisDir)))
          .isEqualTo("rwx------");
      for (String f : new String[] {"password", "redis.conf"}) {
        assertThat(
                PosixFilePermissions.toString(Files.getPosixFilePermissions(redisDir.resolve(f))))
            .as(f)
            .isEqualTo("rw-------");
      }
      assertThat(Files.readString(redisDir.resolve("password")).strip())
          .isEqualTo(redis.password());
      assertThat(Files.readString(redisDir.resolve("redis.conf")))
          .contains("requirepass " + redis.password());
      // no temporary file left behind next to them
      try (var files = Files.list(redisDir)) {
        assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
      }
    }
  }

  @Test
  void thePasswordReachesRedisInItsConfigFileNotOnItsCommandLine() throws Exception {
    try (EmbeddedRedisServer redis = start();
        Jedis j = new Jedis(URI.create(redis.url()))) {
      assertThat(j.info("server"))
          .contains(
              "config_file:" + dir.resolve("redis").resolve("redis.conf").toRealPath().toString());
      long pid = Long.parseLong(Files.readString(dir.resolve("redis").resolve("redis.pid")).trim());
      // what any local user can read: /proc/PID/cmdline
      String cmdline =
          new String(
              Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
              StandardCharsets.UTF_8);
      assertThat(cmdline).doesNotContain(redis.password());
    }
  }

  @Test
  void aRestartReusesThePasswordAndTheData() {
    String password;
    try (EmbeddedRedisServer first = start();
        Jedis j = new Jedis(URI.create(first.url()))) {
      password = first.password();
      j.set("kept", "across restarts");
    }
    try (EmbeddedRedisServer second = start();
        Jedis j = new Jedis(URI.create(second.url()))) {
      assertThat(second.password()).isEqualTo(password);
      assertThat(j.get("kept")).isEqualTo("across restarts");
    }
  }

  @Test
  void widerPermissionsLeftOnAnExistingDirectoryAndPasswordAreTakenDown() throws Exception {
    Path redisDir = dir.resolve("redis");
    Files.createDirectories(redisDir);
    Files.setPosixFilePermissions(redisDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path password = redisDir.resolve("password");
    Files.writeString(password, "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5\n");
    Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-r--r--"));

    try (EmbeddedRedisServer redis = start()) {
      assertThat(redis.password()).isEqualTo("a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(redisDir)))
          .isEqualTo("rwx------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(password)))
          .isEqualTo("rw-------");
    }
  }

  @Test
  void theHandlesPoolAndASecondHandleOnItsUrlAuthenticate() {
    Map<String, String> env = new HashMap<>();
    env.put("XIAOLABA_DATA_DIR", dir.toString());
    SettingsLoader loader = new SettingsLoader();
    try (RedisHandle first = RedisHandle.open(loader.load(Optional.empty(), env))) {
      assertThat(first.ping()).isTrue();
      first.client().set("from-first", "1");
      assertThat(first.uri().getUserInfo()).isNotBlank();
      env.put("XIAOLABA_REDIS_URL", first.uri().toString());
      try (RedisHandle second = RedisHandle.open(loader.load(Optional.empty(), env))) {
        assertThat(second.isEmbedded()).isFalse();
        assertThat(second.client().get("from-first")).isEqualTo("1");
      }
      String noPassword = "redis://127.0.0.1:" + first.uri().getPort();
      env.put("XIAOLABA_REDIS_URL", noPassword);
      try (RedisHandle anonymous = RedisHandle.open(loader.load(Optional.empty(), env))) {
        assertThat(anonymous.ping()).as("a client without the password").isFalse();
      }
    }
  }
}
