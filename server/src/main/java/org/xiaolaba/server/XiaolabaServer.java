package org.xiaolaba.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.NettyRuntime;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.ConfigException;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.ffmpeg.FfmpegBinaries;
import org.xiaolaba.config.ffmpeg.FfmpegLocator;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.ClipLibrary;
import org.xiaolaba.scheduler.BulletinService;
import org.xiaolaba.scheduler.ItemService;
import org.xiaolaba.scheduler.ProgramService;
import org.xiaolaba.server.api.AreasApi;
import org.xiaolaba.server.api.AuditApi;
import org.xiaolaba.server.api.BulletinsApi;
import org.xiaolaba.server.api.ClipsApi;
import org.xiaolaba.server.api.ItemsApi;
import org.xiaolaba.server.api.MediaApi;
import org.xiaolaba.server.api.OpsApi;
import org.xiaolaba.server.api.ProgramsApi;
import org.xiaolaba.server.api.PushesApi;
import org.xiaolaba.server.api.TerminalsApi;
import org.xiaolaba.server.api.TokensApi;
import org.xiaolaba.server.audit.AuditLog;
import org.xiaolaba.server.auth.AreaAccess;
import org.xiaolaba.server.auth.RevokedTokenSockets;
import org.xiaolaba.server.auth.TokenStore;
import org.xiaolaba.server.http.AuditRecorder;
import org.xiaolaba.server.http.ClientAddress;
import org.xiaolaba.server.http.ClientThrottle;
import org.xiaolaba.server.http.HttpMetrics;
import org.xiaolaba.server.http.HttpServerInitializer;
import org.xiaolaba.server.http.HttpServices;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;
import org.xiaolaba.server.http.TokenCheck;
import org.xiaolaba.server.push.PushHub;
import org.xiaolaba.server.push.TerminalDispatcher;
import org.xiaolaba.server.push.TerminalPresence;
import org.xiaolaba.server.push.WebSocketEndpoint;

/**
 * One xiaolaba node: wires Redis, ffmpeg, the clip library, the scheduler and the push hub behind
 * one Netty port, and takes them down in the reverse order.
 */
