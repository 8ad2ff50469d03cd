package dev.granary.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import dev.granary.core.Meters;
import dev.granary.core.catalog.ModuleCatalog;
import dev.granary.core.dl.DlMirror;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.gocache.BundleStore;
import dev.granary.core.gocache.ClientModule;
import dev.granary.core.gocache.RemoteBuildCache;
import dev.granary.core.policy.VersionPolicy;
import dev.granary.core.retention.AccessTimes;
import dev.granary.core.retention.Retention;
import dev.granary.core.snapshot.SnapshotOrigins;
import dev.granary.core.sumdb.SumdbDatabases;
import dev.granary.core.sumdb.SumdbProxy;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.server.auth.Need;
import dev.granary.server.auth.Right;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import dev.granary.server.http.AccessLog;
import dev.granary.server.http.Admission;
import dev.granary.server.http.CatalogRoutes;
import dev.granary.server.http.HttpEdge;
import dev.granary.server.http.Readiness;
import dev.granary.server.http.Redaction;
import dev.granary.server.http.ResponsePolicy;
import dev.granary.server.http.Routes;
import dev.granary.server.tls.TlsContexts;
import dev.granary.storage.BlobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires storage, upstreams, the module service, the security at the edge (TLS, client tokens,
 * version policy, rate and concurrency limits) and Netty together, and shuts them down gracefully:
 * stop accepting, let in-flight responses finish (bounded by {@code shutdown.grace}), then release
 * everything and remove temporary files.
 */
