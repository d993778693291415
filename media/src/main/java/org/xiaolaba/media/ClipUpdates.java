package org.xiaolaba.media;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a clip's changes go: stamped with the clock, stored in Redis, then told to every listener.
 * A failing listener is logged and skipped: it must not fail the clip or keep the others from
 * hearing.
 */
final class ClipUpdates {
  private static final Logger log = LoggerFactory.getLogger(ClipUpdates.class);

  private final ClipStore store;
  private final Clock clock;
  private final List<Consumer<Clip>> listeners = new CopyOnWriteArrayList<>();

  ClipUpdates(ClipStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  void addListener(Consumer<Clip> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  Instant now() {
    return clock.instant();
  }

  /** Stores the changed clip and tells the listeners; returns it as stored. */
  Clip save(ClipEdit edit) {
    Clip clip = edit.updatedAt(clock.instant()).build();
    store.put(clip);
    announce(clip);
    return clip;
  }

  /** Tells the listeners of a clip already stored. */
  void announce(Clip clip) {
    for (Consumer<Clip> listener : listeners) {
      try {
        listener.accept(clip);
      } catch (RuntimeException e) {
        log.warn("A clip listener failed on clip {}", clip.id(), e);
      }
    }
  }
}
