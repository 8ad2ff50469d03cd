package dev.granary.server;

import dev.granary.core.Meters;
import dev.granary.core.dl.DlMirror;
import dev.granary.core.dl.DlSettings;
import dev.granary.core.dl.DlTrust;
import dev.granary.core.fetch.FetchSettings;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.policy.ModulePolicy;
import dev.granary.core.policy.PolicyRule;
import dev.granary.core.policy.VersionPolicy;
import dev.granary.core.snapshot.SnapshotImporter;
import dev.granary.core.snapshot.SnapshotReader;
import dev.granary.core.sumdb.SumdbDatabases;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.core.sumdb.SumdbStorage;
import dev.granary.core.sumdb.SumdbVerifier;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.core.upstream.UpstreamCredentials;
import dev.granary.core.upstream.UpstreamLimit;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import dev.granary.storage.BlobStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
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
 * The services every command that works on Granary's storage needs, assembled from the configuration:
 * storage tiers, the upstream chain, the checksum databases and their verifier, the module service
 * with its verify-before-commit pipeline, and the release archive mirror. {@code serve} puts Netty in
 * front of them; {@code export}, {@code import}, {@code verify} and the prefetch commands use them
 * directly.
 */
public final class Services implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Services.class);

    private final GranaryConfig config;
    private final Metrics metrics;
    private final ExecutorService blocking = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("granary-", 0).factory());
    private final StorageTiers tiers;
    private final HttpClient client;
    private final HttpUpstream.Settings upstreamSettings;
    private final GitSetup git;
    private final UpstreamChain upstream;
    private final FetchSettings fetch;
    private final List<SumdbSpec> specs;
    private final SumdbStorage sumdbStorage;
    private final SumdbDatabases databases;
    private final VersionPolicy policy;
    private final ModuleService modules;
    private final DlMirror dl;

    public Services(GranaryConfig config, Map<String, String> env, Metrics metrics) throws IOException {
        this.config = config;
        this.metrics = metrics;
        Path root = config.storage(env);
        this.tiers = new StorageTiers(config, root, metrics);
        BlobStore store = tiers.store();
        MeterRegistry registry = metrics.registry();

        HttpUpstream.Settings us = new HttpUpstream.Settings(
                config.duration(ConfigKey.FETCH_CONNECT_TIMEOUT),
                config.duration(ConfigKey.FETCH_TIMEOUT),
                config.duration(ConfigKey.FETCH_IDLE_TIMEOUT),
                config.integer(ConfigKey.FETCH_RETRIES),
                Duration.ofMillis(200),
                HttpUpstream.Settings.DEFAULT_MAX_RETRY_AFTER,
                config.redirects(),
                UpstreamCredentials.parse(config.get(ConfigKey.FETCH_CREDENTIALS), env));
        this.upstreamSettings = us;
        this.client = HttpUpstream.newClient(us);
        this.upstream = UpstreamChain.parse(config.get(ConfigKey.UPSTREAM), client, us);
        // One bound on upstream requests at once, for modules and checksum databases alike.
        UpstreamLimit limit = new UpstreamLimit(
                config.integer(ConfigKey.FETCH_MAX_CONCURRENT),
                config.duration(ConfigKey.FETCH_QUEUE_TIMEOUT),
                registry);
        this.fetch = FetchSettings.defaults(root)
                .withListTtl(config.duration(ConfigKey.CACHE_LIST_TTL))
                .withNotFoundTtl(config.duration(ConfigKey.CACHE_NOT_FOUND_TTL))
                .withFailureTtl(config.duration(ConfigKey.CACHE_FAILURE_TTL))
                .withMaxZipBytes(config.bytes(ConfigKey.FETCH_MAX_ZIP_BYTES));
        this.specs = SumdbSpec.parseList(config.get(ConfigKey.SUMDB));
        this.sumdbStorage = new SumdbStorage(store);
        // Git routes: matching modules come from git, are pinned, and never reach the proxies or the sumdb.
        this.git = GitSetup.create(config, env, root, tiers.s3().isPresent(), upstream, registry);
        this.databases = SumdbDatabases.create(
                specs,
                limit.wrap(upstream),
                uri -> limit.wrap(new HttpUpstream(uri, client, us)),
                sumdbStorage,
                registry);
        this.policy = policy(config);
        this.modules = new ModuleService(
                store,
                limit.wrap(git.modules()),
                fetch,
                new SumdbVerifier(databases, git.noSumdb(), registry),
                registry,
                blocking,
                tiers.leases(),
                policy);
        this.dl = dlMirror(config, store, root, registry);
    }

    /**
     * The release archive mirror. Redirects from the release site go to any https host (go.dev/dl sends
     * the bytes from dl.google.com): what arrives is checked by SHA-256 and signature, wherever it came from.
     */
    private DlMirror dlMirror(GranaryConfig config, BlobStore store, Path root, MeterRegistry registry) {
        HttpUpstream.Settings dlSettings = upstreamSettings.withRedirects(HttpUpstream.Redirects.ANY);
        Function<URI, Upstream> http = uri -> new HttpUpstream(uri, client, dlSettings);
        DlTrust trust = DlTrust.create(config.dlTrust(), store, http);
        Optional<URI> site = config.dlUpstream();
        DlSettings settings = DlSettings.defaults(root)
                .withListingTtl(config.duration(ConfigKey.DL_LISTING_TTL))
                .withNotFoundTtl(config.duration(ConfigKey.CACHE_NOT_FOUND_TTL))
                .withFailureTtl(config.duration(ConfigKey.CACHE_FAILURE_TTL))
                .withMaxArchiveBytes(config.bytes(ConfigKey.DL_MAX_ARCHIVE_BYTES));
        log.info(
                "release archives at /dl/: {}; signing key {}",
                site.map(u -> http.apply(u).describe()).orElse("off (stored archives only)"),
                trust.describe());
        return new DlMirror(store, site.map(http).orElse(null), trust, settings, registry, blocking);
    }

    /** {@code policy.*}: deny and allow rules, the minimum age; {@link VersionPolicy#NONE} when nothing is configured. */
    private static VersionPolicy policy(GranaryConfig config) {
        ModulePolicy p;
        try {
            p = new ModulePolicy(
                    PolicyRule.parseList(config.get(ConfigKey.POLICY_DENY)),
                    PolicyRule.parseList(config.get(ConfigKey.POLICY_ALLOW)),
                    config.duration(ConfigKey.POLICY_MIN_AGE),
                    config.get(ConfigKey.POLICY_MIN_AGE_EXEMPT),
                    Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("policy: " + e.getMessage(), e);
        }
        return p.isEmpty() ? VersionPolicy.NONE : p;
    }

    /** The version policy modules are fetched and served under. */
    public VersionPolicy policy() {
        return policy;
    }

    /**
     * Finishes or undoes snapshot imports that a crash interrupted (their journals say which); every
     * start runs this. A failure is logged, never fatal: the next start tries again.
     */
    public void recoverInterruptedImports() {
        try {
            int swept = SnapshotReader.removeAbandoned(root());
            if (swept > 0) {
                log.info("removed {} staging directories of snapshot imports or exports that died", swept);
            }
            int n = new SnapshotImporter(store(), modules.committer()).recover();
            if (n > 0) {
                metrics.registry()
                        .counter(Meters.SNAPSHOT_IMPORTS, "result", "recovered")
                        .increment(n);
            }
        } catch (IOException | RuntimeException e) {
            log.error("recovering interrupted snapshot imports: {}", e.toString());
        }
    }

    public GranaryConfig config() {
        return config;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** The store every service reads and writes (the hot tier over the durable tiers). */
    public BlobStore store() {
        return tiers.store();
    }

    StorageTiers tiers() {
        return tiers;
    }

    /** The disk tier's root: also where downloads and imports are staged before they are verified. */
    public Path root() {
        return tiers.disk().root();
    }

    public ExecutorService blocking() {
        return blocking;
    }

    /** The module service's upstream: git routes (when configured), then the proxy chain. */
    public Upstream upstream() {
        return git.modules();
    }

    /**
     * True when no upstream proxy is configured ({@code upstream: off}): everything is answered from
     * storage, and the checksum databases are never asked.
     */
    public boolean offline() {
        return upstream.isEmpty();
    }

    public FetchSettings fetchSettings() {
        return fetch;
    }

    public List<SumdbSpec> sumdbSpecs() {
        return specs;
    }

    public SumdbStorage sumdbStorage() {
        return sumdbStorage;
    }

    public SumdbDatabases databases() {
        return databases;
    }

    public ModuleService modules() {
        return modules;
    }

    /** The release archive mirror ({@code /dl/}): its listing, archives and signing key. */
    public DlMirror dl() {
        return dl;
    }

    /** The private-module patterns (GONOSUMDB syntax): the configured ones plus the git routes'. */
    public String noSumdb() {
        return git.noSumdb();
    }

    @Override
    public void close() {
        blocking.shutdownNow();
        try {
            blocking.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tiers.close();
        git.close();
    }
}