public final class XiaolabaServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XiaolabaServer.class);

  private final RedisHandle redis;
  private final ClipLibrary clips;
  private final PushHub hub;
  private final PeerMedia peers;
  private final TerminalPresence presence;
  private final ProgramService programs;
  private final BulletinService bulletins;
  private final ThreadPoolExecutor blocking;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel serverChannel;
  private final RevokedTokenSockets revocations;
  private final NodeMetrics metrics;
  private final List<Route> routes;
  private final Optional<String> generatedAdminToken;

  private XiaolabaServer(Builder b) {
    this.redis = b.redis;
    this.clips = b.clips;
    this.hub = b.hub;
    this.peers = b.peers;
    this.presence = b.presence;
    this.programs = b.programs;
    this.bulletins = b.bulletins;
    this.blocking = b.blocking;
    this.boss = b.boss;
    this.workers = b.workers;
    this.serverChannel = b.serverChannel;
    this.revocations = b.revocations;
    this.metrics = b.metrics;
    this.routes = b.routes;
    this.generatedAdminToken = b.generatedAdminToken;
  }

  /** Collects what start-up opened, so a failure half way closes exactly that. */
  private static final class Builder {
    RedisHandle redis;
    ClipLibrary clips;
    PushHub hub;
    PeerMedia peers;
    TerminalPresence presence;
    ProgramService programs;
    BulletinService bulletins;
    ThreadPoolExecutor blocking;
    EventLoopGroup boss;
    EventLoopGroup workers;
    Channel serverChannel;
    RevokedTokenSockets revocations;
    NodeMetrics metrics;
    List<Route> routes = List.of();
    Optional<String> generatedAdminToken = Optional.empty();
  }

  public static XiaolabaServer start(Settings settings) {
    Builder b = new Builder();
    try {
      return start(settings, b);
    } catch (RuntimeException e) {
      new XiaolabaServer(b).close();
      throw e;
    }
  }

  private static XiaolabaServer start(Settings settings, Builder b) {
    Clock clock = Clock.systemUTC();
    AreaTree areas = AreaTree.of(settings.areas());
    createDirectories(settings.dataDir());
    FfmpegBinaries ffmpeg =
        new FfmpegLocator().locate(settings.ffmpeg(), settings.dataDir().resolve("bin"));
    b.redis = RedisHandle.open(settings);
    if (!b.redis.ping()) {
      throw new ConfigException(
          "Redis at "
              + b.redis.uri().getHost()
              + ":"
              + b.redis.uri().getPort()
              + " does not answer; check redis.url (XIAOLABA_REDIS_URL) or unset it to use the embedded Redis");
    }
    b.metrics = new NodeMetrics();
    NodeMetrics nodeMetrics = b.metrics;
    PrometheusMeterRegistry metrics = nodeMetrics.registry();
    nodeMetrics.redis(b.redis);

    Settings.Http http = settings.http();
    b.blocking =
        new ThreadPoolExecutor(
            http.blockingThreads(),
            http.blockingThreads(),
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(http.blockingQueueSize()),
            new DefaultThreadFactory("blocking", true));
    nodeMetrics.blockingPool(b.blocking);

    b.clips = new ClipLibrary(settings, ffmpeg, b.redis, clock);
    b.clips.start();
    nodeMetrics.clips(b.clips);

    TokenStore tokens = new TokenStore(b.redis, clock);
    b.generatedAdminToken = tokens.ensureAdmin(settings.admin().token(), areas.countyCode());
    AdminTokenFile.settle(settings.dataDir(), b.generatedAdminToken, settings.admin().token());

    b.hub = new PushHub(b.redis, areas, b.blocking, clock, b.clips::find, settings.websocket());
    b.hub.start();
    PushHub hub = b.hub;
    b.clips.addListener(hub::publishClip);
    nodeMetrics.pushHub(b.hub);
    b.hub.observeFanOut(nodeMetrics.fanOutMillis());
    b.presence =
        new TerminalPresence(b.redis, b.blocking, clock, settings.websocket().presenceTtl());
    TerminalPresence presence = b.presence;

    TerminalDispatcher dispatcher = new TerminalDispatcher(b.hub, presence);
    ItemService items = new ItemService(b.redis, areas, b.clips::find, clock);
    b.bulletins =
        new BulletinService(
            settings,
            b.redis,
            areas,
            items,
            b.clips::find,
            b.clips::assembleBulletin,
            dispatcher,
            clock);
    b.programs =
        new ProgramService(settings, b.redis, areas, b.clips::find, dispatcher, clock, b.bulletins);
    b.programs.start();
    nodeMetrics.scheduler(b.programs);
    b.bulletins.start(b.programs.nodeId());

    AreaAccess access = new AreaAccess(areas);
    Router router = new Router();
    new OpsApi(
            metrics,
            Map.of(
                "redis", b.redis::ping,
                "ffmpeg", b.clips::ffmpegWorks,
                "scheduler", b.programs::quartzRunning))
        .register(router);
    new AreasApi(areas).register(router);
    new TokensApi(tokens, areas).register(router);
    new ClipsApi(b.clips, b.programs, items, settings.zone()).register(router);
    new MediaApi(b.clips).register(router);
    new ProgramsApi(b.programs, access).register(router);
    new org.xiaolaba.server.api.EmergencyApi(b.programs.emergencies(), access).register(router);
    new ItemsApi(items, access).register(router);
    new BulletinsApi(b.bulletins, access).register(router);
    new PushesApi(b.hub, b.clips, access, presence, nodeMetrics.pushPublish()).register(router);
    new TerminalsApi(presence, access).register(router);
    new org.xiaolaba.server.api.ClientSupportApi(clock).register(router);
    new org.xiaolaba.server.api.ConsoleApi().register(router);
    AuditLog audit =
        new AuditLog(
            b.redis,
            clock,
            settings.zone(),
            settings.audit().retention(),
            settings.audit().maxEntries());
    new AuditApi(audit).register(router);

    b.revocations = new RevokedTokenSockets(b.redis, tokens, presence::revoked);
    b.revocations.start();
    b.routes = router.routes();
    ClientThrottle throttle =
        new ClientThrottle(
            settings.http().throttle(), settings.audit().anonymousPerMinute(), clock);
    TokenCheck tokenCheck = new TokenCheck(tokens::lookup, b.blocking, throttle);
    HttpServices services =
        new HttpServices(
            settings,
            router,
            tokens,
            b.blocking,
            b.clips.incomingDir(),
            new WebSocketEndpoint(
                settings.websocket(), b.hub, presence, tokenCheck, b.revocations::track),
            new HttpMetrics(metrics),
            throttle,
            tokenCheck,
            clients(settings),
            new AuditRecorder(audit, b.blocking, metrics, throttle));
    Transport transport = Transport.choose(settings.http().transport());
    b.boss =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("accept"), transport.ioHandlers());
    b.workers =
        new MultiThreadIoEventLoopGroup(
            eventLoops(settings.http().eventLoops()),
            new DefaultThreadFactory("event-loop"),
            transport.ioHandlers());
    b.serverChannel =
        new ServerBootstrap()
            .group(b.boss, b.workers)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new HttpServerInitializer(services))
            .bind(settings.port())
            .syncUninterruptibly()
            .channel();
    String advertised = settings.http().advertiseUrl();
    b.peers =
        new PeerMedia(
            b.redis,
            advertised == null || advertised.isBlank()
                ? "http://127.0.0.1:"
                    + ((InetSocketAddress) b.serverChannel.localAddress()).getPort()
                : advertised,
            clock);
    b.clips.peers(b.peers);
    XiaolabaServer server = new XiaolabaServer(b);
    log.info(
        "xiaolaba serving {} ({}) on port {} with {} transport; data in {}",
        areas.root().name(),
        areas.countyCode(),
        server.port(),
        transport.name(),
        settings.dataDir().toAbsolutePath().normalize());
    return server;
  }

  /**
   * Event loop threads: as configured, or one per core ({@code 0}). Netty's own default is two per
   * core; on a push server's bursts the extra threads only take turns on the same cores.
   */
  static int eventLoops(int configured) {
    return configured > 0 ? configured : NettyRuntime.availableProcessors();
  }

  private static void createDirectories(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
    } catch (java.io.IOException e) {
      throw new ConfigException(
          "config key 'dataDir' has value '"
              + dataDir
              + "': the directory cannot be created ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  /** The Redis this node uses (its embedded one, when it started one): for other nodes to join. */
  public java.net.URI redisUri() {
    return redis.uri();
  }

  /** The route table this node serves (for tests that check every route). */
  public List<Route> routes() {
    return routes;
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /**
   * The admin token generated on this start, if one was (first start without a configured one); it
   * is in {@code <dataDir>/admin-token}.
   */
  public Optional<String> generatedAdminToken() {
    return generatedAdminToken;
  }

  /**
   * Graceful shutdown: stop accepting, tell WebSocket clients we are going away, stop firing
   * programs, let uploads and transcodes finish or fail cleanly, then stop Redis if it is ours.
   */
  @Override
  public void close() {
    log.info("Shutting down: no new connections; closing WebSockets with 1001");
    if (serverChannel != null) serverChannel.close().syncUninterruptibly();
    if (peers != null) peers.close();
    if (revocations != null) revocations.close();
    if (hub != null) hub.closeAll(java.time.Duration.ofSeconds(3));
    if (bulletins != null) bulletins.close();
    if (programs != null) programs.close();
    if (clips != null) clips.close();
    if (hub != null) hub.close();
    if (presence != null) presence.close();
    if (blocking != null) {
      blocking.shutdown();
      try {
        if (!blocking.awaitTermination(10, TimeUnit.SECONDS)) blocking.shutdownNow();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (workers != null) workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    if (boss != null) boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    if (metrics != null) metrics.close();
    if (redis != null) redis.close();
    log.info("Shut down");
  }

  private static ClientAddress clients(Settings settings) {
    try {
      return ClientAddress.trusting(settings.http().trustedProxies());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "config key 'http.trustedProxies' has value '"
              + settings.http().trustedProxies()
              + "': "
              + e.getMessage());
    }
  }
}
