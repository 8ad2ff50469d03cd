package dev.granary.server;

import dev.granary.core.fetch.FetchSettings;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.policy.ModulePolicy;
import dev.granary.core.policy.PolicyRule;
import dev.granary.core.policy.VersionPolicy;
import dev.granary.core.sumdb.SumdbDatabases;
import dev.granary.core.sumdb.SumdbProxy;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.core.sumdb.SumdbStorage;
import dev.granary.core.sumdb.SumdbVerifier;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.core.upstream.UpstreamCredentials;
import dev.granary.core.upstream.UpstreamLimit;
import dev.granary.server.auth.Access;
import dev.granary.server.auth.TokenStore;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.FileWatch;
import dev.granary.server.config.GranaryConfig;
import dev.granary.server.http.Admission;
import dev.granary.server.http.HttpEdge;
import dev.granary.server.http.Readiness;
import dev.granary.server.http.Redaction;
import dev.granary.server.http.ResponsePolicy;
import dev.granary.server.http.Routes;
import dev.granary.server.tls.TlsContexts;
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
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
    private final ExecutorService blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("granary-", 0).factory());
    private final StorageTiers tiers;
    private final Duration zipRedirect;
    private final ModuleService modules;
    private final SumdbProxy sumdb;
    private final GitSetup git;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final TlsContexts tls;
    private final TokenStore tokens;
    private final Access access;
    private final FileWatch fileWatch;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private final List<Channel> serverChannels = new ArrayList<>();
    private InetSocketAddress plainAddress;
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
        UpstreamChain chain = UpstreamChain.parse(config.get(ConfigKey.UPSTREAM), client, us);
        // One bound on upstream requests at once, for modules and checksum databases alike.
        UpstreamLimit limit = new UpstreamLimit(config.integer(ConfigKey.FETCH_MAX_CONCURRENT), config.duration(ConfigKey.FETCH_QUEUE_TIMEOUT),
                registry);
        Upstream upstream = limit.wrap(chain);
        FetchSettings fetch = FetchSettings.defaults(root)
                .withListTtl(config.duration(ConfigKey.CACHE_LIST_TTL))
                .withNotFoundTtl(config.duration(ConfigKey.CACHE_NOT_FOUND_TTL))
                .withFailureTtl(config.duration(ConfigKey.CACHE_FAILURE_TTL))
                .withMaxZipBytes(config.bytes(ConfigKey.FETCH_MAX_ZIP_BYTES));
        List<SumdbSpec> specs = SumdbSpec.parseList(config.get(ConfigKey.SUMDB));
        // Git routes: matching modules come from git, are pinned, and never reach the proxies or the sumdb.
        this.git = GitSetup.create(config, env, root, tiers.s3().isPresent(), chain, registry);
        Upstream modulesUpstream = limit.wrap(git.modules());
        SumdbDatabases databases = SumdbDatabases.create(specs, upstream, uri -> limit.wrap(new HttpUpstream(uri, client, us)),
                new SumdbStorage(store), registry);
        this.sumdb = new SumdbProxy(databases, registry, config.duration(ConfigKey.CACHE_LIST_TTL));
        VersionPolicy policy = policy(config);
        this.modules = new ModuleService(store, modulesUpstream, fetch, new SumdbVerifier(databases, git.noSumdb(), registry),
                registry, blocking, tiers.leases(), policy);
        this.zipRedirect = tiers.s3().isPresent() && config.bool(ConfigKey.S3_REDIRECT) ? config.duration(ConfigKey.S3_REDIRECT_EXPIRY) : null;
        this.tls = tls(config, registry);
        String tokenFile = config.get(ConfigKey.AUTH_TOKENS_FILE);
        this.tokens = new TokenStore(tokenFile == null || tokenFile.isBlank() ? null : Path.of(tokenFile),
                config.get(ConfigKey.AUTH_TOKENS), registry);
        this.access = new Access(tokens, config.get(ConfigKey.AUTH_REQUIRED), config.bool(ConfigKey.AUTH_METRICS));
        this.fileWatch = tls == null && tokens.file() == null ? null : new FileWatch(config.duration(ConfigKey.RELOAD_INTERVAL));
        if (tls != null) {
            fileWatch.watch(List.of(tls.certFile(), tls.keyFile()), tls::reload);
        }
        if (tokens.file() != null) {
            fileWatch.watch(List.of(tokens.file()), tokens::reload);
        }
        log.info("storage {}, upstream {}, at most {} upstream requests at once", store.describe(), git.modules().describe(),
                config.integer(ConfigKey.FETCH_MAX_CONCURRENT));
        log.info("policy: {}", policy == VersionPolicy.NONE ? "none" : policy);
        describeAccess(config);
        if (specs.isEmpty()) {
            log.warn("checksum verification is off (sumdb: off): upstream content is cached unverified");
        } else {
            log.info("verifying against checksum database {}; private patterns: '{}'", specs.get(0).name(), git.noSumdb());
        }
    }

    /** {@code policy.*}: deny and allow rules, the minimum age; {@link VersionPolicy#NONE} when nothing is configured. */
    private static VersionPolicy policy(GranaryConfig config) {
        ModulePolicy p;
        try {
            p = new ModulePolicy(PolicyRule.parseList(config.get(ConfigKey.POLICY_DENY)), PolicyRule.parseList(config.get(ConfigKey.POLICY_ALLOW)),
                    config.duration(ConfigKey.POLICY_MIN_AGE), config.get(ConfigKey.POLICY_MIN_AGE_EXEMPT), Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("policy: " + e.getMessage(), e);
        }
        return p.isEmpty() ? VersionPolicy.NONE : p;
    }

    /** {@code tls.cert} and {@code tls.key}: both or neither. */
    private static TlsContexts tls(GranaryConfig config, MeterRegistry registry) {
        String cert = config.get(ConfigKey.TLS_CERT);
        String key = config.get(ConfigKey.TLS_KEY);
        boolean hasCert = cert != null && !cert.isBlank();
        boolean hasKey = key != null && !key.isBlank();
        if (hasCert != hasKey) {
            throw new IllegalArgumentException("tls.cert and tls.key go together: set both, or neither for plain HTTP");
        }
        if (!hasCert) {
            return null;
        }
        TlsContexts t = new TlsContexts(Path.of(cert), Path.of(key), registry);
        log.info("TLS certificate: {}", TlsContexts.describe(t.certificate()));
        return t;
    }

    private void describeAccess(GranaryConfig config) {
        String required = config.get(ConfigKey.AUTH_REQUIRED);
        boolean guarded = required != null && !required.isBlank();
        if (!access.enabled()) {
            return;
        }
        log.info("client tokens: {} loaded; modules needing one: '{}'; /metrics {}", tokens.get().size(),
                guarded ? required : "", config.bool(ConfigKey.AUTH_METRICS) ? "needs one" : "open");
        if (guarded && tokens.get().size() == 0) {
            log.warn("auth.required is set but no token is configured: every request for those modules is refused");
        }
        if (tls == null) {
            log.warn("client tokens are configured but TLS is off: the go command sends credentials only over https"
                    + " (set tls.cert and tls.key, or terminate TLS in front of Granary)");
        }
    }

    /** Binds and starts serving; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws InterruptedException {
        // Texts clients see never name the storage root or temporary files (downloads go there too).
        Path root = tiers.disk().root();
        Redaction redaction = Redaction.of(root);
        GranaryConfig.SizeOrPercent minFree = config.sizeOrPercent(ConfigKey.READINESS_MIN_FREE);
        Readiness readiness = new Readiness(tiers.store(), root, minFree::of, redaction);
        Routes routes = new Routes(modules, metrics, index(), s -> sumdb.serve(s.name(), s.path()), zipRedirect, readiness);
        Admission admission = new Admission(access, new Admission.Settings(
                config.integer(ConfigKey.LIMITS_CLIENT_RATE), config.integer(ConfigKey.LIMITS_CLIENT_BURST),
                config.integer(ConfigKey.LIMITS_TOKEN_RATE), config.integer(ConfigKey.LIMITS_TOKEN_BURST),
                config.get(ConfigKey.LIMITS_TRUSTED_PROXIES)), metrics);
        edge = new HttpEdge(new HttpEdge.Settings(config.duration(ConfigKey.HTTP_HEADER_TIMEOUT), config.duration(ConfigKey.HTTP_IDLE_TIMEOUT),
                config.integer(ConfigKey.HTTP_MAX_CONNECTIONS), config.integer(ConfigKey.HTTP_MAX_CONNECTIONS_PER_CLIENT)),
                routes, blocking, metrics, new ResponsePolicy(redaction), admission);
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
                .childHandler(tls == null ? edge.initializer(channels) : edge.initializer(channels, tls));
        Channel main = b.bind(config.host(), config.port()).sync().channel();
        serverChannels.add(main);
        InetSocketAddress addr = (InetSocketAddress) main.localAddress();
        log.info("granary listening on {}:{} ({}; {}; {})", addr.getHostString(), addr.getPort(),
                tls == null ? "plain HTTP/1.1" : "HTTPS: HTTP/2 and HTTP/1.1", epoll ? "epoll" : "nio", edge.describeLimits());
        String plain = config.get(ConfigKey.TLS_PLAIN_LISTEN);
        if (plain != null && !plain.isBlank()) {
            if (tls == null) {
                log.warn("tls.plain-listen is ignored: TLS is off, so {} already serves plain HTTP", config.get(ConfigKey.LISTEN));
            } else {
                String[] hp = config.address(ConfigKey.TLS_PLAIN_LISTEN);
                Channel second = b.clone().handler(edge.acceptGate()).childHandler(edge.initializer(channels)).bind(hp[0], Integer.parseInt(hp[1])).sync().channel();
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
        return tls;
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
                + "  go env -w GOPROXY=" + (tls == null ? "http" : "https") + "://<this host>:" + config.port() + "\n\n"
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
        if (fileWatch != null) {
            fileWatch.close();
        }
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
