package org.xiaolaba.media;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.StorageFullException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The layout under {@code <dataDir>/media}: the renditions themselves, {@code incoming/} (the
 * server streams uploads here), {@code sources/} (accepted uploads until processed, so a restart
 * can resume them), {@code tmp/} (renditions being written) and {@code node-id}. All on one file
 * system, so that every move into place is atomic.
 *
 * <p>A rendition is found (served, fetched, read into a bulletin) only while a clip made from its
 * bytes exists: the copies of a deleted clip that a node has not removed yet are never used. While
 * Redis cannot say, what is on this disk is found (audio keeps playing through a Redis outage).
 */
final class MediaDirectories {
  private static final Logger log = LoggerFactory.getLogger(MediaDirectories.class);

  /** The names of rendition files: {@code <sha256>-<profile>.<ext>}. */
  private static final Pattern RENDITION_NAME =
      Pattern.compile("[0-9a-f]{64}-[a-z0-9][a-z0-9_-]{0,31}\\.(?:mp3|m4a)");

  private static final Pattern CONTENT_HASH = Pattern.compile("[0-9a-f]{64}");

  private final Path root;
  private final Path incoming;
  private final Path sources;
  private final Path tmp;
  private final Predicate<String> clipExists;
  private volatile RenditionPeers peers;

  /**
   * @param clipExists whether a clip made from the bytes of this content hash exists (it has the
   *     renditions of that name)
   */
  MediaDirectories(Path mediaDir, Predicate<String> clipExists) {
    this.clipExists = clipExists;
    this.root = mediaDir.toAbsolutePath().normalize();
    this.incoming = root.resolve("incoming");
    this.sources = root.resolve("sources");
    this.tmp = root.resolve("tmp");
  }

  Path root() {
    return root;
  }

  Path incoming() {
    return incoming;
  }

  void create() throws IOException {
    for (Path dir : List.of(root, incoming, sources, tmp)) {
      Files.createDirectories(dir);
    }
  }

  /** This node's id, kept on disk so that after a restart it recognises its own clip leases. */
  String nodeId() throws IOException {
    Path file = root.resolve("node-id");
    if (Files.isRegularFile(file)) {
      String id = Files.readString(file, StandardCharsets.UTF_8).trim();
      if (ClipIds.isValid(id)) return id;
    }
    String id = ClipIds.random();
    Path written = temporaryFile("node-id.", "");
    Files.writeString(written, id, StandardCharsets.UTF_8);
    Files.move(written, file, StandardCopyOption.ATOMIC_MOVE);
    return id;
  }

  /** Where an accepted upload waits until its clip is processed. */
  Path source(String clipId) {
    return sources.resolve(clipId);
  }

  Path sources() {
    return sources;
  }

  /** A fresh name in {@code tmp/}; nothing is created. */
  Path temporaryFile(String prefix, String suffix) {
    return tmp.resolve(prefix + ClipIds.random() + suffix);
  }

  /**
   * Deletes what an earlier run left in {@code tmp/} and {@code incoming/}: nothing there survives
   * a restart usefully. Returns how many files went.
   */
  int emptyTemporaryDirectories() throws IOException {
    return emptyDirectory(tmp) + emptyDirectory(incoming);
  }

