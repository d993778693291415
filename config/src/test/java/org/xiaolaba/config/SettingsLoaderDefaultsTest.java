package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class SettingsLoaderDefaultsTest {
  private final Settings defaults = new SettingsLoader().defaults();

  @Test
  void theServerListensOnPort8080AndKeepsItsDataUnderDotData() {
    assertThat(defaults.port()).isEqualTo(8080);
    assertThat(defaults.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(defaults.mediaDir()).isEqualTo(Path.of("./data", "media"));
  }

  @Test
  void programRulesRunInChinaStandardTime() {
    assertThat(defaults.timezone()).isEqualTo("Asia/Shanghai");
    assertThat(defaults.zone()).isEqualTo(ZoneId.of("Asia/Shanghai"));
  }

  @Test
  void noRedisUrlMeansTheEmbeddedRedisWithEveryWriteFsynced() {
    Settings.Redis redis = defaults.redis();
    assertThat(redis.isEmbedded()).isTrue();
    assertThat(redis.url()).isEmpty();
    assertThat(redis.keyPrefix()).isEqualTo("xl:");
    assertThat(redis.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(redis.embedded().appendfsync()).isEqualTo("always");
  }

  @Test
  void theAuditLogKeepsEntriesFor400Days() {
    assertThat(defaults.audit().retention()).isEqualTo(Duration.ofDays(400));
  }

  @Test
  void noAdminTokenIsConfiguredSoOneIsGeneratedOnFirstStart() {
    assertThat(defaults.admin().token()).isEmpty();
  }

  @Test
  void noFfmpegPathIsConfiguredSoPathOrTheBundledBuildIsUsed() {
    assertThat(defaults.ffmpeg().ffmpegPath()).isEmpty();
    assertThat(defaults.ffmpeg().ffprobePath()).isEmpty();
    assertThat(defaults.ffmpeg().timeout()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void theLoudspeakerGetsMonoMp3At64kbpsAndTheAppGetsAac() {
    Settings.Profile loudspeaker = defaults.media().profiles().get("loudspeaker");
    assertThat(loudspeaker.codec()).isEqualTo("mp3");
    assertThat(loudspeaker.channels()).isEqualTo(1);
    assertThat(loudspeaker.bitrate()).isEqualTo(64000);
    assertThat(loudspeaker.sampleRate()).isEqualTo(44100);

    Settings.Profile app = defaults.media().profiles().get("app");
    assertThat(app.codec()).isEqualTo("aac");
    assertThat(app.channels()).isEqualTo(2);
  }

  @Test
  void uploadsAreLimitedTo200MibAndClipsTo2Hours() {
    assertThat(defaults.media().maxUploadSize()).isEqualTo(ByteSize.ofMebibytes(200));
    assertThat(defaults.media().maxUploadSize().bytes()).isEqualTo(200L * 1024 * 1024);
    assertThat(defaults.media().maxDuration()).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void terminalsAreSentPlayOneMinuteAhead() {
    assertThat(defaults.scheduler().leadTime()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void httpConnectionsTimeOut() {
    assertThat(defaults.http().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(defaults.http().requestTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void webSocketsArePingedMoreOftenThanTheyTimeOut() {
    Settings.WebSocket ws = defaults.websocket();
    assertThat(ws.pingInterval()).isEqualTo(Duration.ofSeconds(25));
    assertThat(ws.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(ws.maxFrameSize()).isEqualTo(new ByteSize(64 * 1024));
  }

  @Test
  void aWebSocketMaySendABurstOfTwentyMessagesThenFiveASecond() {
    assertThat(defaults.websocket().opBurst()).isEqualTo(20);
    assertThat(defaults.websocket().opsPerSecond()).isEqualTo(5);
  }

  @Test
  void theSampleAreaTreeIsRudongCountyWithTownsAndVillages() {
    AreaNode root = defaults.areas();
    assertThat(root.code()).isEqualTo("320623");
    assertThat(root.name()).isEqualTo("如东县");
    assertThat(root.children()).isNotEmpty();
    for (AreaNode town : root.children()) {
      assertThat(town.code()).hasSize(9).startsWith("320623");
      assertThat(town.children()).isNotEmpty();
      for (AreaNode village : town.children()) {
        assertThat(village.code()).hasSize(12).startsWith(town.code());
        assertThat(village.children()).isEmpty();
      }
    }
    assertThat(root.children()).extracting(AreaNode::name).contains("掘港街道", "长沙镇", "大豫镇", "栟茶镇");

    AreaTree tree = AreaTree.of(root);
    assertThat(tree.countyCode()).isEqualTo("320623");
    assertThat(tree.find("320623100202")).get().extracting(AreaTree.Area::name).isEqualTo("何丫村");
  }
}
