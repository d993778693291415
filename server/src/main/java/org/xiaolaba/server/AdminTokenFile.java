package org.xiaolaba.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.SecretFiles;

/**
 * Hands the admin token generated on a first start to the operator: in {@code
 * <dataDir>/admin-token}, readable by the server's user only (0600 from the moment it exists),
 * never in the log or on the console, which only say where the file is.
 */
final class AdminTokenFile {
  private static final Logger log = LoggerFactory.getLogger(AdminTokenFile.class);

  static final String NAME = "admin-token";

  private AdminTokenFile() {}

  static Path path(Path dataDir) {
    return dataDir.toAbsolutePath().resolve(NAME);
  }

  /**
   * After {@code TokenStore.ensureAdmin}: writes the token it generated, if it did; else says where
   * the earlier one is, or removes that file when a configured token has retired what it holds.
   */
  static void settle(Path dataDir, Optional<String> generated, String configuredToken) {
    Path file = path(dataDir);
    if (generated.isPresent()) {
      try {
        SecretFiles.writeOwnerOnly(file, generated.get() + "\n");
      } catch (IOException e) {
        throw new ConfigException(
            "the admin token generated on this first start cannot be written to "
                + file
                + " ("
                + e.getMessage()
                + "); make dataDir writable, or set admin.token (XIAOLABA_ADMIN_TOKEN) to a"
                + " secret of your own, which replaces the generated one",
            e);
      }
      log.info(
          "An admin token was generated on this first start and written to {} (readable by this"
              + " user only; Authorization: Bearer <token>). Set XIAOLABA_ADMIN_TOKEN to choose"
              + " your own instead",
          file);
    } else if (configuredToken != null && !configuredToken.isEmpty()) {
      try {
        if (Files.deleteIfExists(file)) {
          log.info(
              "{} held the admin token generated on an earlier start, which the configured"
                  + " admin.token has replaced; the file is removed",
              file);
        }
      } catch (IOException e) {
        log.warn("Cannot remove {}, which holds a retired admin token: {}", file, e.getMessage());
      }
    } else if (Files.exists(file)) {
      log.info("The admin token generated on the first start is in {}", file);
    }
  }
}
