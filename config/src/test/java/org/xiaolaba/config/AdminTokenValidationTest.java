package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A configured admin token must be a real secret: the server refuses to start with a short one or a
 * placeholder, naming the key and the variable, and never showing the value.
 */
class AdminTokenValidationTest {
  @TempDir Path dir;

  private final SettingsLoader loader = new SettingsLoader();

  private Settings withToken(String token) {
    return loader.load(Optional.empty(), Map.of("XIAOLABA_ADMIN_TOKEN", token));
  }

  @Test
  void aShortTokenIsRefusedNamingTheKeyTheVariableAndTheLengthButNotTheValue() {
    assertThatThrownBy(() -> withToken("s3cret-admin-9f8e7d"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config key 'admin.token' (from XIAOLABA_ADMIN_TOKEN)")
        .hasMessageContaining("too short (19 characters)")
        .hasMessageContaining("32 to 256 characters")
        .hasMessageContaining("openssl rand -base64 36")
        .hasMessageNotContaining("s3cret-admin-9f8e7d");
  }

  @Test
  void thirtyOneCharactersAreTooFewAndThirtyTwoEnough() {
    String random32 = "q7Vd2LmX9pR4tZ8wK1cN6bH3jF5gY0sA";
    assertThat(random32).hasSize(32);
    assertThat(withToken(random32).admin().token()).isEqualTo(random32);
    assertThatThrownBy(() -> withToken(random32.substring(1)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("too short (31 characters)");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "change-me-change-me-change-me-change-me",
        "CHANGE-ME-CHANGE-ME-CHANGE-ME-CHANGE-ME-2024",
        "changemechangemechangemechangeme",
        "your-token-here-your-token-here-your-token-here",
        "YourSecretTokenHere_YourSecretTokenHere",
        "password-password-password-password",
        "admin-admin-admin-admin-admin-admin-admin",
        "secret_secret_secret_secret_secret_secret",
        "token-token-token-token-token-token-token",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX",
        "change-me-admin-token-secret-password-1234567"
      })
  void aPlaceholderIsRefusedWhateverItsCaseAndPadding(String placeholder) {
    assertThat(placeholder.length()).isGreaterThanOrEqualTo(32);
    assertThatThrownBy(() -> withToken(placeholder))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config key 'admin.token' (from XIAOLABA_ADMIN_TOKEN)")
        .hasMessageContaining("placeholder")
        .hasMessageNotContaining(placeholder);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ababababababababababababababababab", "11111111112222222222333333333344"})
  void aFewCharactersRepeatedAreRefused(String repetitive) {
    assertThatThrownBy(() -> withToken(repetitive))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'admin.token'")
        .hasMessageContaining("fewer than 10 distinct")
        .hasMessageNotContaining(repetitive);
  }

  @Test
  void spacesAndTooLongTokensAreRefused() {
    assertThatThrownBy(() -> withToken("q7Vd2LmX9pR4tZ8w K1cN6bH3jF5gY0sA"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("spaces");
    assertThatThrownBy(() -> withToken("q7Vd2LmX9pR4tZ8wK1cN6bH3jF5gY0sA".repeat(9)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("too long (288 characters)");
  }

  @Test
  void theOutputOfOpensslRandIsAccepted() {
    // openssl rand -base64 36 and openssl rand -hex 32
    for (String t :
        new String[] {
          "Jf0b3Vq8+K2xq9mW1r/7oTzN4sLdE5uYcHgA6iPjRtXvB1kO", SecretFiles.randomHex(32)
        }) {
      assertThat(withToken(t).admin().token()).isEqualTo(t);
    }
  }

  @Test
  void emptyMeansGeneratedAndIsAccepted() {
    assertThat(withToken("").admin().token()).isEmpty();
    assertThat(loader.defaults().admin().token()).isEmpty();
  }

  @Test
  void aPlaceholderInTheFileIsNamedWithoutAVariable() throws IOException {
    Path file = Files.writeString(dir.resolve("x.yaml"), "admin:\n  token: change-me\n");
    assertThatThrownBy(() -> loader.load(Optional.of(file), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config key 'admin.token' is too short (9 characters)")
        .hasMessageNotContaining("change-me");
  }
}
