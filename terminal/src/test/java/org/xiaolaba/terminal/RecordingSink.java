package org.xiaolaba.terminal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A sink that plays nothing and lets the test say when sound starts and ends. */
final class RecordingSink implements PlaybackSink {
  final List<Started> started = new CopyOnWriteArrayList<>();

  /** One start: what was asked for, and the playback handed back. */
  record Started(String source, Duration position, int volume, FakePlayback playback) {}

  @Override
  public Playback start(String source, Duration position, int volume) {
    FakePlayback p = new FakePlayback();
    started.add(new Started(source, position, volume, p));
    return p;
  }

  Started last() {
    return started.get(started.size() - 1);
  }

  static final class FakePlayback implements Playback {
    final CompletableFuture<Instant> firstSound = new CompletableFuture<>();
    final CompletableFuture<Void> finished = new CompletableFuture<>();
    volatile boolean stopped;

    @Override
    public CompletableFuture<Instant> firstSound() {
      return firstSound;
    }

    @Override
    public CompletableFuture<Void> finished() {
      return finished;
    }

    @Override
    public long bytesDecoded() {
      return 0;
    }

    @Override
    public void stop() {
      stopped = true;
      finished.complete(null);
    }
  }
}