public final class GranaryServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GranaryServer.class);

    private final GranaryConfig config;
    private final Metrics metrics = new Metrics();
    private final Services services;
    private final ExecutorService blocking;
    private final StorageTiers tiers;
    private final Duration zipRedirect;
    private final ModuleService modules;
    private final SumdbProxy sumdb;
    private final RemoteBuildCache buildCache;
    private final BundleStore bundles;
    private final ModuleCatalog catalog;
    private final SnapshotOrigins origins;
    private final AccessTimes access;
    private final Retention retention;
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("granary-housekeeping").factory());
    private final AtomicLong lastGcSuccess = new AtomicLong();
    private final Map<String, String> env;
    private final DlMirror dl;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final EdgeSecurity security;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private final List<Channel> serverChannels = new ArrayList<>();
    private InetSocketAddress plainAddress;
    private HttpEdge edge;
    private volatile boolean closed;

    public GranaryServer(GranaryConfig config, Map<String, String> env) throws IOException {
        this.config = config;
        this.env = env;
        // Storage, upstreams, checksum databases and the module service: shared with export and import.
        this.services = new Services(config, env, metrics);
        this.blocking = services.blocking();
        this.tiers = services.tiers();
        Path root = services.root();
        BlobStore store = tiers.store();
        MeterRegistry registry = metrics.registry();
        List<SumdbSpec> specs = services.sumdbSpecs();
        SumdbDatabases databases = services.databases();
        this.sumdb = new SumdbProxy(databases, registry, config.duration(ConfigKey.CACHE_LIST_TTL), services.offline());
        this.modules = services.modules();
        VersionPolicy policy = services.policy();
        services.recoverInterruptedImports();
        // Reads for people and housekeeping go to the durable tier unobserved: they are no client's lookups.
        this.access = new AccessTimes(tiers.quiet(), Clock.systemUTC());
        // Which snapshot brought a version in: the importer's records, looked for again at most every 30 s.
        this.origins = new SnapshotOrigins(tiers.quiet(), Duration.ofSeconds(30));
        SnapshotMetrics.register(origins, databases.names(), registry);
        this.catalog =
                new ModuleCatalog(tiers.quiet(), databases::names, origins, access::lastRequested).metered(registry);
        modules.committer().onCommit(catalog::added);
        modules.committer().onRemove(catalog::removed);
        // Removals go through the committer, hence through the hot tier, which forgets what is removed.
        this.retention = new Retention(tiers.quiet(), modules.committer(), access, Clock.systemUTC(), registry);
        Gauge.builder(Meters.GC_LAST_SUCCESS, lastGcSuccess, AtomicLong::get)
                .baseUnit("seconds")
                .description("End of the last retention run that succeeded, in seconds since the epoch (0 before any)")
                .register(registry);
        preregister(registry, tiers.s3().isPresent());
        for (String result : new String[] {"ok", "error"}) {
            Counter.builder(Meters.GC_RUNS)
                    .description("Retention runs by result")
                    .tag("result", result)
                    .register(registry);
        }
        this.zipRedirect = tiers.s3().isPresent() && config.bool(ConfigKey.S3_REDIRECT)
                ? config.duration(ConfigKey.S3_REDIRECT_EXPIRY)
                : null;
        this.buildCache = new RemoteBuildCache(
                store,
                new RemoteBuildCache.Settings(
                        config.bytes(ConfigKey.GOCACHE_MAX_BYTES), config.duration(ConfigKey.GOCACHE_MAX_AGE)),
                registry);
        this.bundles = new BundleStore(store, registry);
        this.dl = services.dl();
        this.security = new EdgeSecurity(config, registry);
        log.info(
                "storage {}, upstream {}, at most {} upstream requests at once",
                store.describe(),
                services.upstream().describe(),
                config.integer(ConfigKey.FETCH_MAX_CONCURRENT));
        log.info("policy: {}", policy == VersionPolicy.NONE ? "none" : policy);
        if (specs.isEmpty()) {
            log.warn("checksum verification is off (sumdb: off): upstream content is cached unverified");
        } else {
            log.info(
                    "verifying against checksum database {}; private patterns: '{}'",
                    specs.get(0).name(),
                    services.noSumdb());
        }
    }

    /**
     * Counters that alerts watch with {@code increase()} exist at zero from the start: a series that
     * appears with its first event would hide that event from {@code increase()} and {@code rate()}.
     */
    private static void preregister(MeterRegistry registry, boolean s3) {
        for (String reason : new String[] {
            "checksum-mismatch",
            "go-mod-mismatch",
            "invalid-proof",
            "not-in-sumdb",
            "pin-mismatch",
            "pin-unreadable",
            "zip-rules"
        }) {
            Counter.builder(Meters.VERIFICATION_FAILURES)
                    .description("Content refused by verification, by reason")
                    .tag("reason", reason)
                    .register(registry);
        }
        for (String what : new String[] {"version", "blob"}) {
            Counter.builder(Meters.GC_REMOVED)
                    .description("What retention removed")
                    .tag("what", what)
                    .register(registry);
        }
        Counter.builder(Meters.GC_RECLAIMED)
                .baseUnit("bytes")
                .description("Storage released by retention")
                .register(registry);
        Counter.builder(Meters.HOT_EVICTIONS).description("Hot tier evictions").register(registry);
        for (String reason : new String[] {"server-limit", "client-limit"}) {
            Counter.builder(Meters.HTTP_CONNECTIONS_REJECTED)
                    .description("Connections turned away at a connection limit")
                    .tag("reason", reason)
                    .register(registry);
        }
        for (String tier : s3 ? new String[] {"hot", "disk", "s3"} : new String[] {"hot", "disk"}) {
            for (String op : new String[] {"get", "stat", "put", "delete", "list"}) {
                Counter.builder(Meters.STORAGE_ERRORS)
                        .description("Storage errors by tier and operation")
                        .tag("tier", tier)
                        .tag("operation", op)
                        .register(registry);
            }
        }
    }

    /** Binds and starts serving; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws InterruptedException {
        // Texts clients see never name the storage root or temporary files (downloads go there too).
        Path root = tiers.disk().root();
        Redaction redaction = Redaction.of(root);
        GranaryConfig.SizeOrPercent minFree = config.sizeOrPercent(ConfigKey.READINESS_MIN_FREE);
        Readiness readiness = new Readiness(tiers.store(), root, minFree::of, redaction);
        Admission admission = new Admission(
                security.access(),
                new Admission.Settings(
                        config.integer(ConfigKey.LIMITS_CLIENT_RATE),
                        config.integer(ConfigKey.LIMITS_CLIENT_BURST),
                        config.integer(ConfigKey.LIMITS_TOKEN_RATE),
                        config.integer(ConfigKey.LIMITS_TOKEN_BURST),
                        config.get(ConfigKey.LIMITS_TRUSTED_PROXIES)),
                metrics);
        // The build caches' PUTs are decided on their head by the same admission the edge applies to every route.
        Routes routes = new Routes(
                modules,
                metrics,
                index(),
                s -> sumdb.serve(s.name(), s.path()),
                zipRedirect,
                readiness,
                new CatalogRoutes(catalog, new CatalogStats(metrics.registry(), catalog)),
                access::touched,
                dl,
                new Routes.BuildCaches(
                        buildCache,
                        bundles,
                        admission,
                        config.bytes(ConfigKey.GOCACHE_MAX_ENTRY_BYTES),
                        config.bytes(ConfigKey.GOCACHE_MAX_BUNDLE_BYTES),
                        root));
        startBuildCaches(root);
        edge = new HttpEdge(
                new HttpEdge.Settings(
                        config.duration(ConfigKey.HTTP_HEADER_TIMEOUT),
                        config.duration(ConfigKey.HTTP_IDLE_TIMEOUT),
                        config.integer(ConfigKey.HTTP_MAX_CONNECTIONS),
                        config.integer(ConfigKey.HTTP_MAX_CONNECTIONS_PER_CLIENT)),
                routes,
                blocking,
                metrics,
                new ResponsePolicy(redaction),
                AccessLog.of(config.bool(ConfigKey.LOG_ACCESS), env),
                admission);
        startHousekeeping();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelClass =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(0, io);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .handler(edge.acceptGate())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(
                        security.tls() == null
                                ? edge.initializer(channels)
                                : edge.initializer(channels, security.tls()));
        Channel main = b.bind(config.host(), config.port()).sync().channel();
        serverChannels.add(main);
        InetSocketAddress addr = (InetSocketAddress) main.localAddress();
        log.info(
                "granary listening on {}:{} ({}; {}; {})",
                addr.getHostString(),
                addr.getPort(),
                security.tls() == null ? "plain HTTP/1.1" : "HTTPS: HTTP/2 and HTTP/1.1",
                epoll ? "epoll" : "nio",
                edge.describeLimits());
        String plain = config.get(ConfigKey.TLS_PLAIN_LISTEN);
        if (plain != null && !plain.isBlank()) {
            if (security.tls() == null) {
                log.warn(
                        "tls.plain-listen is ignored: TLS is off, so {} already serves plain HTTP",
                        config.get(ConfigKey.LISTEN));
            } else {
                String[] hp = config.address(ConfigKey.TLS_PLAIN_LISTEN);
                Channel second = b.clone()
                        .handler(edge.acceptGate())
                        .childHandler(edge.initializer(channels))
                        .bind(hp[0], Integer.parseInt(hp[1]))
                        .sync()
                        .channel();
                serverChannels.add(second);
                plainAddress = (InetSocketAddress) second.localAddress();
                log.info("plain HTTP/1.1 also served on {}:{}", plainAddress.getHostString(), plainAddress.getPort());
            }
        }
        return addr;
    }

    /** The plain-HTTP listener's address when {@code tls.plain-listen} is set (and TLS is on), else null. */
    public InetSocketAddress plainAddress() {
        return plainAddress;
    }

    /** The TLS contexts when TLS is on, else null. */
    public TlsContexts tls() {
        return security.tls();
    }

    /** Indexes the remote build cache and publishes the GOCACHEPROG client, in the background. */
    private void startBuildCaches(Path root) {
        blocking.execute(() -> {
            try {
                int n = buildCache.load();
                long writers = security.tokens().get().holding(Right.CACHE_WRITE);
                log.info(
                        "remote build cache: {} entries, {} MiB; writes need a token with cache-write ({}), reads {}",
                        n,
                        buildCache.indexedBytes() >> 20,
                        writers == 0
                                ? "none in auth.tokens-file or auth.tokens yet: every write is refused"
                                : writers == 1 ? "1 token has it" : writers + " tokens have it",
                        security.access().needsToken(Need.cacheRead())
                                ? "need a token with cache-read (auth.required is set)"
                                : "are open");
            } catch (IOException | RuntimeException e) {
                log.warn("indexing the remote build cache: {}", e.toString());
            }
        });
        if (config.bool(ConfigKey.GOCACHE_CLIENT_MODULE)) {
            blocking.execute(() -> publishClient(root));
        }
    }

    private void publishClient(Path root) {
        try {
            Map<String, byte[]> files = new LinkedHashMap<>();
            for (String f : ClientModule.FILES) {
                try (InputStream in = GranaryServer.class.getResourceAsStream("gocacheprog/" + f)) {
                    if (in == null) {
                        log.warn(
                                "the GOCACHEPROG client's sources are not in this build ({} missing): not publishing it",
                                f);
                        return;
                    }
                    files.put(f, in.readAllBytes());
                }
            }
            switch (ClientModule.publish(modules, files, root)) {
                case PUBLISHED ->
                    log.info("published the GOCACHEPROG client as {}@{}", ClientModule.PATH, ClientModule.VERSION);
                case PRESENT -> log.debug("{}@{} is published", ClientModule.PATH, ClientModule.VERSION);
                case CONFLICT ->
                    log.error(
                            "{}@{} in storage differs from this Granary's client: left as it is (a version never changes)",
                            ClientModule.PATH,
                            ClientModule.VERSION);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("publishing the GOCACHEPROG client: {}", e.toString());
        }
    }

    /**
     * Background work: the catalog's index (built once at start, and rebuilt every 15 minutes when
     * replicas share S3, since the others commit too), last-request times written every minute, and
     * retention on {@code gc.schedule}.
     */
    private void startHousekeeping() {
        housekeeping.execute(this::rebuildCatalog);
        if (tiers.s3().isPresent()) {
            housekeeping.scheduleWithFixedDelay(this::rebuildCatalog, 15, 15, TimeUnit.MINUTES);
        }
        housekeeping.scheduleWithFixedDelay(this::flushAccess, 1, 1, TimeUnit.MINUTES);
        Duration every = config.duration(ConfigKey.GC_SCHEDULE);
        Duration maxAge = config.duration(ConfigKey.GC_MAX_AGE);
        if (!every.isZero()) {
            if (maxAge.isZero()) {
                log.warn("gc.schedule is set but gc.max-age is 0 (keep every version): retention has nothing to do");
            } else {
                log.info("retention every {}: versions not requested for {} are removed", every, maxAge);
                housekeeping.scheduleWithFixedDelay(
                        () -> collectGarbage(maxAge), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private void rebuildCatalog() {
        try {
            origins.refresh();
        } catch (IOException | RuntimeException e) {
            log.warn("catalog: reading the records of imported snapshots failed: {}", e.toString());
        }
        try {
            catalog.rebuild();
        } catch (IOException | RuntimeException e) {
            log.warn(
                    "catalog: listing storage failed, search shows only versions committed since start: {}",
                    e.toString());
        }
    }

    private void flushAccess() {
        try {
            access.flush();
        } catch (RuntimeException e) {
            log.warn("recording last-request times: {}", e.toString());
        }
    }

    private void collectGarbage(Duration maxAge) {
        flushAccess();
        try {
            Retention.Report r = retention.run(
                    new Retention.Policy(maxAge, List.of()),
                    false,
                    x -> log.info("gc: removed {} ({} bytes): {}", x.name(), x.bytes(), x.reason()));
            metrics.registry().counter(Meters.GC_RUNS, "result", "ok").increment();
            lastGcSuccess.set(Instant.now().getEpochSecond());
            log.info(
                    "gc: {} of {} versions removed, {} bytes released",
                    r.removals().size(),
                    r.versionsExamined(),
                    r.bytes());
        } catch (IOException | RuntimeException e) {
            metrics.registry().counter(Meters.GC_RUNS, "result", "error").increment();
            log.warn("gc failed: {}", e.toString());
        }
    }

    /** The access log is written by a queue: the process drains it once the server is closed, before it exits. */
    static void flushAccessLog() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            Appender<ILoggingEvent> a = ctx.getLogger("granary.access").getAppender("access");
            if (a != null) {
                a.stop();
            }
        }
    }

    private int inFlight() {
        return edge == null ? 0 : edge.inFlight();
    }

    public ModuleService modules() {
        return modules;
    }

    /** The release archive mirror ({@code /dl/}). */
    public DlMirror dl() {
        return dl;
    }

    public Metrics metrics() {
        return metrics;
    }

    private String index() {
        return "Granary: a caching Go module proxy.\n\n"
                + "  go env -w GOPROXY=" + (security.tls() == null ? "http" : "https") + "://<this host>:"
                + config.port() + "\n\n"
                + "Go release archives (CI setup action: go-download-base-url: "
                + (security.tls() == null ? "http" : "https")
                + "://<this host>:" + config.port() + "/dl):\n"
                + "  /dl/?mode=json[&include=all], /dl/<filename>[.sha256|.asc]\n\n"
                + "Endpoints: /<module>/@v/list, /<module>/@v/<version>.info|.mod|.zip, /<module>/@latest,\n"
                + "           /sumdb/<name>/..., /dl/..., /healthz, /readyz, /metrics\n"
                + "           /gocache/cache/ (GOCACHEPROG), /gocache/bundles/index.json (pre-warm bundles)\n\n"
                + "  go install " + ClientModule.PATH + "@" + ClientModule.VERSION + "   (with GONOSUMDB="
                + ClientModule.PATH + ")\n";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Duration grace = config.duration(ConfigKey.SHUTDOWN_GRACE);
        security.close();
        for (Channel c : serverChannels) {
            c.close().awaitUninterruptibly();
        }
        if (edge != null) {
            edge.drain(channels);
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight() > 0) {
            log.warn("closing with {} responses still in flight after {}", inFlight(), grace);
        }
        channels.close().awaitUninterruptibly();
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        housekeeping.shutdownNow();
        flushAccess();
        services.close();
        metrics.close();
        log.info("granary stopped");
    }
}
