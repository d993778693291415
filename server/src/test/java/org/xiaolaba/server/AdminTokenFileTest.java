package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin token generated on a first start goes to {@code <dataDir>/admin-token}, readable by the
 * owner only; it is shown once on the console, and the log says where it is, never what it is.
 */
class AdminTokenFileTest {
  @TempDir Path dataDir;

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void theGeneratedTokenIsWrittenOwnerOnlyKeptOnRestartAndRemovedOnceAConfiguredOneReplacesIt()
      throws Exception {
    Path file = dataDir.resolve("admin-token");
    String generated;
    try (TestServer first = TestServer.start(dataDir, Map.of("XIAOLABA_ADMIN_TOKEN", ""))) {
      generated = first.generatedAdminToken().orElseThrow();
      assertThat(perms(file)).isEqualTo("rw-------");
      assertThat(Files.readString(file)).isEqualTo(generated + "\n");
      assertThat(first.get("/api/v1/clips/x", Files.readString(file).strip()).statusCode())
          .as("the token in the file logs in")
          .isEqualTo(404);
    }
    try (TestServer second = TestServer.start(dataDir, Map.of("XIAOLABA_ADMIN_TOKEN", ""))) {
      assertThat(second.generatedAdminToken()).isEmpty();
      assertThat(Files.readString(file)).isEqualTo(generated + "\n");
      assertThat(second.get("/api/v1/clips/x", generated).statusCode()).isEqualTo(404);
    }
    try (TestServer third = TestServer.start(dataDir)) {
      assertThat(file).as("a retired token is not left lying around").doesNotExist();
      assertThat(third.get("/api/v1/clips/x", generated).statusCode()).isEqualTo(401);
      assertThat(third.get("/api/v1/clips/x", TestServer.ADMIN).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aNodeProcessShowsTheTokenOnceAndLogsWhereItIsButNeitherItNorTheRedisPassword()
      throws Exception {
    Path nodeDir = dataDir.resolve("node");
    // no admin token and no Redis URL: a generated token and the embedded, password-locked Redis
    try (NodeProcess node =
        NodeProcess.start(
            nodeDir, "", Map.of("XIAOLABA_ADMIN_TOKEN", "", "XIAOLABA_REDIS_URL", ""))) {
      Path file = nodeDir.resolve("admin-token");
      String token = Files.readString(file).strip();
      assertThat(token).hasSizeGreaterThanOrEqualTo(43);
      assertThat(perms(file)).isEqualTo("rw-------");
      HttpResponse<String> r =
          node.postJson(
              "/api/v1/tokens",
              token,
              Map.of("role", "editor", "name", "e", "areas", List.of("320623")));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);

      String redisPassword = Files.readString(nodeDir.resolve("redis").resolve("password")).strip();
      String log = Files.readString(nodeDir.resolve("node.log"));
      assertThat(log).contains("written to " + file.toAbsolutePath()).doesNotContain(redisPassword);
      // Shown once on the console, in the banner, and in no line of the logger's.
      List<String> showing = log.lines().filter(l -> l.contains(token)).toList();
      assertThat(showing).containsExactly("   " + token);
    }
  }
}
