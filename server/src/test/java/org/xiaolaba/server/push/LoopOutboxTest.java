package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The per-loop outbox on a real Netty event loop: a loop that keeps up flushes each message on its
 * own, one that has fallen behind writes what a connection is owed and flushes it once, passes stop
 * after about 32,768 writes, and the queue is bounded.
 */
class LoopOutboxTest {
  private final EventLoop loop = new DefaultEventLoop();
  private final LoopOutbox outbox = new LoopOutbox(loop);

  /** A subscriber that records what it was written, flush by flush. */
  static final class Recorder implements LoopOutbox.Flushable {
    final List<List<String>> flushes = new ArrayList<>();
    private List<String> pending = new ArrayList<>();

    boolean write(ByteBuf frame) {
      pending.add(frame.toString(StandardCharsets.UTF_8));
      frame.release();
      return pending.size() == 1;
    }

    @Override
    public void flushLive() {
      flushes.add(pending);
      pending = new ArrayList<>();
    }
  }

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void aLoopThatKeepsUpFlushesEachMessageOnItsOwn() throws Exception {
    Set<Recorder> to = recorders(2);
    for (String text : List.of("a", "b")) {
      CountDownLatch written = new CountDownLatch(1);
      assertThat(outbox.offer(to, frame(text), Recorder::write, written::countDown)).isTrue();
      assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
    }
    for (Recorder r : to) assertThat(r.flushes).containsExactly(List.of("a"), List.of("b"));
  }

  @Test
  void aLoopThatFellBehindSendsWhatEachConnectionIsOwedInOneFlush() throws Exception {
    Set<Recorder> to = recorders(3);
    CountDownLatch release = block();
    CountDownLatch written = new CountDownLatch(3);
    List<ByteBuf> frames = List.of(frame("a"), frame("b"), frame("c"));
    for (ByteBuf f : frames) {
      assertThat(outbox.offer(to, f, Recorder::write, written::countDown)).isTrue();
    }
    assertThat(outbox.queued()).isEqualTo(3);
    release.countDown();
    assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
    onLoop(() -> {}); // the pass is over
    for (Recorder r : to) assertThat(r.flushes).containsExactly(List.of("a", "b", "c"));
    for (ByteBuf f : frames) assertThat(f.refCnt()).isZero();
    assertThat(outbox.queued()).isZero();
  }

  @Test
  void aPassStopsAfterAbout32768WritesAndTheNextOneGoesOn() throws Exception {
    Set<Recorder> to = recorders(20_000);
    CountDownLatch release = block();
    CountDownLatch written = new CountDownLatch(3);
    for (String text : List.of("1", "2", "3")) {
      outbox.offer(to, frame(text), Recorder::write, written::countDown);
    }
    release.countDown();
    assertThat(written.await(30, TimeUnit.SECONDS)).isTrue();
    onLoop(() -> {});
    // 20,000 writes, then 40,000 (past the bound): the third message waits for a second pass.
    for (Recorder r : to) assertThat(r.flushes).containsExactly(List.of("1", "2"), List.of("3"));
  }

  @Test
  void aLoopTooFarBehindRefusesTheNextMessageAndFreesIt() throws Exception {
    Set<Recorder> to = recorders(1);
    CountDownLatch release = block();
    CountDownLatch written = new CountDownLatch(LoopOutbox.MAX_QUEUED);
    for (int i = 0; i < LoopOutbox.MAX_QUEUED; i++) {
      assertThat(outbox.offer(to, frame("m" + i), Recorder::write, written::countDown)).isTrue();
    }
    ByteBuf refused = frame("one too many");
    assertThat(outbox.offer(to, refused, Recorder::write, () -> {})).isFalse();
    assertThat(refused.refCnt()).isZero();
    release.countDown();
    assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
    onLoop(() -> {});
    Recorder r = to.iterator().next();
    List<String> got = r.flushes.stream().flatMap(List::stream).toList();
    assertThat(got).hasSize(LoopOutbox.MAX_QUEUED).startsWith("m0", "m1").endsWith("m1023");
    assertThat(outbox.offer(to, frame("after"), Recorder::write, () -> {})).isTrue();
  }

  private static Set<Recorder> recorders(int n) {
    Set<Recorder> set = new LinkedHashSet<>();
    for (int i = 0; i < n; i++) set.add(new Recorder());
    return set;
  }

  private static ByteBuf frame(String text) {
    return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
  }

  /** Holds the loop until the returned latch is counted down. */
  private CountDownLatch block() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    loop.execute(
        () -> {
          started.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    return release;
  }

  /** Runs {@code r} on the loop and waits for it: everything queued before has run. */
  private void onLoop(Runnable r) throws Exception {
    loop.submit(r).get(10, TimeUnit.SECONDS);
  }
}
