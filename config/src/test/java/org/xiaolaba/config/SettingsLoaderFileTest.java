package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderFileTest {
  @TempDir Path dir;

  private final SettingsLoader loader = new SettingsLoader();

  private Settings load(String yaml) throws IOException {
    Path file = Files.writeString(dir.resolve("xiaolaba.yaml"), yaml);
    return loader.load(Optional.of(file), Map.of());
  }

  @Test
  void keysInTheFileReplaceTheDefaultsAndTheOtherKeysKeepThem() throws IOException {
    Settings s =
        load(
            """
            port: 9090
            dataDir: /srv/xiaolaba
            timezone: Asia/Urumqi
            redis:
              poolSize: 8
            scheduler:
              leadTime: 2m
            """);

    assertThat(s.port()).isEqualTo(9090);
    assertThat(s.dataDir()).isEqualTo(Path.of("/srv/xiaolaba"));
    assertThat(s.timezone()).isEqualTo("Asia/Urumqi");
    assertThat(s.redis().poolSize()).isEqualTo(8);
    assertThat(s.scheduler().leadTime()).isEqualTo(Duration.ofMinutes(2));

    Settings defaults = loader.defaults();
    assertThat(s.redis().keyPrefix()).isEqualTo("xl:");
    assertThat(s.redis().timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.redis().embedded()).isEqualTo(defaults.redis().embedded());
    assertThat(s.scheduler().nextRunsShown()).isEqualTo(defaults.scheduler().nextRunsShown());
    assertThat(s.media()).isEqualTo(defaults.media());
    assertThat(s.areas()).isEqualTo(defaults.areas());
  }

  @Test
  void mappingsMergeKeyByKeyDownToASingleProfileField() throws IOException {
    Settings s =
        load(
            """
            media:
              profiles:
                loudspeaker:
                  bitrate: 48000
            """);

    Settings defaults = loader.defaults();
    Settings.Profile loudspeaker = s.media().profiles().get("loudspeaker");
    assertThat(loudspeaker.bitrate()).isEqualTo(48000);
    assertThat(loudspeaker.codec()).isEqualTo("mp3");
    assertThat(loudspeaker.channels()).isEqualTo(1);
    assertThat(loudspeaker.highpassHz()).isEqualTo(90);
    assertThat(s.media().profiles().get("app")).isEqualTo(defaults.media().profiles().get("app"));
    assertThat(s.media().maxUploadSize()).isEqualTo(ByteSize.ofMebibytes(200));
  }

  @Test
  void sizesAndDurationsAreReadFromTextOrPlainNumbers() throws IOException {
    Settings s =
        load(
            """
            media:
              maxUploadSize: 1048576
              maxDuration: PT30M
            scheduler:
              leadTime: 90
            websocket:
              maxFrameSize: 128KiB
              pingInterval: 500ms
            """);

    assertThat(s.media().maxUploadSize()).isEqualTo(ByteSize.ofMebibytes(1));
    assertThat(s.media().maxDuration()).isEqualTo(Duration.ofMinutes(30));
    assertThat(s.scheduler().leadTime()).isEqualTo(Duration.ofSeconds(90));
    assertThat(s.websocket().maxFrameSize().bytes()).isEqualTo(128 * 1024);
    assertThat(s.websocket().pingInterval()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void anAreaTreeInTheFileReplacesTheSampleCountyWhole() throws IOException {
    Settings s =
        load(
            """
            areas:
              code: "320602"
              name: 崇川区
              children:
                - code: "320602001"
                  name: 城东街道
                  children:
                    - { code: "320602001001", name: 东河社区 }
                - code: "320602002"
                  name: 和平桥街道
            """);

    AreaTree tree = AreaTree.of(s.areas());
    assertThat(tree.countyCode()).isEqualTo("320602");
    assertThat(tree.all())
        .extracting(AreaTree.Area::code)
        .containsExactly("320602", "320602001", "320602001001", "320602002");
    assertThat(tree.contains("320623")).isFalse();
    assertThat(tree.find("320602002").orElseThrow().childCodes()).isEqualTo(List.of());
  }

  @Test
  void anEmptyFileLeavesEveryDefault() throws IOException {
    assertThat(load("# nothing configured yet\n")).isEqualTo(loader.defaults());
  }

  @Test
  void aSectionWithEveryKeyCommentedOutLeavesThatSectionsDefaults() throws IOException {
    Settings s =
        load(
            """
            port: 9091
            redis:
              # url: redis://redis.internal:6379
            areas:
            """);

    Settings defaults = loader.defaults();
    assertThat(s.port()).isEqualTo(9091);
    assertThat(s.redis()).isEqualTo(defaults.redis());
    assertThat(s.areas()).isEqualTo(defaults.areas());
  }
}