  private static int emptyDirectory(Path dir) throws IOException {
    int n = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(f)) {
          Files.deleteIfExists(f);
          n++;
        }
      }
    }
    return n;
  }

  /** Where the rendition file of this name goes. */
  Path rendition(String name) {
    return root.resolve(name);
  }

  /**
   * The rendition file of this name (fetched from another node when needed); empty for any other
   * name, for anything outside the media directory, for files that do not exist, and for those of
   * deleted clips.
   */
  Optional<Path> existingRendition(String name) {
    return rendition(name, true);
  }

  /** Renditions being fetched from other nodes now, by name. */
  private final Map<String, CompletableFuture<Optional<Path>>> fetching = new ConcurrentHashMap<>();

  /** Where renditions missing here are fetched from; none by default (a single node). */
  void peers(RenditionPeers peers) {
    this.peers = peers;
  }

  /** The path of the rendition {@code name} in the media directory; empty for any other name. */
  private Optional<Path> renditionPath(String name) {
    if (name == null || !RENDITION_NAME.matcher(name).matches()) return Optional.empty();
    Path file = root.resolve(name).normalize();
    return root.equals(file.getParent()) ? Optional.of(file) : Optional.empty();
  }

  /**
   * The rendition file {@code name} on this node, while a clip made from its bytes exists; when it
   * is not here and {@code askPeers}, fetched from the other nodes first (into {@code tmp/}, then
   * moved into place whole, and removed again when the clip was deleted meanwhile).
   */
  Optional<Path> rendition(String name, boolean askPeers) {
    Optional<Path> path = renditionPath(name);
    if (path.isEmpty()) return Optional.empty();
    Path file = path.get();
    String contentHash = name.substring(0, name.indexOf('-'));
    if (deleted(contentHash)) return Optional.empty();
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return Optional.of(file);
    RenditionPeers from = peers;
    if (!askPeers || from == null) return Optional.empty();
    // One fetch per file: those who ask for it meanwhile (terminals at a broadcast) wait for it.
    CompletableFuture<Optional<Path>> mine = new CompletableFuture<>();
    CompletableFuture<Optional<Path>> running = fetching.putIfAbsent(name, mine);
    if (running != null) return running.join();
    try {
      Optional<Path> fetched = fetch(from, name, file, contentHash);
      mine.complete(fetched);
      return fetched;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      fetching.remove(name, mine);
    }
  }

  /**
   * Fetches {@code name} from the other nodes into {@code tmp/}, then moves it into place whole.
   */
  private Optional<Path> fetch(RenditionPeers from, String name, Path file, String contentHash) {
    Path part = tmp.resolve(name + "." + ClipIds.random() + ".fetch");
    try {
      if (!from.fetch(name, part) || Files.size(part) == 0) return Optional.empty();
      moveIn(part, file);
      // Checked again once in place: a deletion the check above missed has either removed its
      // records by now, or will tell this node to remove the file after this.
      if (deleted(contentHash)) {
        deleteQuietly(file);
        log.info(
            "Rendition {} fetched from another node while its clip was deleted: removed", name);
        return Optional.empty();
      }
      log.info("Rendition {} fetched from another node", name);
      return Optional.of(file);
    } catch (IOException e) {
      log.warn("Rendition {} could not be fetched from another node: {}", name, e.toString());
      return Optional.empty();
    } finally {
      deleteQuietly(part);
    }
  }

  /** True when no clip made from these bytes exists; false also when Redis cannot say. */
  private boolean deleted(String contentHash) {
    try {
      return !clipExists.test(contentHash);
    } catch (JedisException e) {
      log.debug(
          "Could not ask Redis whether clip audio {} is deleted: {}", contentHash, e.toString());
      return false;
    }
  }

  /**
   * Removes the rendition files made from the bytes of this content hash, whichever clip they were
   * of; returns how many went.
   */
  int removeRenditionsOf(String contentHash) {
    if (contentHash == null || !CONTENT_HASH.matcher(contentHash).matches()) return 0;
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(root, contentHash + "-*")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (renditionPath(name).isPresent() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          deleteQuietly(f);
          removed++;
        }
      }
    } catch (IOException e) {
      log.warn("Could not list the renditions of {}: {}", contentHash, e.toString());
    }
    return removed;
  }

  /** The content hashes of the rendition files on this node. */
  Set<String> renditionHashes() throws IOException {
    Set<String> hashes = new HashSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(root)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (RENDITION_NAME.matcher(name).matches()) {
          hashes.add(name.substring(0, name.indexOf('-')));
        }
      }
    }
    return hashes;
  }

  /** Moves atomically where the file systems allow; {@code incoming/} is meant to make it so. */
  static void moveIn(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("Could not delete {}: {}", file, e.toString());
    }
  }

  /** A full disk is the operator's to fix and the client's to retry, unlike other I/O errors. */
  static RuntimeException storageError(String what, IOException e) {
    if (isDiskFull(e)) {
      return new StorageFullException("the media disk is full: " + what, e);
    }
    return new UncheckedIOException(what + ": " + e.getMessage(), e);
  }

  static boolean isDiskFull(IOException e) {
    String reason =
        e instanceof FileSystemException fse && fse.getReason() != null
            ? fse.getReason()
            : String.valueOf(e.getMessage());
    return reason.contains("No space left on device") || reason.contains("Disk quota exceeded");
  }
}
