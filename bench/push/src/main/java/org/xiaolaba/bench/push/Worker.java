package org.xiaolaba.bench.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.AttributeKey;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A client process: holds up to about 18,000 resident connections (one process cannot open more
 * files than {@code ulimit -n}) and obeys the driver's commands, one JSON object per line on stdin,
 * answering each with one JSON line on stdout. Everything else it says goes to stderr.
 */
final class Worker {
  static final AttributeKey<Resident> RESIDENT = AttributeKey.valueOf("resident");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Client sockets per loopback source address: far below the ~28,000 ephemeral ports of each. */
  static final int PER_SOURCE_ADDRESS = 1000;

  private final PrintStream out;
  private final MultiThreadIoEventLoopGroup group;
  private final Bootstrap bootstrap;
  private final List<Resident> residents = new ArrayList<>();
  private final Recorder sentAtLatency = new Recorder(3);
  private final Map<String, Receipts> receipts = new ConcurrentHashMap<>();
  private volatile boolean tracking;
  private volatile Semaphore connecting;
  private final AtomicInteger firstSubscribed = new AtomicInteger();
  private final LongAdder pushes = new LongAdder();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong unexpectedCloses = new AtomicLong();
  private final AtomicLong connectFailures = new AtomicLong();
  private final AtomicLong notRecovered = new AtomicLong();
  private final AtomicLong serverErrors = new AtomicLong();
  private final Set<String> closeReasons = ConcurrentHashMap.newKeySet();

  /** Receipt instants (epoch microseconds) of one push, one per resident. */
  private static final class Receipts {
    final long[] micros;
    final AtomicInteger n = new AtomicInteger();

    Receipts(int capacity) {
      micros = new long[capacity];
    }
  }

