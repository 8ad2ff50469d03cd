package dev.granary.server;

import dev.granary.core.fetch.FetchSettings;
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
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.core.upstream.UpstreamCredentials;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import dev.granary.server.http.CacheAccess;
import dev.granary.server.http.HttpEdge;
import dev.granary.server.http.Readiness;
import dev.granary.server.http.Redaction;
import dev.granary.server.http.ResponsePolicy;
import dev.granary.server.http.Routes;
import dev.granary.server.http.TokenCacheAccess;
import dev.granary.storage.BlobStore;
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
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel serverChannel;
    private HttpEdge edge;
    private volatile boolean closed;

    public GranaryServer(GranaryConfig config, Map<String, String> env) throws IOException {
        this.config = config;
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
        SumdbDatabases databases = SumdbDatabases.create(specs, upstream, uri -> new HttpUpstream(uri, client, us),
                new SumdbStorage(store), registry);
        this.sumdb = new SumdbProxy(databases, registry, config.duration(ConfigKey.CACHE_LIST_TTL));
        this.modules = new ModuleService(store, upstream, fetch, new SumdbVerifier(databases, config.get(ConfigKey.NOSUMDB), registry),
                registry, blocking, tiers.leases());
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
        log.info("storage {}, upstream {}", store.describe(), upstream.describe());
        if (specs.isEmpty()) {
            log.warn("checksum verification is off (sumdb: off): upstream content is cached unverified");
        } else {
            log.info("verifying against checksum database {}; private patterns: '{}'", specs.get(0).name(), config.get(ConfigKey.NOSUMDB));
        }
    }

    /** Binds and starts serving; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws InterruptedException {
        // Texts clients see never name the storage root or temporary files (downloads go there too).
        Path root = tiers.disk().root();
        Redaction redaction = Redaction.of(root);
        GranaryConfig.SizeOrPercent minFree = config.sizeOrPercent(ConfigKey.READINESS_MIN_FREE);
        Readiness readiness = new Readiness(tiers.store(), root, minFree::of, redaction);
        Routes routes = new Routes(modules, metrics, index(), s -> sumdb.serve(s.name(), s.path()), zipRedirect, readiness,
                new Routes.BuildCaches(buildCache, bundles, cacheRead, cacheWrite, config.bytes(ConfigKey.GOCACHE_MAX_ENTRY_BYTES),
                        config.bytes(ConfigKey.GOCACHE_MAX_BUNDLE_BYTES), root));
        startBuildCaches(root);
        edge = new HttpEdge(new HttpEdge.Settings(config.duration(ConfigKey.HTTP_HEADER_TIMEOUT), config.duration(ConfigKey.HTTP_IDLE_TIMEOUT),
                config.integer(ConfigKey.HTTP_MAX_CONNECTIONS), config.integer(ConfigKey.HTTP_MAX_CONNECTIONS_PER_CLIENT)),
                routes, blocking, metrics, new ResponsePolicy(redaction));
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

    private int inFlight() {
        return edge == null ? 0 : edge.inFlight();
    }

    public ModuleService modules() {
        return modules;
    }

    public Metrics metrics() {
        return metrics;
    }

    private String index() {
        return "Granary: a caching Go module proxy.\n\n"
                + "  go env -w GOPROXY=http://<this host>:" + config.port() + "\n\n"
                + "Endpoints: /<module>/@v/list, /<module>/@v/<version>.info|.mod|.zip, /<module>/@latest,\n"
                + "           /gocache/cache/ (GOCACHEPROG), /gocache/bundles/index.json (pre-warm bundles),\n"
                + "           /healthz, /readyz, /metrics\n\n"
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
        blocking.shutdownNow();
        try {
            blocking.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tiers.close();
        metrics.close();
        log.info("granary stopped");
    }
}
