package org.xiaolaba.terminal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plays a terminal has been told about and its last offset per channel, kept in one small JSON
 * file so that neither a dropped link nor a restart of the terminal loses them. Every change is
 * written to a temporary file, forced to disk and moved over the old one: a power cut leaves the
 * old or the new file, never half of one.
 */
public final class LocalSchedule {
  private static final Logger log = LoggerFactory.getLogger(LocalSchedule.class);
  static final String FILE_NAME = "schedule.json";

  /** A day of programs is a few dozen runs; this bound only stops a runaway server. */
  static final int MAX_PLAYS = 1000;

  /** Ended plays are kept this long, so a play frame sent again late is still recognised. */
  static final Duration KEEP_AFTER_END = Duration.ofMinutes(10);

  private static final ObjectMapper MAPPER =
      Json.MAPPER.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path file;
  private final Map<String, ScheduledPlay> plays = new LinkedHashMap<>();
  private final Map<String, String> offsets = new TreeMap<>();
  private final Map<String, String> epochs = new TreeMap<>();

  /** What is on disk. */
  record Stored(
      List<ScheduledPlay> plays, Map<String, String> offsets, Map<String, String> epochs) {}

  private LocalSchedule(Path file) {
    this.file = file;
  }

  /**
   * Opens the schedule in {@code dir}; an unreadable file is set aside and the schedule starts
   * empty.
   */
  public static LocalSchedule open(Path dir) {
    LocalSchedule s = new LocalSchedule(dir.resolve(FILE_NAME));
    try {
      Files.createDirectories(dir);
      if (Files.exists(s.file)) s.load();
    } catch (IOException e) {
      throw new UncheckedIOException("terminal data directory " + dir + " cannot be used", e);
    }
    return s;
  }

  private void load() throws IOException {
    try {
      Stored stored = MAPPER.readValue(file.toFile(), Stored.class);
      if (stored.plays() != null) stored.plays().forEach(p -> plays.put(p.runId(), p));
      if (stored.offsets() != null) offsets.putAll(stored.offsets());
      if (stored.epochs() != null) epochs.putAll(stored.epochs());
      log.info(
          "Loaded {} plays and {} channel offsets from {}", plays.size(), offsets.size(), file);
    } catch (IOException | IllegalArgumentException e) {
      Path aside = file.resolveSibling(FILE_NAME + ".unreadable");
      Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
      log.warn(
          "{} cannot be read ({}); moved it to {} and starting with an empty schedule; the server"
              + " sends the day's plays again on connect",
          file,
          e.getMessage(),
          aside);
    }
  }

  /** Adds a play or replaces the one with its run id; false when nothing changed. */
  public synchronized boolean put(ScheduledPlay play) {
    ScheduledPlay old = plays.get(play.runId());
    if (play.equals(old)) return false;
    if (old == null && plays.size() >= MAX_PLAYS) {
      ScheduledPlay latest = sorted().get(plays.size() - 1);
      if (!latest.startAt().isAfter(play.startAt())) {
        log.warn("Schedule full ({} plays); not keeping {}", MAX_PLAYS, play.runId());
        return false;
      }
      plays.remove(latest.runId());
      log.warn("Schedule full ({} plays); dropped the farthest run {}", MAX_PLAYS, latest.runId());
    }
    plays.put(play.runId(), play);
    save();
    return true;
  }

  public synchronized Optional<ScheduledPlay> remove(String runId) {
    ScheduledPlay removed = plays.remove(runId);
    if (removed != null) save();
    return Optional.ofNullable(removed);
  }

  /** Removes every run of a program; returns them. */
  public synchronized List<ScheduledPlay> removeProgram(String program) {
    List<ScheduledPlay> removed = new ArrayList<>();
    plays.values().removeIf(p -> p.program().equals(program) && removed.add(p));
    if (!removed.isEmpty()) save();
    return removed;
  }

  public synchronized Optional<ScheduledPlay> get(String runId) {
    return Optional.ofNullable(plays.get(runId));
  }

  /** Every kept play, earliest start first. */
  public synchronized List<ScheduledPlay> plays() {
    return sorted();
  }

  private List<ScheduledPlay> sorted() {
    List<ScheduledPlay> list = new ArrayList<>(plays.values());
    list.sort(Comparator.comparing(ScheduledPlay::startAt).thenComparing(ScheduledPlay::runId));
    return list;
  }

  /** Forgets plays that went off air well before {@code now}; returns how many. */
  public synchronized int prune(Instant now) {
    Instant cutoff = now.minus(KEEP_AFTER_END);
    int before = plays.size();
    plays.values().removeIf(p -> p.offAirAt().isBefore(cutoff));
    int removed = before - plays.size();
    if (removed > 0) save();
    return removed;
  }

  public synchronized Map<String, String> offsets() {
    return Map.copyOf(offsets);
  }

  /** The epoch of each channel's history that the kept offsets belong to. */
  public synchronized Map<String, String> epochs() {
    return Map.copyOf(epochs);
  }

  /** Notes the epoch of a channel's history, as the server said when subscribing. */
  public synchronized void epoch(String channel, String epoch) {
    if (epoch == null || epoch.equals(epochs.get(channel))) return;
    epochs.put(channel, epoch);
    save();
  }

  public synchronized Optional<String> offset(String channel) {
    return Optional.ofNullable(offsets.get(channel));
  }

  /** Records the offset of a message on a channel if it is newer than the one kept; true if so. */
  public synchronized boolean advance(String channel, String offset) {
    String known = offsets.get(channel);
    if (known != null && compareOffsets(offset, known) <= 0) return false;
    offsets.put(channel, offset);
    save();
    return true;
  }

  /** Replaces a channel's offset whatever it was (the server said the old one is gone). */
  public synchronized void reset(String channel, String offset) {
    if (offset == null) offsets.remove(channel);
    else offsets.put(channel, offset);
    save();
  }

  /** Orders Redis stream offsets ({@code millis-sequence}). */
  static int compareOffsets(String a, String b) {
    long[] x = parseOffset(a);
    long[] y = parseOffset(b);
    int c = Long.compare(x[0], y[0]);
    return c != 0 ? c : Long.compare(x[1], y[1]);
  }

  private static long[] parseOffset(String s) {
    int dash = s.indexOf('-');
    try {
      if (dash < 0) return new long[] {Long.parseLong(s), 0};
      return new long[] {
        Long.parseLong(s.substring(0, dash)), Long.parseLong(s.substring(dash + 1))
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("offset '" + s + "' is not millis-sequence");
    }
  }

  private void save() {
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      byte[] bytes = MAPPER.writeValueAsBytes(new Stored(sorted(), offsets, epochs));
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap(bytes));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      // Keep playing from memory; the next change tries again.
      log.warn("Schedule not saved to {}: {}; it is kept in memory", file, e.getMessage());
    }
  }
}
