package dev.granary.server;

import dev.granary.core.dl.DlMirror;
import dev.granary.core.dl.DlSettings;
import dev.granary.core.dl.DlTrust;
import dev.granary.core.fetch.FetchSettings;
import dev.granary.core.fetch.ModuleService;
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
import dev.granary.server.http.HttpEdge;
import dev.granary.server.http.Readiness;
import dev.granary.server.http.Redaction;
import dev.granary.server.http.ResponsePolicy;
import dev.granary.server.http.Routes;
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
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
        this.zipRedirect = tiers.s3().isPresent() && config.bool(ConfigKey.S3_REDIRECT) ? config.duration(ConfigKey.S3_REDIRECT_EXPIRY) : null;
        this.dl = dlMirror(config, store, root, client, us, registry);
        log.info("storage {}, upstream {}", store.describe(), git.modules().describe());
        if (specs.isEmpty()) {
            log.warn("checksum verification is off (sumdb: off): upstream content is cached unverified");
        } else {
            log.info("verifying against checksum database {}; private patterns: '{}'", specs.get(0).name(), git.noSumdb());
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
        Routes routes = new Routes(modules, metrics, index(), s -> sumdb.serve(s.name(), s.path()), zipRedirect, readiness, dl);
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
                + "           /sumdb/<name>/..., /dl/..., /healthz, /readyz, /metrics\n";
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
        git.close();
        metrics.close();
        log.info("granary stopped");
    }
}