  Worker(PrintStream out, int threads) {
    this.out = out;
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    group = new MultiThreadIoEventLoopGroup(threads, io);
    bootstrap =
        new Bootstrap()
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    Resident r = ch.attr(RESIDENT).get();
                    ch.pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(8192))
                        .addLast(
                            new WebSocketClientProtocolHandler(
                                WebSocketClientProtocolConfig.newBuilder()
                                    .webSocketUri(r.uri())
                                    .handleCloseFrames(false)
                                    .dropPongFrames(true)
                                    .handshakeTimeoutMillis(30_000)
                                    .maxFramePayloadLength(1 << 20)
                                    .build()))
                        .addLast(new ResidentHandler(r));
                  }
                });
  }

  Bootstrap bootstrap() {
    return bootstrap;
  }

  /** Runs the command loop until stdin closes or {@code exit}. */
  static void run(int threads) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    Worker w = new Worker(out, threads);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    try {
      while ((line = in.readLine()) != null) {
        JsonNode cmd = JSON.readTree(line);
        if ("exit".equals(cmd.path("cmd").asText())) break;
        ObjectNode reply;
        try {
          reply = w.handle(cmd);
        } catch (Exception e) {
          reply = JSON.createObjectNode().put("error", e.toString());
        }
        out.println(JSON.writeValueAsString(reply));
      }
    } finally {
      w.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  private ObjectNode handle(JsonNode cmd) throws Exception {
    return switch (cmd.path("cmd").asText()) {
      case "connect" -> connect(cmd);
      case "track" -> {
        tracking = cmd.path("on").asBoolean();
        receipts.clear();
        yield JSON.createObjectNode();
      }
      case "receipts" -> receipts(cmd);
      case "stats" -> stats();
      case "reset" -> reset(cmd.path("target").asInt(Integer.MAX_VALUE));
      case "drop" -> drop(cmd.path("count").asInt());
      case "reconnect" -> reconnect(cmd);
      case "verify" -> verify(cmd);
      default -> throw new IllegalArgumentException("unknown command " + cmd);
    };
  }

  // ---- commands ----

  /** Opens {@code count} residents, at most {@code inFlight} handshakes at a time. */
  private ObjectNode connect(JsonNode cmd) throws Exception {
    List<Integer> ports = new ArrayList<>();
    cmd.path("ports").forEach(p -> ports.add(p.asInt()));
    List<String> channels = new ArrayList<>();
    cmd.path("channels").forEach(c -> channels.add(c.asText()));
    int first = cmd.path("first").asInt();
    int count = cmd.path("count").asInt();
    Duration timeout = Duration.ofSeconds(cmd.path("timeoutSec").asInt(600));
    Semaphore permits = new Semaphore(cmd.path("inFlight").asInt(200));
    connecting = permits;
    long start = System.nanoTime();
    int before = firstSubscribed.get();
    for (int i = 0; i < count; i++) {
      int g = first + i;
      EventLoop loop = group.next();
      Resident r =
          new Resident(
              this,
              loop,
              new InetSocketAddress(sourceAddress(g), 0),
              new InetSocketAddress("127.0.0.1", ports.get(g % ports.size())),
              channels.get(g % channels.size()));
      residents.add(r);
      if (!permits.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) break;
      r.connect();
    }
    boolean all =
        Waits.until(() -> firstSubscribed.get() - before >= count, deadline(start, timeout));
    connecting = null;
    return JSON.createObjectNode()
        .put("connected", firstSubscribed.get() - before)
        .put("complete", all)
        .put("millis", (System.nanoTime() - start) / 1_000_000)
        .put("connectFailures", connectFailures.get())
        .put("unexpectedCloses", unexpectedCloses.get());
  }

  /** 127.0.0.2, 127.0.0.3, ...: a new source address every {@link #PER_SOURCE_ADDRESS} sockets. */
  static InetAddress sourceAddress(int globalIndex) throws UnknownHostException {
    int a = 2 + globalIndex / PER_SOURCE_ADDRESS;
    return InetAddress.getByAddress(new byte[] {127, (byte) (a >> 16), (byte) (a >> 8), (byte) a});
  }

  /** Waits for every resident here on a covered channel to receive {@code pushId}. */
  private ObjectNode receipts(JsonNode cmd) {
    String pushId = cmd.path("pushId").asText();
    long t0 = cmd.path("t0Micros").asLong();
    Set<String> covered = new HashSet<>();
    cmd.path("channels").forEach(c -> covered.add(c.asText()));
    int expect = (int) residents.stream().filter(r -> covered.contains(r.channel)).count();
    long start = System.nanoTime();
    Waits.until(
        () -> {
          Receipts rc = receipts.get(pushId);
          return rc != null && rc.n.get() >= expect;
        },
        deadline(start, Duration.ofSeconds(cmd.path("timeoutSec").asInt(30))));
    Histogram h = new Histogram(3);
    Receipts rc = receipts.remove(pushId);
    int n = rc == null ? 0 : Math.min(rc.n.get(), rc.micros.length);
    for (int i = 0; i < n; i++) h.recordValue(Math.max(0, rc.micros[i] - t0));
    return JSON.createObjectNode()
        .put("expected", expect)
        .put("received", n)
        .put("histogram", Histograms.encode(h));
  }

  private ObjectNode stats() {
    long subscribedNow = residents.stream().filter(r -> r.subscribed).count();
    return JSON.createObjectNode()
        .put("residents", residents.size())
        .put("subscribed", subscribedNow)
        .put("pushes", pushes.sum())
        .put("duplicates", duplicates.get())
        .put("unexpectedCloses", unexpectedCloses.get())
        .put("connectFailures", connectFailures.get())
        .put("notRecovered", notRecovered.get())
        .put("serverErrors", serverErrors.get())
        .put("closeReasons", String.join("; ", closeReasons))
        .put("sentAtLatency", Histograms.encode(sentAtLatency.getIntervalHistogram()));
  }

  private ObjectNode reset(int target) {
    for (Resident r : residents) r.reset(target);
    settle();
    return JSON.createObjectNode();
  }

  private ObjectNode drop(int count) {
    for (int i = 0; i < count && i < residents.size(); i++) residents.get(i).drop();
    settle();
    return JSON.createObjectNode();
  }

  /**
   * Reconnects the first {@code count} residents all at once and waits until each has subscribed
   * again and holds {@code target} pushes (those sent before it was told to reconnect).
   */
  private ObjectNode reconnect(JsonNode cmd) {
    int count = Math.min(cmd.path("count").asInt(), residents.size());
    int target = cmd.path("target").asInt();
    List<Resident> back = residents.subList(0, count);
    for (Resident r : back) r.setTarget(target);
    settle();
    long start = System.nanoTime();
    for (Resident r : back) r.connect();
    Waits.until(
        () -> back.stream().allMatch(r -> r.caughtUpAt != 0),
        deadline(start, Duration.ofSeconds(cmd.path("timeoutSec").asInt(60))));
    Histogram h = new Histogram(3);
    int late = 0;
    int notRecoveredHere = 0;
    for (Resident r : back) {
      long at = r.caughtUpAt;
      if (at == 0) late++;
      else h.recordValue(Math.max(0, (at - start) / 1000));
      if (!r.recovered) notRecoveredHere++;
    }
    return JSON.createObjectNode()
        .put("reconnected", count - late)
        .put("notCaughtUp", late)
        .put("notRecovered", notRecoveredHere)
        .put("histogram", Histograms.encode(h));
  }

  /** Waits until every resident holds {@code expect} pushes; says who is short or over. */
  private ObjectNode verify(JsonNode cmd) {
    int expect = cmd.path("expect").asInt();
    long start = System.nanoTime();
    Waits.until(
        () -> residents.stream().allMatch(r -> r.received >= expect),
        deadline(start, Duration.ofSeconds(cmd.path("timeoutSec").asInt(30))));
    long lost = 0;
    long extra = 0;
    long dups = 0;
    int short_ = 0;
    for (Resident r : residents) {
      int got = r.received;
      if (got < expect) {
        lost += expect - got;
        short_++;
      }
      if (got > expect) extra += got - expect;
      dups += r.duplicates;
    }
    return JSON.createObjectNode()
        .put("residents", residents.size())
        .put("expectedEach", expect)
        .put("lost", lost)
        .put("residentsShort", short_)
        .put("extra", extra)
        .put("duplicates", dups);
  }

  /** Returns once every event loop has run what was queued on it before this call. */
  private void settle() {
    List<io.netty.util.concurrent.Future<?>> marks = new ArrayList<>();
    for (io.netty.util.concurrent.EventExecutor e : group) marks.add(e.submit(() -> {}));
    for (io.netty.util.concurrent.Future<?> f : marks) f.syncUninterruptibly();
  }

  private static long deadline(long startNanos, Duration timeout) {
    return startNanos + timeout.toNanos();
  }

  // ---- events from residents (their event loops) ----

  void subscribed(boolean first) {
    if (!first) return;
    firstSubscribed.incrementAndGet();
    Semaphore s = connecting;
    if (s != null) s.release();
  }

  /**
   * A resident received a push; its id and {@code sentAt} lie in {@code frame} between the given
   * indices (-1 when absent).
   */
  void push(byte[] frame, int idFrom, int idTo, int sentFrom, int sentTo) {
    pushes.increment();
    Instant now = Instant.now();
    long nowMicros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    Current c = current(frame, idFrom, idTo, sentFrom, sentTo);
    if (c.sentMicros >= 0) sentAtLatency.recordValue(Math.max(0, nowMicros - c.sentMicros));
    if (tracking && c.pushId != null) {
      Receipts rc = c.receipts;
      if (rc == null || !receipts.containsKey(c.pushId)) {
        rc = receipts.computeIfAbsent(c.pushId, k -> new Receipts(residents.size()));
        currentPush = c = new Current(c.id, c.pushId, c.sentAt, c.sentMicros, rc);
      }
      int i = rc.n.getAndIncrement();
      if (i < rc.micros.length) rc.micros[i] = nowMicros;
    }
  }

  /**
   * The push every resident of this process receives in turn, decoded once: its id and {@code
   * sentAt} as bytes (to recognise it), as text, and where its receipts go.
   */
  private record Current(
      byte[] id, String pushId, byte[] sentAt, long sentMicros, Receipts receipts) {}

  private volatile Current currentPush = new Current(new byte[0], null, new byte[0], -1, null);

  private Current current(byte[] frame, int idFrom, int idTo, int sentFrom, int sentTo) {
    Current c = currentPush;
    if (same(frame, idFrom, idTo, c.id) && same(frame, sentFrom, sentTo, c.sentAt)) return c;
    byte[] id = bytes(frame, idFrom, idTo);
    byte[] sentAt = bytes(frame, sentFrom, sentTo);
    long micros = -1;
    if (sentAt.length > 0) {
      Instant s = Instant.parse(new String(sentAt, StandardCharsets.US_ASCII));
      micros = s.getEpochSecond() * 1_000_000 + s.getNano() / 1000;
    }
    String pushId = id.length > 0 ? new String(id, StandardCharsets.US_ASCII) : null;
    c = new Current(id, pushId, sentAt, micros, null);
    currentPush = c;
    return c;
  }

  private static boolean same(byte[] frame, int from, int to, byte[] value) {
    if (from < 0 || to < 0) return value.length == 0;
    return Arrays.equals(frame, from, to, value, 0, value.length);
  }

  private static byte[] bytes(byte[] frame, int from, int to) {
    return from < 0 || to < 0 ? new byte[0] : Arrays.copyOfRange(frame, from, to);
  }

  void duplicate() {
    duplicates.incrementAndGet();
  }

  void unexpectedClose() {
    unexpectedCloses.incrementAndGet();
  }

  void connectFailed(Throwable cause) {
    if (connectFailures.incrementAndGet() <= 5) System.err.println("connect failed: " + cause);
  }

  void notRecovered() {
    notRecovered.incrementAndGet();
  }

  void serverError(String frame) {
    if (serverErrors.incrementAndGet() <= 5) System.err.println("server error frame: " + frame);
  }

  void closedBy(int code, String reason) {
    closeReasons.add(code + " " + reason);
  }

  /** The last handler of a resident's pipeline. */
  private final class ResidentHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private final Resident resident;

    ResidentHandler(Resident resident) {
      this.resident = resident;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
        // Pushes are read where they lie from here on; Netty's decoder is left the handshake.
        ctx.pipeline().replace("ws-decoder", "ws-push-reader", new PushFrameReader(resident));
        resident.onOpen(ctx.channel());
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
      if (frame instanceof TextWebSocketFrame text) {
        resident.onText(text.text());
      } else if (frame instanceof CloseWebSocketFrame close) {
        closedBy(close.statusCode(), close.reasonText());
        ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Channel ch = ctx.channel();
      resident.onClosed(ch);
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      closedBy(0, cause.getClass().getSimpleName() + ": " + cause.getMessage());
      ctx.close();
    }
  }
}
