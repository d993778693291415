package org.xiaolaba.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Files that hold secrets (the generated admin token, the embedded Redis' password): readable and
 * writable by the owner only (POSIX 0600) in directories only the owner may enter (0700). A file is
 * created with those permissions, never widened afterwards, and written under a temporary name that
 * is then renamed, so it is never readable by others, nor half written, even for an instant.
 */
public final class SecretFiles {
  public static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      PosixFilePermissions.fromString("rw-------");
  public static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretFiles() {}

  /** {@code bytes} random bytes as lower-case hex: safe in URLs, config files and shells. */
  public static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /**
   * Creates {@code dir} (its parents as usual) with permissions 0700, or takes them down to 0700
   * when it exists.
   */
  public static void ownerOnlyDirectory(Path dir) throws IOException {
    if (dir.getParent() != null) Files.createDirectories(dir.getParent());
    if (!posix()) {
      Files.createDirectories(dir);
      return;
    }
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) throw e;
    }
    // The umask may have taken bits off, never added them; an older directory may be wider.
    tighten(dir, OWNER_ONLY_DIRECTORY);
  }

  /**
   * Writes {@code text} to {@code file} (replacing it), permissions 0600 from the moment the bytes
   * exist: a temporary file created 0600 in the same directory, synced, then renamed over it.
   */
  public static void writeOwnerOnly(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + file.getFileName() + "." + randomHex(6) + ".tmp");
    FileAttribute<?>[] attrs =
        posix()
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)}
            : new FileAttribute<?>[0];
    try {
      try (FileChannel ch =
          FileChannel.open(
              tmp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attrs)) {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) ch.write(bytes);
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * The secret kept in {@code file} (its first line), made now with {@code create} and written 0600
   * when the file is missing or empty. An existing file wider than 0600 is taken down to it.
   */
  public static String readOrCreate(Path file, Supplier<String> create) throws IOException {
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      tighten(file, OWNER_ONLY_FILE);
      String kept = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (!kept.isEmpty()) return kept.lines().findFirst().orElseThrow();
    }
    String secret = create.get();
    writeOwnerOnly(file, secret + "\n");
    return secret;
  }

  private static void tighten(Path path, Set<PosixFilePermission> wanted) throws IOException {
    if (!posix()) return;
    if (!Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).equals(wanted)) {
      Files.setPosixFilePermissions(path, wanted);
    }
  }

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }
}
