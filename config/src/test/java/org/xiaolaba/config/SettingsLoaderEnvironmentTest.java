package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderEnvironmentTest {
  @TempDir Path dir;

  private final SettingsLoader loader = new SettingsLoader();

  private Settings withEnv(Map<String, String> env) {
    return loader.load(Optional.empty(), env);
  }

  @Test
  void theFourDocumentedVariablesSetPortDataDirRedisAndAdminToken() {
    Settings s =
        withEnv(
            Map.of(
                "XIAOLABA_PORT", "7070",
                "XIAOLABA_DATA_DIR", "/var/lib/xiaolaba",
                "XIAOLABA_REDIS_URL", "redis://app:secret@redis.internal:6380/2",
                "XIAOLABA_ADMIN_TOKEN", "s3cret-admin-7Hq2Lx9Vd4Rk8Wm1Tz6Pb3"));

    assertThat(s.port()).isEqualTo(7070);
    assertThat(s.dataDir()).isEqualTo(Path.of("/var/lib/xiaolaba"));
    assertThat(s.redis().url()).isEqualTo("redis://app:secret@redis.internal:6380/2");
    assertThat(s.redis().isEmbedded()).isFalse();
    assertThat(s.admin().token()).isEqualTo("s3cret-admin-7Hq2Lx9Vd4Rk8Wm1Tz6Pb3");
  }

  @Test
  void theEnvironmentWinsOverTheFile() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("xiaolaba.yaml"),
            """
            port: 9090
            dataDir: /from/file
            admin:
              token: from-file-5Gt8Kw2Qz7Xm4Rv9Lp1Hn6Bc3
            media:
              profiles:
                loudspeaker:
                  bitrate: 48000
                  channels: 1
            """);

    Settings s =
        loader.load(
            Optional.of(file),
            Map.of(
                "XIAOLABA_PORT", "7070",
                "XIAOLABA_ADMIN_TOKEN", "from-env-3Jd7Nq1Wx5Ty9Mk2Rb8Fs4Lg6",
                "XIAOLABA_MEDIA_PROFILES_LOUDSPEAKER_BITRATE", "32000"));

    assertThat(s.port()).isEqualTo(7070);
    assertThat(s.admin().token()).isEqualTo("from-env-3Jd7Nq1Wx5Ty9Mk2Rb8Fs4Lg6");
    assertThat(s.media().profiles().get("loudspeaker").bitrate()).isEqualTo(32000);
    assertThat(s.dataDir()).isEqualTo(Path.of("/from/file"));
  }

  @Test
  void aNestedKeyIsOverriddenByItsPathInUpperSnakeCase() {
    Settings s =
        withEnv(
            Map.of(
                "XIAOLABA_MEDIA_PROFILES_LOUDSPEAKER_BITRATE", "32000",
                "XIAOLABA_MEDIA_PROFILES_APP_TARGET_LUFS", "-14.5",
                "XIAOLABA_REDIS_EMBEDDED_APPENDFSYNC", "everysec",
                "XIAOLABA_FFMPEG_WORKERS", "4"));

    assertThat(s.media().profiles().get("loudspeaker").bitrate()).isEqualTo(32000);
    assertThat(s.media().profiles().get("loudspeaker").codec()).isEqualTo("mp3");
    assertThat(s.media().profiles().get("app").targetLufs()).isEqualTo(-14.5);
    assertThat(s.redis().embedded().appendfsync()).isEqualTo("everysec");
    assertThat(s.ffmpeg().workers()).isEqualTo(4);
  }

  @Test
  void durationsAndSizesAreGivenAsText() {
    Settings s =
        withEnv(
            Map.of(
                "XIAOLABA_SCHEDULER_LEAD_TIME", "90s",
                "XIAOLABA_MEDIA_MAX_UPLOAD_SIZE", "10MiB",
                "XIAOLABA_REDIS_TIMEOUT", "PT5S",
                "XIAOLABA_WEBSOCKET_MAX_FRAME_SIZE", "32KiB",
                "XIAOLABA_FFMPEG_TIMEOUT", "1h"));

    assertThat(s.scheduler().leadTime()).isEqualTo(Duration.ofSeconds(90));
    assertThat(s.media().maxUploadSize()).isEqualTo(ByteSize.ofMebibytes(10));
    assertThat(s.redis().timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.websocket().maxFrameSize().bytes()).isEqualTo(32 * 1024);
    assertThat(s.ffmpeg().timeout()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void variablesWithoutThePrefixOrForNoScalarKeyAreIgnored() {
    Settings s =
        withEnv(
            Map.of(
                "PORT", "1234",
                "HOME", "/root",
                "XIAOLABA_AREAS", "not a tree",
                "XIAOLABA_AREAS_CHILDREN", "not a list",
                "XIAOLABA_MEDIA_PROFILES", "none",
                "XIAOLABA_NO_SUCH_KEY", "x"));

    assertThat(s).isEqualTo(loader.defaults());
  }

  @Test
  void theScalarsAtTheRootOfTheAreaTreeFollowTheRuleToo() {
    Settings s = withEnv(Map.of("XIAOLABA_AREAS_NAME", "如东县（演示）"));

    assertThat(s.areas().name()).isEqualTo("如东县（演示）");
    assertThat(s.areas().children()).isEqualTo(loader.defaults().areas().children());
  }

  @Test
  void anEmptyRedisUrlVariableMeansTheEmbeddedRedis() {
    assertThat(withEnv(Map.of("XIAOLABA_REDIS_URL", "")).redis().isEmbedded()).isTrue();
  }

  @Test
  void envNameIsThePrefixPlusTheKeyPathInUpperSnakeCase() {
    assertThat(SettingsLoader.envName("port")).isEqualTo("XIAOLABA_PORT");
    assertThat(SettingsLoader.envName("dataDir")).isEqualTo("XIAOLABA_DATA_DIR");
    assertThat(SettingsLoader.envName("redis.url")).isEqualTo("XIAOLABA_REDIS_URL");
    assertThat(SettingsLoader.envName("admin.token")).isEqualTo("XIAOLABA_ADMIN_TOKEN");
    assertThat(SettingsLoader.envName("media.maxUploadSize"))
        .isEqualTo("XIAOLABA_MEDIA_MAX_UPLOAD_SIZE");
    assertThat(SettingsLoader.envName("ffmpeg.ffmpegPath"))
        .isEqualTo("XIAOLABA_FFMPEG_FFMPEG_PATH");
    assertThat(SettingsLoader.envName("redis.embedded.appendfsync"))
        .isEqualTo("XIAOLABA_REDIS_EMBEDDED_APPENDFSYNC");
    assertThat(SettingsLoader.envName("media.profiles.loudspeaker.bitrate"))
        .isEqualTo("XIAOLABA_MEDIA_PROFILES_LOUDSPEAKER_BITRATE");
    assertThat(SettingsLoader.envName("websocket.maxOutboundBuffer"))
        .isEqualTo("XIAOLABA_WEBSOCKET_MAX_OUTBOUND_BUFFER");
  }

  @Test
  void theVariableNamedByEnvNameOverridesThatKey() {
    Settings s =
        withEnv(
            Map.of(
                SettingsLoader.envName("http.blockingThreads"), "3",
                SettingsLoader.envName("scheduler.nextRunsShown"), "7",
                SettingsLoader.envName("websocket.maxOutboundBuffer"), "2MiB",
                SettingsLoader.envName("redis.keyPrefix"), "test:",
                SettingsLoader.envName("http.throttle.uploadsPerMinute"), "5",
                SettingsLoader.envName("http.throttle.exemptAdmins"), "false"));

    assertThat(s.http().blockingThreads()).isEqualTo(3);
    assertThat(s.scheduler().nextRunsShown()).isEqualTo(7);
    assertThat(s.websocket().maxOutboundBuffer()).isEqualTo(ByteSize.ofMebibytes(2));
    assertThat(s.redis().keyPrefix()).isEqualTo("test:");
    assertThat(SettingsLoader.envName("http.throttle.uploadsPerMinute"))
        .isEqualTo("XIAOLABA_HTTP_THROTTLE_UPLOADS_PER_MINUTE");
    assertThat(s.http().throttle().uploadsPerMinute()).isEqualTo(5);
    assertThat(s.http().throttle().exemptAdmins()).isFalse();
    assertThat(s.http().throttle().authFailuresPerMinute()).isEqualTo(10);
  }

  @Test
  void tokensInWebSocketUrlsAreTurnedBackOnOnlyByTrue() {
    assertThat(withEnv(Map.of()).websocket().allowTokenInUrl()).isFalse();
    String var = SettingsLoader.envName("websocket.allowTokenInUrl");
    assertThat(var).isEqualTo("XIAOLABA_WEBSOCKET_ALLOW_TOKEN_IN_URL");
    assertThat(withEnv(Map.of(var, "true")).websocket().allowTokenInUrl()).isTrue();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> withEnv(Map.of(var, "yes")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("websocket.allowTokenInUrl")
        .hasMessageContaining(var)
        .hasMessageContaining("expected true or false");
  }

  @Test
  void theWebSocketMessageRateIsSetFromTheEnvironment() {
    assertThat(SettingsLoader.envName("websocket.opBurst"))
        .isEqualTo("XIAOLABA_WEBSOCKET_OP_BURST");
    Settings s =
        withEnv(
            Map.of("XIAOLABA_WEBSOCKET_OP_BURST", "7", "XIAOLABA_WEBSOCKET_OPS_PER_SECOND", "2"));
    assertThat(s.websocket().opBurst()).isEqualTo(7);
    assertThat(s.websocket().opsPerSecond()).isEqualTo(2);
  }
}
