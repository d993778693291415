package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad value stops start-up with a message naming the key, the value and what is allowed. */
class SettingsValidationTest {
  @TempDir Path dir;

  private final SettingsLoader loader = new SettingsLoader();

  private AbstractThrowableAssert<?, ? extends Throwable> loadingFile(String yaml)
      throws IOException {
    Path file = Files.writeString(dir.resolve("xiaolaba.yaml"), yaml);
    return assertThatThrownBy(() -> loader.load(Optional.of(file), Map.of()))
        .isInstanceOf(ConfigException.class);
  }

  private AbstractThrowableAssert<?, ? extends Throwable> loadingEnv(Map<String, String> env) {
    return assertThatThrownBy(() -> loader.load(Optional.empty(), env))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void aPortThatIsNotANumberIsNamedWithItsValue() throws IOException {
    loadingFile("port: eighty\n")
        .hasMessageContaining("'port'")
        .hasMessageContaining("'eighty'")
        .hasMessageContaining("expected a whole number");
  }

  @Test
  void aPortFromTheEnvironmentThatIsNotANumberNamesTheVariable() {
    loadingEnv(Map.of("XIAOLABA_PORT", "http"))
        .hasMessageContaining("'port'")
        .hasMessageContaining("XIAOLABA_PORT")
        .hasMessageContaining("'http'")
        .hasMessageContaining("expected a whole number");
  }

  @Test
  void aPortOutOfRangeNamesTheRange() {
    loadingEnv(Map.of("XIAOLABA_PORT", "70000"))
        .hasMessageContaining("'port'")
        .hasMessageContaining("'70000'")
        .hasMessageContaining("expected 0 to 65535");
    loadingEnv(Map.of("XIAOLABA_PORT", "-1")).hasMessageContaining("expected 0 to 65535");
  }

  @Test
  void anUnknownKeyIsNamedWithTheKeysAllowedThere() throws IOException {
    loadingFile("prot: 8080\n")
        .hasMessageContaining("unknown config key 'prot'")
        .hasMessageContaining("port")
        .hasMessageContaining("dataDir");
  }

  @Test
  void anUnknownNestedKeyIsNamedByItsFullPath() throws IOException {
    loadingFile("redis:\n  embeded:\n    appendfsync: no\n")
        .hasMessageContaining("unknown config key 'redis.embeded'")
        .hasMessageContaining("embedded");
  }

  @Test
  void anUnknownTransportNamesTheChoices() {
    loadingEnv(Map.of("XIAOLABA_HTTP_TRANSPORT", "kqueue"))
        .hasMessageContaining("'http.transport'")
        .hasMessageContaining("'kqueue'")
        .hasMessageContaining("expected one of auto, epoll, nio");
  }

  @Test
  void aNegativeEventLoopCountIsRefused() {
    loadingEnv(Map.of("XIAOLABA_HTTP_EVENT_LOOPS", "-1"))
        .hasMessageContaining("'http.eventLoops'")
        .hasMessageContaining("'-1'");
  }

  @Test
  void anUnknownTimeZoneAsksForAnIanaName() {
    loadingEnv(Map.of("XIAOLABA_TIMEZONE", "Asia/Beijing"))
        .hasMessageContaining("'timezone'")
        .hasMessageContaining("'Asia/Beijing'")
        .hasMessageContaining("IANA time zone such as Asia/Shanghai");
  }

  @Test
  void aRedisUrlWithAnotherSchemeShowsTheAcceptedForm() {
    loadingEnv(Map.of("XIAOLABA_REDIS_URL", "http://redis.internal:6379"))
        .hasMessageContaining("'redis.url'")
        .hasMessageContaining("'http://redis.internal:6379'")
        .hasMessageContaining("redis://[user:pass@]host:port[/db]");
  }

  @Test
  void aRedisUrlWithAPathThatIsNotADatabaseNumberIsRefused() {
    loadingEnv(Map.of("XIAOLABA_REDIS_URL", "redis://redis.internal:6379/cache"))
        .hasMessageContaining("'redis.url'")
        .hasMessageContaining("redis://[user:pass@]host:port[/db]");
  }

  @Test
  void anUnknownAppendfsyncPolicyListsThePolicies() {
    loadingEnv(Map.of("XIAOLABA_REDIS_EMBEDDED_APPENDFSYNC", "sometimes"))
        .hasMessageContaining("'redis.embedded.appendfsync'")
        .hasMessageContaining("'sometimes'")
        .hasMessageContaining("always")
        .hasMessageContaining("everysec")
        .hasMessageContaining("no");
  }

  @Test
  void aSizeThatCannotBeReadShowsTheUnitsAllowed() {
    loadingEnv(Map.of("XIAOLABA_MEDIA_MAX_UPLOAD_SIZE", "200 megs"))
        .hasMessageContaining("'media.maxUploadSize'")
        .hasMessageContaining("XIAOLABA_MEDIA_MAX_UPLOAD_SIZE")
        .hasMessageContaining("'200 megs'")
        .hasMessageContaining("expected a size such as 512KiB, 200MiB or 1GiB");
  }

  @Test
  void aSizeTooLargeToCountIsRefusedWithTheUnitsAllowed() throws IOException {
    loadingFile("media:\n  maxUploadSize: 99999999999GiB\n")
        .hasMessageContaining("'media.maxUploadSize'")
        .hasMessageContaining("'99999999999GiB'")
        .hasMessageContaining("expected a size such as");
  }

  @Test
  void aZeroUploadLimitIsRefused() {
    loadingEnv(Map.of("XIAOLABA_MEDIA_MAX_UPLOAD_SIZE", "0"))
        .hasMessageContaining("'media.maxUploadSize'")
        .hasMessageContaining("expected a size above 0");
  }

  @Test
  void aDurationThatCannotBeReadShowsTheFormsAllowed() throws IOException {
    loadingFile("scheduler:\n  leadTime: a minute\n")
        .hasMessageContaining("'scheduler.leadTime'")
        .hasMessageContaining("'a minute'")
        .hasMessageContaining("expected a duration such as 500ms, 60s, 5m, 2h or PT1M");
  }

  @Test
  void aLeadTimeOverAnHourIsRefused() {
    loadingEnv(Map.of("XIAOLABA_SCHEDULER_LEAD_TIME", "2h"))
        .hasMessageContaining("'scheduler.leadTime'")
        .hasMessageContaining("expected at most 1h");
  }

  @Test
  void aZeroAuditRetentionIsRefused() {
    loadingEnv(Map.of("XIAOLABA_AUDIT_RETENTION", "0s"))
        .hasMessageContaining("'audit.retention'")
        .hasMessageContaining("expected a duration above 0");
  }

  @Test
  void aCodecOtherThanMp3OrAacIsRefused() {
    loadingEnv(Map.of("XIAOLABA_MEDIA_PROFILES_APP_CODEC", "opus"))
        .hasMessageContaining("'media.profiles.app.codec'")
        .hasMessageContaining("'opus'")
        .hasMessageContaining("mp3")
        .hasMessageContaining("aac");
  }

  @Test
  void aNewProfileWithoutACodecIsRefusedByName() throws IOException {
    loadingFile(
            """
            media:
              profiles:
                radio:
                  channels: 1
                  sampleRate: 22050
                  bitrate: 32000
                  targetLufs: -18
                  truePeakDb: -2
                  highpassHz: 100
            """)
        .hasMessageContaining("'media.profiles.radio.codec'")
        .hasMessageContaining("'null'")
        .hasMessageContaining("mp3")
        .hasMessageContaining("aac");
  }

  @Test
  void aNewProfileMissingANumberIsRefusedByName() throws IOException {
    loadingFile("media:\n  profiles:\n    radio:\n      codec: mp3\n      channels: 1\n")
        .hasMessageMatching(
            "config key 'media\\.profiles\\.radio\\.\\w+' has value 'null': "
                + "expected a whole number; the key is missing or empty");
  }

  @Test
  void anEmptyNewProfileIsRefusedByName() throws IOException {
    loadingFile("media:\n  profiles:\n    radio:\n")
        .hasMessageContaining("'media.profiles.radio'")
        .hasMessageContaining("expected a profile with codec");
  }

  @Test
  void aNegativeOrFractionalSizeInTheFileIsRefused() throws IOException {
    loadingFile("http:\n  maxJsonSize: -5\n")
        .hasMessageContaining("'http.maxJsonSize'")
        .hasMessageContaining("'-5'")
        .hasMessageContaining("expected a size such as");
    loadingFile("http:\n  maxJsonSize: 1.5\n")
        .hasMessageContaining("'http.maxJsonSize'")
        .hasMessageContaining("expected a size such as");
  }

  @Test
  void aThrottleThatLetsNoFailedTokenThroughIsRefused() {
    loadingEnv(Map.of("XIAOLABA_HTTP_THROTTLE_AUTH_FAILURES_PER_MINUTE", "0"))
        .hasMessageContaining("'http.throttle.authFailuresPerMinute'")
        .hasMessageContaining("expected 1 to 100000");
    loadingEnv(Map.of("XIAOLABA_HTTP_THROTTLE_PUSHES_PER_MINUTE", "-1"))
        .hasMessageContaining("'http.throttle.pushesPerMinute'");
  }

  @Test
  void aProfileChannelCountOtherThanMonoOrStereoIsRefused() {
    loadingEnv(Map.of("XIAOLABA_MEDIA_PROFILES_LOUDSPEAKER_CHANNELS", "6"))
        .hasMessageContaining("'media.profiles.loudspeaker.channels'")
        .hasMessageContaining("'6'")
        .hasMessageContaining("expected 1 to 2");
  }

  @Test
  void anIdleTimeoutNotLongerThanThePingIntervalIsRefused() {
    loadingEnv(
            Map.of(
                "XIAOLABA_WEBSOCKET_PING_INTERVAL", "30s",
                "XIAOLABA_WEBSOCKET_IDLE_TIMEOUT", "20s"))
        .hasMessageContaining("'websocket.idleTimeout'")
        .hasMessageContaining("PT20S")
        .hasMessageContaining("expected longer than websocket.pingInterval (PT30S)");
    loadingEnv(
            Map.of(
                "XIAOLABA_WEBSOCKET_PING_INTERVAL", "30s",
                "XIAOLABA_WEBSOCKET_IDLE_TIMEOUT", "30s"))
        .hasMessageContaining("'websocket.idleTimeout'");
  }

  @Test
  void aWebSocketMessageRateOfZeroIsRefused() {
    loadingEnv(Map.of("XIAOLABA_WEBSOCKET_OP_BURST", "0"))
        .hasMessageContaining("'websocket.opBurst'")
        .hasMessageContaining("expected 1 to 100000");
    loadingEnv(Map.of("XIAOLABA_WEBSOCKET_OPS_PER_SECOND", "0"))
        .hasMessageContaining("'websocket.opsPerSecond'");
  }

  @Test
  void httpTimeoutsMustBeDurationsAboveZero() throws IOException {
    loadingEnv(Map.of("XIAOLABA_HTTP_IDLE_TIMEOUT", "0s"))
        .hasMessageContaining("'http.idleTimeout'")
        .hasMessageContaining("expected a duration above 0, such as 30s");
    loadingEnv(Map.of("XIAOLABA_HTTP_REQUEST_TIMEOUT", "0ms"))
        .hasMessageContaining("'http.requestTimeout'")
        .hasMessageContaining("expected a duration above 0, such as 30s");
    loadingFile("http:\n  idleTimeout: a while\n")
        .hasMessageContaining("'http.idleTimeout'")
        .hasMessageContaining("expected a duration such as 500ms, 60s, 5m, 2h or PT1M");
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("nowhere.yaml");
    assertThatThrownBy(() -> loader.load(Optional.of(missing), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void aDirectoryGivenAsTheFileIsRefused() {
    assertThatThrownBy(() -> loader.load(Optional.of(dir), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is not a file");
  }

  @Test
  void aFileThatIsNotYamlIsNamedWithWhatIsWrong() throws IOException {
    loadingFile("port: 8080\nredis: {url: \"redis://x:1\"\n  poolSize: [\n")
        .hasMessageContaining("xiaolaba.yaml")
        .hasMessageContaining("is not valid YAML");
  }

  @Test
  void aFileWhoseTopLevelIsAListIsRefused() throws IOException {
    loadingFile("- port: 8080\n- dataDir: /srv\n")
        .hasMessageContaining("xiaolaba.yaml")
        .hasMessageContaining("must hold a YAML mapping of keys")
        .hasMessageContaining("ARRAY");
  }

  @Test
  void aCountyCodeOfTheWrongLengthIsRefused() throws IOException {
    loadingFile("areas:\n  code: \"32062\"\n  name: 如东县\n")
        .hasMessageContaining("'areas.code'")
        .hasMessageContaining("'32062'")
        .hasMessageContaining("expected a county code of 6 digits");
  }

  @Test
  void aTownCodeThatDoesNotStartWithItsCountysCodeIsRefused() throws IOException {
    loadingFile(
            """
            areas:
              code: "320623"
              name: 如东县
              children:
                - { code: "320623001", name: 掘港街道 }
                - { code: "320624001", name: 别处镇 }
            """)
        .hasMessageContaining("'areas.children[1].code'")
        .hasMessageContaining("'320624001'")
        .hasMessageContaining("starts with its parent's code 320623");
  }

  @Test
  void aVillageCodeOfATownLengthIsRefused() throws IOException {
    loadingFile(
            """
            areas:
              code: "320623"
              name: 如东县
              children:
                - code: "320623001"
                  name: 掘港街道
                  children:
                    - { code: "320623002", name: 错村 }
            """)
        .hasMessageContaining("'areas.children[0].children[0].code'")
        .hasMessageContaining("expected a village code of 12 digits");
  }

  @Test
  void aCodeThatAppearsTwiceIsRefused() throws IOException {
    loadingFile(
            """
            areas:
              code: "320623"
              name: 如东县
              children:
                - { code: "320623100", name: 长沙镇 }
                - { code: "320623100", name: 长沙镇二 }
            """)
        .hasMessageContaining("'areas.children[1].code'")
        .hasMessageContaining("'320623100'")
        .hasMessageContaining("expected each code once");
  }

  @Test
  void anAreaWithoutANameIsRefused() throws IOException {
    loadingFile(
            """
            areas:
              code: "320623"
              name: 如东县
              children:
                - code: "320623100"
                  name: 长沙镇
                  children:
                    - { code: "320623100201" }
            """)
        .hasMessageContaining("'areas.children[0].children[0].name'")
        .hasMessageContaining("expected the area's name");
  }

  @Test
  void aVillageWithChildrenIsRefused() throws IOException {
    loadingFile(
            """
            areas:
              code: "320623"
              name: 如东县
              children:
                - code: "320623100"
                  name: 长沙镇
                  children:
                    - code: "320623100201"
                      name: 长沙村
                      children:
                        - { code: "320623100201001", name: 一组 }
            """)
        .hasMessageContaining("'areas.children[0].children[0].children'")
        .hasMessageContaining("villages have no children");
  }

  @Test
  void quietHoursNeedAKnownAreaAndAnHourRange() throws IOException {
    loadingFile("scheduler:\n  quietHours: { \"999999\": \"22:00-06:00\" }\n")
        .hasMessageContaining("scheduler.quietHours.999999")
        .hasMessageContaining("known area code");
    loadingFile("scheduler:\n  quietHours: { \"320623\": \"10pm-6am\" }\n")
        .hasMessageContaining("'10pm-6am'")
        .hasMessageContaining("HH:mm-HH:mm");
  }

  @Test
  void quietHoursThatWrapMidnightAreAccepted() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("q.yaml"), "scheduler:\n  quietHours: { \"320623\": \"22:00-06:00\" }\n");
    org.assertj.core.api.Assertions.assertThat(
            loader.load(Optional.of(file), Map.of()).scheduler().quietHours())
        .containsEntry("320623", "22:00-06:00");
  }

  @Test
  void aJingleThatIsNotAFileIsRefused() {
    loadingEnv(Map.of("XIAOLABA_MEDIA_BULLETIN_INTRO", "/no/such/jingle.mp3"))
        .hasMessageContaining("media.bulletin.intro")
        .hasMessageContaining("audio file");
  }

  @Test
  void aBadRedisUrlIsShownWithoutItsPassword() {
    loadingEnv(Map.of("XIAOLABA_REDIS_URL", "http://admin:s3cret@db:6379"))
        .hasMessageContaining("redis.url")
        .hasMessageContaining("//***@db:6379")
        .hasMessageNotContaining("s3cret");
  }
}
