package org.xiaolaba.terminal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a play's audio into the terminal's data directory ahead of its start. Bytes go to a
 * {@code .part} file as they arrive; a fetch that is cut off resumes from where it stopped with a
 * {@code Range} request, so a thin village link never downloads the same bytes twice. Only a
 * complete file is moved to its final name.
 */
public final class AudioFetcher {
  private static final Logger log = LoggerFactory.getLogger(AudioFetcher.class);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
  private static final Pattern UNSATISFIED = Pattern.compile("bytes \\*/(\\d+)");
  static final String PART = ".part";

  private final HttpClient http;
  private final Path dir;
  private final ScheduledExecutorService timer;
  private final Duration stallTimeout;

  /** How a fetch went: the complete file, its size, and where it resumed (0: from the start). */
  public record Result(Path file, long bytes, long resumedFrom, int status) {}

  /**
   * @param timer runs the stall check; a body that sends nothing for {@code stallTimeout} is cut,
   *     and the next fetch resumes it
   */
  public AudioFetcher(
      HttpClient http, Path dir, ScheduledExecutorService timer, Duration stallTimeout) {
    this.http = http;
    this.dir = dir;
    this.timer = timer;
    this.stallTimeout = stallTimeout;
  }

  /** Where the audio of {@code url} is kept once complete. */
  public Path localFile(URI url) {
    return dir.resolve(fileName(url));
  }

  public boolean isComplete(URI url) {
    return Files.isRegularFile(localFile(url));
  }

  /** Fetches {@code url} unless it is already complete; resumes a partial download. */
  public Result fetch(URI url) throws IOException, InterruptedException {
    Path target = localFile(url);
    if (Files.isRegularFile(target)) return new Result(target, Files.size(target), 0, 0);
    Files.createDirectories(dir);
    Path part = target.resolveSibling(target.getFileName() + PART);
    long have = Files.isRegularFile(part) ? Files.size(part) : 0;

    HttpRequest.Builder req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(20)).GET();
    if (have > 0) req.header("Range", "bytes=" + have + "-");
    HttpResponse<InputStream> resp =
        http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
    int status = resp.statusCode();
    try (InputStream body = resp.body()) {
      long total;
      long from;
      if (status == 206) {
        String range = resp.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(range);
        if (!m.matches() || Long.parseLong(m.group(1)) != have) {
          Files.deleteIfExists(part);
          throw new IOException(
              url
                  + " answered Range bytes="
                  + have
                  + "- with '"
                  + range
                  + "'; starting over next time");
        }
        from = have;
        total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
      } else if (status == 200) {
        from = 0; // the server ignored the range: take the whole file
        total = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
      } else if (status == 416) {
        return unsatisfiable(url, resp, part, target, have);
      } else {
        throw new IOException(url + " answered " + status);
      }
      long size = copy(body, part, from, url);
      if (total >= 0 && size != total) {
        throw new IOException(
            url + ": have " + size + " of " + total + " bytes; resuming next time");
      }
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      log.info(
          "Fetched {} ({} bytes{}) into {}",
          url,
          size,
          from > 0 ? ", resumed at byte " + from : "",
          target);
      return new Result(target, size, from, status);
    }
  }

  /** 416: our part already holds the whole file, or it is wrong and we start over. */
  private Result unsatisfiable(
      URI url, HttpResponse<InputStream> resp, Path part, Path target, long have)
      throws IOException {
    Matcher m = UNSATISFIED.matcher(resp.headers().firstValue("Content-Range").orElse(""));
    if (m.matches() && Long.parseLong(m.group(1)) == have) {
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return new Result(target, have, have, 416);
    }
    Files.deleteIfExists(part);
    throw new IOException(url + " has fewer bytes than our partial copy; starting over next time");
  }

  /** Appends the body to {@code part} from byte {@code from}; returns the part's size. */
  private long copy(InputStream body, Path part, long from, URI url) throws IOException {
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    ScheduledFuture<?> guard =
        timer.scheduleWithFixedDelay(
            () -> {
              if (System.nanoTime() - lastProgress.get() > stallTimeout.toNanos()) {
                log.info(
                    "No bytes from {} for {}; cutting the fetch to resume it", url, stallTimeout);
                closeQuietly(body);
              }
            },
            1,
            1,
            TimeUnit.SECONDS);
    try (FileChannel out =
        FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      out.truncate(from);
      out.position(from);
      byte[] buf = new byte[16 * 1024];
      int n;
      while ((n = body.read(buf)) > 0) {
        out.write(ByteBuffer.wrap(buf, 0, n));
        lastProgress.set(System.nanoTime());
      }
      out.force(false);
      return out.size();
    } finally {
      guard.cancel(false);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      log.debug("Closing a stalled body: {}", e.getMessage());
    }
  }

  /** The URL's last path segment when it is a plain file name, else a hash of the URL. */
  static String fileName(URI url) {
    String path = url.getPath() == null ? "" : url.getPath();
    String last = path.substring(path.lastIndexOf('/') + 1);
    if (last.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,150}") && !last.endsWith(PART)) return last;
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest(url.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 16) + ".audio";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
