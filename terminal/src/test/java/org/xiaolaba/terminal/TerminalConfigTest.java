package org.xiaolaba.terminal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The reference terminal's token goes in its first frame: never in its URL, nor its logs. */
class TerminalConfigTest {
  static final String TOKEN = "s3cret+/token=";

  @Test
  void theWebSocketUrlCarriesNoTokenAndTheAuthFrameDoes() throws Exception {
    TerminalConfig c =
        new TerminalConfig(URI.create("wss://radio.example:8443"), TOKEN, Path.of("d"), 80);
    assertThat(c.webSocketUri()).hasToString("wss://radio.example:8443/ws");
    assertThat(c.webSocketUri().getRawQuery()).isNull();
    var frame = Json.MAPPER.readTree(c.authFrame());
    assertThat(frame.get("op").asText()).isEqualTo("auth");
    assertThat(frame.get("token").asText()).isEqualTo(TOKEN);
    assertThat(c.toString()).doesNotContain(TOKEN).contains("radio.example");
  }
}
