package dev.granary.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import dev.granary.core.Meters;
import dev.granary.core.catalog.ModuleCatalog;
import dev.granary.core.catalog.VersionOrigins;
import dev.granary.core.dl.DlMirror;
import dev.granary.core.dl.DlSettings;
import dev.granary.core.dl.DlTrust;
import dev.granary.core.fetch.FetchSettings;
import dev.granary.core.retention.AccessTimes;
import dev.granary.core.retention.Retention;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.gocache.BundleStore;
import dev.granary.core.gocache.ClientModule;
import dev.granary.core.gocache.RemoteBuildCache;
import dev.granary.core.sumdb.SumdbDatabases;
import dev.granary.core.sumdb.SumdbProxy;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.core.sumdb.SumdbStorage;
import dev.granary.core.sumdb.SumdbVerifier;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.core.upstream.UpstreamCredentials;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import dev.granary.server.http.CacheAccess;
import dev.granary.server.http.AccessLog;
import dev.granary.server.http.CatalogRoutes;
import dev.granary.server.http.HttpEdge;
import dev.granary.server.http.Readiness;
import dev.granary.server.http.Redaction;
import dev.granary.server.http.ResponsePolicy;
import dev.granary.server.http.Routes;
import dev.granary.server.http.TokenCacheAccess;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires storage, upstreams, the module service and Netty together, and shuts them down gracefully:
 * stop accepting, let in-flight responses finish (bounded by {@code shutdown.grace}), then release
 * everything and remove temporary files.
 */
