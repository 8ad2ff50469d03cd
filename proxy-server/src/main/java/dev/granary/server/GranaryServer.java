package dev.granary.server;

import dev.granary.core.fetch.FetchLeases;
import dev.granary.core.fetch.ModuleKeys;
import dev.granary.core.sumdb.SumdbService;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import dev.granary.server.http.HttpInitializer;
import dev.granary.server.http.ProxyHandler;
import dev.granary.server.http.ResponseWriter;
import dev.granary.server.http.Routes;
import dev.granary.storage.BlobStore;
import dev.granary.storage.BlobLeases;
import dev.granary.storage.ObservedBlobStore;
import dev.granary.storage.s3.S3BlobStore;
import dev.granary.storage.s3.S3Settings;
import dev.granary.storage.tier.ReadThroughBlobStore;
import dev.granary.storage.disk.DiskBlobStore;
import dev.granary.storage.tier.HotTierBlobStore;
import io.micrometer.core.instrument.Gauge;
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
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("granary-sweeper").factory());
    private final BlobStore store;
    private final DiskBlobStore disk;
    private final HotTierBlobStore hot;
    private final S3BlobStore s3;
    private final Duration zipRedirect;
    private final ModuleService modules;
    private final SumdbService sumdb;
    private final GitSetup git;
    private final ResponseWriter writer;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel serverChannel;
    private volatile boolean closed;

    public GranaryServer(GranaryConfig config, Map<String, String> env) throws IOException {
        this.config = config;
        Path root = config.storage(env);
        this.disk = new DiskBlobStore(root);
        sweepTempFiles();
        // Leftovers of a killed process are never served; they are removed once clearly abandoned.
        sweeper.scheduleWithFixedDelay(this::sweepTempFiles, 30, 30, TimeUnit.MINUTES);
        BlobStore local = new ObservedBlobStore("disk", metrics, disk);
        BlobStore durable;
        FetchLeases leases = null;
        if (config.get(ConfigKey.S3_BUCKET) != null && !config.get(ConfigKey.S3_BUCKET).isBlank()) {
            this.s3 = new S3BlobStore(s3Settings(config));
            BlobStore remote = new ObservedBlobStore("s3", metrics, s3);
            durable = config.bool(ConfigKey.S3_LOCAL_CACHE)
                    ? new ReadThroughBlobStore(local, remote, ModuleKeys::isImmutable, metrics)
                    : remote;
            // Leases live on the bucket itself, never behind a cache.
            leases = new FetchLeases(new BlobLeases(s3), config.duration(ConfigKey.S3_LEASE_TTL));
        } else {
            this.s3 = null;
            durable = local;
        }
        this.hot = new HotTierBlobStore(durable, config.bytes(ConfigKey.HOT_MAX_BYTES),
                config.bytes(ConfigKey.HOT_MAX_ITEM_BYTES), ModuleKeys::isImmutable, metrics);
        this.store = hot;
        Gauge.builder("granary.hot.size", hot, HotTierBlobStore::weightedSize).baseUnit("bytes")
                .description("Bytes held by the hot tier").register(metrics.registry());
        Gauge.builder("granary.hot.capacity", hot, HotTierBlobStore::maxBytes).baseUnit("bytes")
                .description("Hot tier capacity").register(metrics.registry());

        HttpUpstream.Settings us = new HttpUpstream.Settings(config.duration(ConfigKey.FETCH_CONNECT_TIMEOUT),
                config.duration(ConfigKey.FETCH_TIMEOUT), config.integer(ConfigKey.FETCH_RETRIES), Duration.ofMillis(200));
        HttpClient client = HttpUpstream.newClient(us);
        UpstreamChain upstream = UpstreamChain.parse(config.get(ConfigKey.UPSTREAM), client, us);
        // Git routes: matching modules come from git, are pinned, and never reach the proxies or the sumdb.
        this.git = GitSetup.create(config, env, root, s3 != null, upstream, metrics.registry());
        ModuleService.Settings ms = new ModuleService.Settings(config.duration(ConfigKey.CACHE_LIST_TTL),
                config.duration(ConfigKey.CACHE_NOT_FOUND_TTL), config.bytes(ConfigKey.FETCH_MAX_ZIP_BYTES),
                16L << 20, 64L << 10, Duration.ofMinutes(10), root);
        List<SumdbSpec> specs = SumdbSpec.parseList(config.get(ConfigKey.SUMDB));
        this.sumdb = SumdbService.create(specs, git.noSumdb(), upstream,
                uri -> new HttpUpstream(uri, client, us), store, metrics.registry(), config.duration(ConfigKey.CACHE_LIST_TTL));
        this.modules = new ModuleService(store, git.modules(), ms, sumdb, metrics.registry(), blocking, leases);
        this.zipRedirect = s3 != null && config.bool(ConfigKey.S3_REDIRECT) ? config.duration(ConfigKey.S3_REDIRECT_EXPIRY) : null;
        this.writer = new ResponseWriter(metrics);
        log.info("storage {}, upstream {}", store.describe(), git.modules().describe());
        if (specs.isEmpty()) {
            log.warn("checksum verification is off (sumdb: off): upstream content is cached unverified");
        } else {
            log.info("verifying against checksum database {}; private patterns: '{}'", specs.get(0).name(), git.noSumdb());
        }
    }

    /** Binds and starts serving; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws InterruptedException {
        Routes routes = new Routes(modules, store, metrics, index(), s -> sumdb.serve(s.name(), s.path()), zipRedirect);
        ProxyHandler handler = new ProxyHandler(routes, blocking, writer);
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(0, io);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new HttpInitializer(handler, channels));
        serverChannel = b.bind(config.host(), config.port()).sync().channel();
        InetSocketAddress addr = (InetSocketAddress) serverChannel.localAddress();
        log.info("granary listening on {}:{} ({})", addr.getHostString(), addr.getPort(), epoll ? "epoll" : "nio");
        return addr;
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
                + "           /healthz, /readyz, /metrics\n";
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
        long deadline = System.nanoTime() + grace.toNanos();
        while (writer.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (writer.inFlight() > 0) {
            log.warn("closing with {} responses still in flight after {}", writer.inFlight(), grace);
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
        try {
            store.close();
        } catch (IOException e) {
            log.warn("closing storage: {}", e.toString());
        }
        sweeper.shutdownNow();
        git.close();
        metrics.close();
        log.info("granary stopped");
    }

    static S3Settings s3Settings(GranaryConfig config) {
        String endpoint = config.get(ConfigKey.S3_ENDPOINT);
        return new S3Settings(endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint),
                config.get(ConfigKey.S3_REGION), config.get(ConfigKey.S3_BUCKET),
                config.get(ConfigKey.S3_PREFIX) == null ? "" : config.get(ConfigKey.S3_PREFIX),
                config.bool(ConfigKey.S3_PATH_STYLE),
                Optional.ofNullable(config.get(ConfigKey.S3_ACCESS_KEY_ID)).filter(v -> !v.isBlank()),
                Optional.ofNullable(config.get(ConfigKey.S3_SECRET_ACCESS_KEY)).filter(v -> !v.isBlank()));
    }

    private void sweepTempFiles() {
        try {
            int swept = disk.sweepTempFiles(Duration.ofHours(1));
            if (swept > 0) {
                log.info("removed {} abandoned temporary files under {}", swept, disk.root());
            }
        } catch (IOException | RuntimeException e) {
            log.warn("sweeping temporary files: {}", e.toString());
        }
    }
}
