package org.xiaolaba.bench.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** What happened during the soak: activity, answers by operation and status, and errors. */
final class Counters {
  final AtomicLong pushesSent = new AtomicLong();
  final AtomicLong pushesReceived = new AtomicLong();
  final AtomicLong pushesChecked = new AtomicLong();
  final AtomicLong lost = new AtomicLong();
  final AtomicLong duplicates = new AtomicLong();
  final AtomicLong subscribes = new AtomicLong();
  final AtomicLong notRecovered = new AtomicLong();
  final AtomicLong serverCloses = new AtomicLong();
  final AtomicLong socketErrors = new AtomicLong();
  final AtomicLong serverErrors = new AtomicLong();
  final AtomicLong connectFailures = new AtomicLong();
  final AtomicLong churned = new AtomicLong();
  final AtomicLong programsCreated = new AtomicLong();
  final AtomicLong programsDeleted = new AtomicLong();
  final AtomicLong clipsUploaded = new AtomicLong();
  final AtomicLong clipsReady = new AtomicLong();
  final AtomicLong clipsFailed = new AtomicLong();
  final AtomicLong clipsDeleted = new AtomicLong();
  final AtomicLong requestFailures = new AtomicLong();

  /** "operation status" to count, e.g. "POST /api/v1/pushes 202". */
  private final Map<String, AtomicLong> answers = new ConcurrentHashMap<>();

  /** Unexpected answers: any status not 2xx and not an expected 409/429. */
  final AtomicLong unexpectedAnswers = new AtomicLong();

  private final List<String> notes = new ArrayList<>();

  void answer(String operation, int status, boolean expected) {
    answers.computeIfAbsent(operation + " " + status, k -> new AtomicLong()).incrementAndGet();
    if (!expected) unexpectedAnswers.incrementAndGet();
  }

  Map<String, Long> answers() {
    Map<String, Long> out = new TreeMap<>();
    answers.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Keeps the first 50 notable events (errors) for the report. */
  void note(String text) {
    synchronized (notes) {
      if (notes.size() < 50) notes.add(java.time.Instant.now() + " " + text);
    }
  }

  List<String> notes() {
    synchronized (notes) {
      return List.copyOf(notes);
    }
  }

  long errors() {
    return lost.get()
        + duplicates.get()
        + notRecovered.get()
        + serverCloses.get()
        + socketErrors.get()
        + serverErrors.get()
        + connectFailures.get()
        + clipsFailed.get()
        + requestFailures.get()
        + unexpectedAnswers.get();
  }
}