public final class GranaryServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GranaryServer.class);

    private final GranaryConfig config;
    private final Metrics metrics = new Metrics();
    private final ExecutorService blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("granary-", 0).factory());
    private final StorageTiers tiers;
    private final Duration zipRedirect;
    private final ModuleService modules;
    private final SumdbProxy sumdb;
    private final RemoteBuildCache buildCache;
    private final BundleStore bundles;
    private final CacheAccess cacheRead;
    private final CacheAccess cacheWrite;
    private final ModuleCatalog catalog;
    private final AccessTimes access;
    private final Retention retention;
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("granary-housekeeping").factory());
    private final AtomicLong lastGcSuccess = new AtomicLong();
    private final Map<String, String> env;
    private final GitSetup git;
    private final DlMirror dl;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel serverChannel;
    private HttpEdge edge;
    private volatile boolean closed;

    public GranaryServer(GranaryConfig config, Map<String, String> env) throws IOException {
        this.config = config;
        this.env = env;
        Path root = config.storage(env);
        this.tiers = new StorageTiers(config, root, metrics);
        BlobStore store = tiers.store();
        MeterRegistry registry = metrics.registry();

        HttpUpstream.Settings us = new HttpUpstream.Settings(config.duration(ConfigKey.FETCH_CONNECT_TIMEOUT),
                config.duration(ConfigKey.FETCH_TIMEOUT), config.duration(ConfigKey.FETCH_IDLE_TIMEOUT),
                config.integer(ConfigKey.FETCH_RETRIES), Duration.ofMillis(200), HttpUpstream.Settings.DEFAULT_MAX_RETRY_AFTER,
                config.redirects(), UpstreamCredentials.parse(config.get(ConfigKey.FETCH_CREDENTIALS), env));
        HttpClient client = HttpUpstream.newClient(us);
        UpstreamChain upstream = UpstreamChain.parse(config.get(ConfigKey.UPSTREAM), client, us);
        FetchSettings fetch = FetchSettings.defaults(root)
                .withListTtl(config.duration(ConfigKey.CACHE_LIST_TTL))
                .withNotFoundTtl(config.duration(ConfigKey.CACHE_NOT_FOUND_TTL))
                .withFailureTtl(config.duration(ConfigKey.CACHE_FAILURE_TTL))
                .withMaxZipBytes(config.bytes(ConfigKey.FETCH_MAX_ZIP_BYTES));
        List<SumdbSpec> specs = SumdbSpec.parseList(config.get(ConfigKey.SUMDB));
        // Git routes: matching modules come from git, are pinned, and never reach the proxies or the sumdb.
        this.git = GitSetup.create(config, env, root, tiers.s3().isPresent(), upstream, registry);
        SumdbDatabases databases = SumdbDatabases.create(specs, upstream, uri -> new HttpUpstream(uri, client, us),
                new SumdbStorage(store), registry);
        this.sumdb = new SumdbProxy(databases, registry, config.duration(ConfigKey.CACHE_LIST_TTL));
        this.modules = new ModuleService(store, git.modules(), fetch, new SumdbVerifier(databases, git.noSumdb(), registry),
                registry, blocking, tiers.leases());
        // Reads for people and housekeeping go to the durable tier unobserved: they are no client's lookups.
        this.access = new AccessTimes(tiers.quiet(), Clock.systemUTC());
        this.catalog = new ModuleCatalog(tiers.quiet(), databases::names, VersionOrigins.NONE, access::lastRequested).metered(registry);
        modules.committer().onCommit(catalog::added);
        modules.committer().onRemove(catalog::removed);
        // Removals go through the committer, hence through the hot tier, which forgets what is removed.
        this.retention = new Retention(tiers.quiet(), modules.committer(), access, Clock.systemUTC(), registry);
        Gauge.builder(Meters.GC_LAST_SUCCESS, lastGcSuccess, AtomicLong::get).baseUnit("seconds")
                .description("End of the last retention run that succeeded, in seconds since the epoch (0 before any)").register(registry);
        preregister(registry, tiers.s3().isPresent());
        for (String result : new String[] {"ok", "error"}) {
            Counter.builder(Meters.GC_RUNS).description("Retention runs by result").tag("result", result).register(registry);
        }
        this.zipRedirect = tiers.s3().isPresent() && config.bool(ConfigKey.S3_REDIRECT) ? config.duration(ConfigKey.S3_REDIRECT_EXPIRY) : null;
        this.buildCache = new RemoteBuildCache(store, new RemoteBuildCache.Settings(config.bytes(ConfigKey.GOCACHE_MAX_BYTES),
                config.duration(ConfigKey.GOCACHE_MAX_AGE)), registry);
        this.bundles = new BundleStore(store, registry);
        Path writeTokens = path(config.get(ConfigKey.GOCACHE_WRITE_TOKEN_FILE));
        Path readTokens = path(config.get(ConfigKey.GOCACHE_READ_TOKEN_FILE));
        this.cacheWrite = writeTokens == null ? CacheAccess.NONE : TokenCacheAccess.load(List.of(writeTokens));
        List<Path> readers = new ArrayList<>();
        if (readTokens != null) {
            readers.add(readTokens);
            if (writeTokens != null) {
                readers.add(writeTokens);
            }
        }
        this.cacheRead = readers.isEmpty() ? CacheAccess.OPEN : TokenCacheAccess.load(readers);
        this.dl = dlMirror(config, store, root, client, us, registry);
        log.info("storage {}, upstream {}", store.describe(), git.modules().describe());
        if (specs.isEmpty()) {
            log.warn("checksum verification is off (sumdb: off): upstream content is cached unverified");
        } else {
            log.info("verifying against checksum database {}; private patterns: '{}'", specs.get(0).name(), git.noSumdb());
        }
    }

    /**
     * Counters that alerts watch with {@code increase()} exist at zero from the start: a series that
     * appears with its first event would hide that event from {@code increase()} and {@code rate()}.
     */
    private static void preregister(MeterRegistry registry, boolean s3) {
        for (String reason : new String[] {"checksum-mismatch", "go-mod-mismatch", "invalid-proof", "not-in-sumdb", "pin-mismatch",
            "pin-unreadable", "zip-rules"}) {
            Counter.builder(Meters.VERIFICATION_FAILURES).description("Content refused by verification, by reason")
                    .tag("reason", reason).register(registry);
        }
        for (String what : new String[] {"version", "blob"}) {
            Counter.builder(Meters.GC_REMOVED).description("What retention removed").tag("what", what).register(registry);
        }
        Counter.builder(Meters.GC_RECLAIMED).baseUnit("bytes").description("Storage released by retention").register(registry);
        Counter.builder(Meters.HOT_EVICTIONS).description("Hot tier evictions").register(registry);
        for (String reason : new String[] {"server-limit", "client-limit"}) {
            Counter.builder(Meters.HTTP_CONNECTIONS_REJECTED).description("Connections turned away at a connection limit")
                    .tag("reason", reason).register(registry);
        }
        for (String tier : s3 ? new String[] {"hot", "disk", "s3"} : new String[] {"hot", "disk"}) {
            for (String op : new String[] {"get", "stat", "put", "delete", "list"}) {
                Counter.builder(Meters.STORAGE_ERRORS).description("Storage errors by tier and operation")
                        .tag("tier", tier).tag("operation", op).register(registry);
            }
        }
    }

    /**
     * The release archive mirror. Redirects from the release site go to any https host (go.dev/dl sends
     * the bytes from dl.google.com): what arrives is checked by SHA-256 and signature, wherever it came from.
     */
    private DlMirror dlMirror(GranaryConfig config, BlobStore store, Path root, HttpClient client, HttpUpstream.Settings us,
                              MeterRegistry registry) {
        HttpUpstream.Settings dlSettings = us.withRedirects(HttpUpstream.Redirects.ANY);
        Function<URI, Upstream> http = uri -> new HttpUpstream(uri, client, dlSettings);
        DlTrust trust = DlTrust.create(config.dlTrust(), store, http);
        Optional<URI> site = config.dlUpstream();
        DlSettings settings = DlSettings.defaults(root)
                .withListingTtl(config.duration(ConfigKey.DL_LISTING_TTL))
                .withNotFoundTtl(config.duration(ConfigKey.CACHE_NOT_FOUND_TTL))
                .withFailureTtl(config.duration(ConfigKey.CACHE_FAILURE_TTL))
                .withMaxArchiveBytes(config.bytes(ConfigKey.DL_MAX_ARCHIVE_BYTES));
        log.info("release archives at /dl/: {}; signing key {}", site.map(u -> http.apply(u).describe()).orElse("off (stored archives only)"),
                trust.describe());
        return new DlMirror(store, site.map(http).orElse(null), trust, settings, registry, blocking);
    }

    /** Binds and starts serving; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws InterruptedException {
        // Texts clients see never name the storage root or temporary files (downloads go there too).
        Path root = tiers.disk().root();
        Redaction redaction = Redaction.of(root);
        GranaryConfig.SizeOrPercent minFree = config.sizeOrPercent(ConfigKey.READINESS_MIN_FREE);
        Readiness readiness = new Readiness(tiers.store(), root, minFree::of, redaction);
        Routes routes = new Routes(modules, metrics, index(), s -> sumdb.serve(s.name(), s.path()), zipRedirect, readiness,
                new CatalogRoutes(catalog, new CatalogStats(metrics.registry(), catalog)), access::touched, dl,
                new Routes.BuildCaches(buildCache, bundles, cacheRead, cacheWrite, config.bytes(ConfigKey.GOCACHE_MAX_ENTRY_BYTES),
                        config.bytes(ConfigKey.GOCACHE_MAX_BUNDLE_BYTES), root));
        startBuildCaches(root);
        edge = new HttpEdge(new HttpEdge.Settings(config.duration(ConfigKey.HTTP_HEADER_TIMEOUT), config.duration(ConfigKey.HTTP_IDLE_TIMEOUT),
                config.integer(ConfigKey.HTTP_MAX_CONNECTIONS), config.integer(ConfigKey.HTTP_MAX_CONNECTIONS_PER_CLIENT)),
                routes, blocking, metrics, new ResponsePolicy(redaction), AccessLog.of(config.bool(ConfigKey.LOG_ACCESS), env));
        startHousekeeping();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(0, io);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .handler(edge.acceptGate())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(edge.initializer(channels));
        serverChannel = b.bind(config.host(), config.port()).sync().channel();
        InetSocketAddress addr = (InetSocketAddress) serverChannel.localAddress();
        log.info("granary listening on {}:{} ({}; {})", addr.getHostString(), addr.getPort(), epoll ? "epoll" : "nio", edge.describeLimits());
        return addr;
    }

    /** Indexes the remote build cache and publishes the GOCACHEPROG client, in the background. */
    private void startBuildCaches(Path root) {
        blocking.execute(() -> {
            try {
                int n = buildCache.load();
                log.info("remote build cache: {} entries, {} MiB; writes {}, reads {}", n, buildCache.indexedBytes() >> 20,
                        cacheWrite == CacheAccess.NONE ? "disabled (no gocache.write-token-file)" : "need a write token",
                        cacheRead == CacheAccess.OPEN ? "open" : "need a token");
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
                        log.warn("the GOCACHEPROG client's sources are not in this build ({} missing): not publishing it", f);
                        return;
                    }
                    files.put(f, in.readAllBytes());
                }
            }
            switch (ClientModule.publish(modules, files, root)) {
                case PUBLISHED -> log.info("published the GOCACHEPROG client as {}@{}", ClientModule.PATH, ClientModule.VERSION);
                case PRESENT -> log.debug("{}@{} is published", ClientModule.PATH, ClientModule.VERSION);
                case CONFLICT -> log.error("{}@{} in storage differs from this Granary's client: left as it is (a version never changes)",
                        ClientModule.PATH, ClientModule.VERSION);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("publishing the GOCACHEPROG client: {}", e.toString());
        }
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value);
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
                housekeeping.scheduleWithFixedDelay(() -> collectGarbage(maxAge), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private void rebuildCatalog() {
        try {
            catalog.rebuild();
        } catch (IOException | RuntimeException e) {
            log.warn("catalog: listing storage failed, search shows only versions committed since start: {}", e.toString());
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
            Retention.Report r = retention.run(new Retention.Policy(maxAge, List.of()), false,
                    x -> log.info("gc: removed {} ({} bytes): {}", x.name(), x.bytes(), x.reason()));
            metrics.registry().counter(Meters.GC_RUNS, "result", "ok").increment();
            lastGcSuccess.set(Instant.now().getEpochSecond());
            log.info("gc: {} of {} versions removed, {} bytes released", r.removals().size(), r.versionsExamined(), r.bytes());
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
                + "  go env -w GOPROXY=http://<this host>:" + config.port() + "\n\n"
                + "Go release archives (CI setup action: go-download-base-url: http://<this host>:" + config.port() + "/dl):\n"
                + "  /dl/?mode=json[&include=all], /dl/<filename>[.sha256|.asc]\n\n"
                + "Endpoints: /<module>/@v/list, /<module>/@v/<version>.info|.mod|.zip, /<module>/@latest,\n"
                + "           /sumdb/<name>/..., /dl/..., /healthz, /readyz, /metrics\n"
                + "           /gocache/cache/ (GOCACHEPROG), /gocache/bundles/index.json (pre-warm bundles)\n\n"
                + "  go install " + ClientModule.PATH + "@" + ClientModule.VERSION + "   (with GONOSUMDB=" + ClientModule.PATH + ")\n";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Duration grace = config.duration(ConfigKey.SHUTDOWN_GRACE);
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
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
        blocking.shutdownNow();
        try {
            blocking.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tiers.close();
        git.close();
        metrics.close();
        log.info("granary stopped");
    }
}
