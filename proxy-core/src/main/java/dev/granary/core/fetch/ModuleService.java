package dev.granary.core.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.PseudoVersion;
import dev.granary.core.module.Semver;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.zip.Dirhash;
import dev.granary.core.zip.ModuleZips;
import dev.granary.core.zip.ZipCheck;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The module engine: answers every GOPROXY request from storage, fetching, verifying and committing
 * from the upstream on a miss.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>A version exists iff its {@code .info} exists.</b> A miss on any artifact of a version
 *       fetches all three once (single flight per module@version), validates them (zip rules,
 *       {@code .mod} equal to the zip's go.mod, h1 hashes, the {@link ChecksumVerifier}) and only
 *       then commits in the order zip, mod, sum, info. A crash at any point leaves at worst orphan
 *       files that a later fetch overwrites, never a version that is served half-written.</li>
 *   <li><b>Mutable answers</b> (list, @latest, queries) come from the upstream and are kept in memory
 *       for a short TTL; when the upstream fails they are answered stale, or computed from storage,
 *       so a module Granary holds never disappears because the upstream did.</li>
 *   <li><b>Not-found answers</b> are remembered briefly, so the go command's parallel path-prefix
 *       probes ({@code a/b/c}, {@code a/b}, {@code a}) do not each reach the upstream again.</li>
 * </ul>
 * Methods block (storage, network, hashing): call them from a virtual thread, never an event loop.
 */
public final class ModuleService {
    private static final Logger log = LoggerFactory.getLogger(ModuleService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Tunables, with the defaults a production proxy wants. {@code tempDir} receives downloads before
     * they are verified; with a disk tier it is the storage root (same file system, swept on start).
     */
    public record Settings(Duration listTtl, Duration notFoundTtl, long maxZipBytes, long maxModBytes,
                           long maxInfoBytes, Duration fetchWait, Path tempDir) {
        public static Settings defaults(Path tempDir) {
            return new Settings(Duration.ofMinutes(1), Duration.ofSeconds(30), 500L << 20, 16L << 20, 64L << 10,
                    Duration.ofMinutes(10), tempDir);
        }
    }

    private record Fresh(byte[] bytes, long fetchedAtNanos) {
    }

    private final BlobStore store;
    private final Upstream upstream;
    private final Settings settings;
    private final ChecksumVerifier verifier;
    private final MeterRegistry registry;

    private final SingleFlight<String, Void> versionFetches;
    private final SingleFlight<String, byte[]> mutableFetches;
    /** Last upstream answers for list, @latest and queries; fresh within listTtl, stale fallback after. */
    private final Cache<String, Fresh> mutable = Caffeine.newBuilder().maximumSize(50_000).build();
    private final Cache<String, ProxyException> notFound;
    /** Merged list answers, so a burst of list requests neither lists storage nor merges again; dropped on commit. */
    private final Cache<String, byte[]> lists;
    private final Object[] listLocks = new Object[64];

    private final FetchLeases leases;
    private final Counter leaseWaits;
    private final Counter joins;
    private final Counter committed;

    public ModuleService(BlobStore store, Upstream upstream, Settings settings, ChecksumVerifier verifier,
                         MeterRegistry registry, Executor fetchExecutor) {
        this(store, upstream, settings, verifier, registry, fetchExecutor, null);
    }

    /**
     * @param leases cross-replica fetch leases when several processes share the durable store, or null
     */
    public ModuleService(BlobStore store, Upstream upstream, Settings settings, ChecksumVerifier verifier,
                         MeterRegistry registry, Executor fetchExecutor, FetchLeases leases) {
        this.leases = leases;
        this.leaseWaits = Counter.builder("granary.leases.waits").description("Fetches left to another replica holding the lease").register(registry);
        this.store = store;
        this.upstream = upstream;
        this.settings = settings;
        this.verifier = verifier;
        this.registry = registry;
        this.notFound = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(settings.notFoundTtl()).build();
        this.lists = Caffeine.newBuilder().maximumSize(50_000).expireAfterWrite(settings.listTtl()).build();
        this.joins = Counter.builder("granary.singleflight.joins").description("Requests that joined a fetch already in progress").register(registry);
        this.committed = Counter.builder("granary.versions.committed").description("Module versions fetched, verified and committed").register(registry);
        this.versionFetches = new SingleFlight<>(fetchExecutor, joins::increment);
        this.mutableFetches = new SingleFlight<>(fetchExecutor, joins::increment);
        for (int i = 0; i < listLocks.length; i++) {
            listLocks[i] = new Object();
        }
    }

    // ---- immutable artifacts -------------------------------------------------------------------

    /** {@code <module>/@v/<version>.info} for a canonical version. */
    public Artifact info(ModuleVersion mv) {
        ensureVersion(mv);
        return open(ModuleKeys.info(mv), null);
    }

    /** {@code <module>/@v/<version>.mod}. */
    public Artifact mod(ModuleVersion mv) {
        ensureVersion(mv);
        return open(ModuleKeys.mod(mv), () -> sumLine(mv, true));
    }

    /** {@code <module>/@v/<version>.zip}; large zips come back file- or stream-backed, never loaded whole. */
    public Artifact zip(ModuleVersion mv) {
        ensureVersion(mv);
        return open(ModuleKeys.zip(mv), () -> sumLine(mv, false));
    }

    /** The two go.sum lines of a committed version, or empty when it is not stored. */
    public Optional<String> goSumLines(ModuleVersion mv) {
        try (Blob b = store.get(ModuleKeys.sum(mv)).orElse(null)) {
            return b == null ? Optional.empty() : Optional.of(new String(b.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw storageFailure("reading " + ModuleKeys.sum(mv), e);
        }
    }

    /** True when the version is committed in storage (its .info exists). */
    public boolean isStored(ModuleVersion mv) {
        // A get rather than a stat: the .info is small and usually in the hot tier, so this stays in memory.
        try (Blob b = store.get(ModuleKeys.info(mv)).orElse(null)) {
            return b != null;
        } catch (IOException e) {
            throw storageFailure("checking " + ModuleKeys.info(mv), e);
        }
    }

    private Artifact open(BlobKey key, Supplier<String> h1) {
        Blob blob;
        try {
            blob = store.get(key).orElseThrow(() -> new ProxyException(Kind.INTERNAL, key + " vanished from storage after commit"));
        } catch (IOException e) {
            throw storageFailure("reading " + key, e);
        }
        String etag = null;
        if (h1 != null) {
            String line = h1.get();
            if (line != null) {
                etag = Etags.ofH1(line);
            }
        }
        if (etag == null) {
            etag = blob.heapBytes().map(Etags::of).orElseGet(() -> blob.etag().map(t -> "\"" + t + "\"").orElse(null));
            if (etag == null && blob.size() <= settings.maxInfoBytes()) {
                try {
                    etag = Etags.of(blob.readAllBytes());
                } catch (IOException e) {
                    ProxyException failure = storageFailure("reading " + key, e);
                    try {
                        blob.close();
                    } catch (IOException closing) {
                        failure.addSuppressed(closing);
                    }
                    throw failure;
                }
            }
        }
        return new Artifact(blob, etag, true);
    }

    private String sumLine(ModuleVersion mv, boolean goMod) {
        Optional<String> lines = goSumLines(mv);
        if (lines.isEmpty()) {
            return null;
        }
        for (String line : lines.get().split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 3 && f[1].endsWith("/go.mod") == goMod) {
                return f[2];
            }
        }
        return null;
    }

    /** Makes sure the version is committed, fetching it once if needed. */
    void ensureVersion(ModuleVersion mv) {
        if (isStored(mv)) {
            return;
        }
        String key = mv.toString();
        ProxyException cached = notFound.getIfPresent("v:" + key);
        if (cached != null) {
            throw new ProxyException(cached.kind(), cached.getMessage());
        }
        versionFetches.run(key, () -> {
            if (!isStored(mv)) {
                fetchCoordinated(mv);
            }
            return null;
        }, settings.fetchWait().toMillis());
    }

    /** With replicas sharing storage, only the lease holder fetches; the others wait for its commit. */
    private void fetchCoordinated(ModuleVersion mv) {
        if (leases == null) {
            fetchAndCommit(mv);
            return;
        }
        long deadline = System.nanoTime() + settings.fetchWait().toNanos();
        boolean counted = false;
        while (true) {
            Optional<dev.granary.storage.Lease> lease;
            try {
                lease = leases.tryAcquire(mv);
            } catch (IOException e) {
                throw storageFailure("taking the fetch lease of " + mv, e);
            }
            if (lease.isPresent()) {
                try {
                    if (!isStored(mv)) {
                        fetchAndCommit(mv);
                    }
                } finally {
                    try {
                        leases.release(lease.get());
                    } catch (IOException e) {
                        log.warn("releasing the fetch lease of {}: {} (it expires by itself)", mv, e.toString());
                    }
                }
                return;
            }
            if (!counted) {
                leaseWaits.increment();
                counted = true;
            }
            if (isStored(mv)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new ProxyException(Kind.UPSTREAM_TIMEOUT, mv + ": another replica holds the fetch and has not committed it yet");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProxyException(Kind.INTERNAL, "interrupted waiting for another replica's fetch of " + mv);
            }
            if (isStored(mv)) {
                return;
            }
        }
    }

    /** A presigned URL for the zip when the durable store can give one (S3 redirect mode). */
    public Optional<java.net.URI> zipRedirect(ModuleVersion mv, Duration expiry) {
        ensureVersion(mv);
        try {
            return store.presignGet(ModuleKeys.zip(mv), expiry);
        } catch (IOException e) {
            throw storageFailure("presigning " + ModuleKeys.zip(mv), e);
        }
    }

    private void fetchAndCommit(ModuleVersion mv) {
        long start = System.nanoTime();
        try {
            byte[] info = upstreamFetch(ModuleKeys.path(mv, ".info"), settings.maxInfoBytes(), "info");
            String infoVersion = infoVersion(info, ModuleKeys.path(mv, ".info"));
            if (!infoVersion.equals(mv.version())) {
                throw new ProxyException(Kind.UPSTREAM_FAILED, mv + ": upstream .info names version " + infoVersion);
            }
            byte[] mod = upstreamFetch(ModuleKeys.path(mv, ".mod"), settings.maxModBytes(), "mod");
            Files.createDirectories(settings.tempDir());
            // The ".tmp-" prefix keeps it out of listings and lets a disk store sweep what a crash left behind.
            Path tmp = Files.createTempFile(settings.tempDir(), ".tmp-fetch-", ".zip");
            try {
                upstreamDownload(ModuleKeys.path(mv, ".zip"), tmp);
                ZipCheck check = ModuleZips.check(tmp, mv);
                if (check.goMod().isPresent() && !Arrays.equals(check.goMod().get(), mod)) {
                    throw refused(mv, "go-mod-mismatch", mv + ": the .mod file differs from the go.mod inside the zip");
                }
                String modH1 = Dirhash.hashGoMod(mod);
                try {
                    verifier.verify(mv, check.h1(), modH1);
                } catch (ProxyException e) {
                    // The verifier counts its own failures by reason; the refusal is logged here, once.
                    if (e.kind() == Kind.VERIFICATION_FAILED) {
                        log.error("refused {}: {}", mv, e.getMessage());
                    }
                    throw e;
                }
                String sum = mv.path().value() + " " + mv.version() + " " + check.h1() + "\n"
                        + mv.path().value() + " " + mv.version() + "/go.mod " + modH1 + "\n";
                // Commit order: zip, mod, sum, then info, the marker that makes the version exist.
                store.put(ModuleKeys.zip(mv), tmp, PutMode.REPLACE);
                store.put(ModuleKeys.mod(mv), mod);
                store.put(ModuleKeys.sum(mv), sum.getBytes(StandardCharsets.UTF_8));
                store.put(ModuleKeys.info(mv), info);
            } finally {
                Files.deleteIfExists(tmp);
            }
            committed.increment();
            lists.invalidate(mv.path().value());
            rewriteList(mv.path());
            log.info("committed {} in {} ms", mv, (System.nanoTime() - start) / 1_000_000);
        } catch (ProxyException e) {
            if (e.kind() == Kind.NOT_FOUND || e.kind() == Kind.GONE) {
                notFound.put("v:" + mv, e);
            }
            throw e;
        } catch (IOException e) {
            throw storageFailure("committing " + mv, e);
        }
    }

    private ProxyException refused(ModuleVersion mv, String reason, String message) {
        countVerificationFailure(reason);
        log.error("refused {}: {}", mv, message);
        return new ProxyException(Kind.VERIFICATION_FAILED, message);
    }

    private void countVerificationFailure(String reason) {
        registry.counter("granary.verification.failures", "reason", reason).increment();
    }

    private static String infoVersion(byte[] info, String what) {
        try {
            JsonNode n = JSON.readTree(info);
            JsonNode v = n == null ? null : n.get("Version");
            if (v == null || !v.isTextual() || !Semver.isValid(v.asText())) {
                throw new ProxyException(Kind.UPSTREAM_FAILED, what + ": upstream answered an .info without a valid Version");
            }
            return v.asText();
        } catch (IOException e) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, what + ": upstream answered malformed JSON", e);
        }
    }

    // ---- mutable answers -----------------------------------------------------------------------

    /** {@code <module>/@v/list}: tagged versions from upstream and storage, semver-sorted. */
    public Artifact list(ModulePath p) {
        byte[] merged = lists.getIfPresent(p.value());
        if (merged != null) {
            return Artifact.mutable(merged);
        }
        String key = "list:" + p.value();
        List<String> stored = storedVersions(p);
        byte[] upstreamList;
        try {
            upstreamList = mutableFetch(key, p.escaped() + "/@v/list", "list");
        } catch (ProxyException e) {
            Fresh stale = mutable.getIfPresent(key);
            if (!e.isNotFound() && stale != null) {
                log.warn("serving stale list of {}: {}", p.value(), e.getMessage());
                upstreamList = stale.bytes();
            } else if (!stored.isEmpty()) {
                upstreamList = new byte[0];
            } else {
                throw e;
            }
        }
        TreeSet<String> versions = new TreeSet<>(Semver.ORDER);
        for (String line : new String(upstreamList, StandardCharsets.UTF_8).split("\n")) {
            String v = line.strip().split("\\s+")[0];
            if (isTagged(v)) {
                versions.add(v);
            }
        }
        for (String v : stored) {
            if (isTagged(v)) {
                versions.add(v);
            }
        }
        StringBuilder b = new StringBuilder();
        versions.forEach(v -> b.append(v).append('\n'));
        merged = b.toString().getBytes(StandardCharsets.UTF_8);
        lists.put(p.value(), merged);
        return Artifact.mutable(merged);
    }

    /** {@code <module>/@latest}: upstream's answer, else computed from the list and storage. */
    public Artifact latest(ModulePath p) {
        String key = "latest:" + p.value();
        try {
            byte[] info = mutableFetch(key, p.escaped() + "/@latest", "latest");
            infoVersion(info, p.escaped() + "/@latest");
            return Artifact.mutable(info);
        } catch (ProxyException e) {
            Fresh stale = mutable.getIfPresent(key);
            if (!e.isNotFound() && stale != null) {
                return Artifact.mutable(stale.bytes());
            }
            Optional<ModuleVersion> local = latestFromList(p);
            if (local.isEmpty()) {
                throw e;
            }
            try (Artifact a = info(local.get())) {
                return Artifact.mutable(a.blob().readAllBytes());
            } catch (IOException io) {
                throw storageFailure("reading latest of " + p.value(), io);
            }
        }
    }

    /** go.dev/ref/mod#version-queries: release > pre-release > newest pseudo-version. */
    private Optional<ModuleVersion> latestFromList(ModulePath p) {
        List<String> candidates = new ArrayList<>();
        try (Artifact a = list(p)) {
            for (String v : new String(a.blob().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!v.isEmpty()) {
                    candidates.add(v);
                }
            }
        } catch (ProxyException e) {
            if (!e.isNotFound()) {
                // The upstream failed and nothing is stored for the module: fall back to what is stored below.
                log.debug("list for latest of {} failed: {}", p.value(), e.getMessage());
            }
        } catch (IOException e) {
            throw storageFailure("listing " + p.value(), e);
        }
        Optional<String> best = pickLatest(candidates);
        if (best.isEmpty()) {
            best = pickLatest(storedVersions(p));
        }
        return best.map(v -> ModuleVersion.of(p.value(), v));
    }

    static Optional<String> pickLatest(Collection<String> versions) {
        String release = null;
        String pre = null;
        String pseudo = null;
        for (String v : versions) {
            if (!Semver.isValid(v)) {
                continue;
            }
            if (PseudoVersion.isPseudoVersion(v)) {
                pseudo = max(pseudo, v);
            } else if (Semver.prerelease(v).isEmpty()) {
                release = max(release, v);
            } else {
                pre = max(pre, v);
            }
        }
        return Optional.ofNullable(release != null ? release : pre != null ? pre : pseudo);
    }

    private static String max(String a, String b) {
        return a == null || Semver.compare(b, a) > 0 ? b : a;
    }

    /** {@code <module>/@v/<query>.info} for a branch, commit or other non-canonical query. */
    public Artifact query(ModulePath p, String query) {
        String key = "query:" + p.value() + "@" + query;
        byte[] info;
        try {
            info = mutableFetch(key, p.escaped() + "/@v/" + ModuleEscaping.escapeVersion(query) + ".info", "info");
        } catch (ProxyException e) {
            Fresh stale = mutable.getIfPresent(key);
            if (e.isNotFound() || stale == null) {
                throw e;
            }
            info = stale.bytes();
        }
        String version = infoVersion(info, p.value() + "@" + query);
        ModuleVersion mv;
        try {
            mv = ModuleVersion.of(p.value(), version);
        } catch (ProxyException e) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, p.value() + "@" + query + ": upstream resolved to an invalid version " + version);
        }
        Artifact a = info(mv);
        return new Artifact(a.blob(), a.etag(), false);
    }

    /** Fetches a mutable answer, fresh within the TTL, coalesced, with not-found answers remembered. */
    private byte[] mutableFetch(String key, String path, String kind) {
        Fresh f = mutable.getIfPresent(key);
        if (f != null && System.nanoTime() - f.fetchedAtNanos() < settings.listTtl().toNanos()) {
            return f.bytes();
        }
        ProxyException cached = notFound.getIfPresent(key);
        if (cached != null) {
            throw new ProxyException(cached.kind(), cached.getMessage());
        }
        return mutableFetches.run(key, () -> {
            try {
                byte[] bytes = upstreamFetch(path, settings.maxModBytes(), kind);
                mutable.put(key, new Fresh(bytes, System.nanoTime()));
                return bytes;
            } catch (ProxyException e) {
                if (e.kind() == Kind.NOT_FOUND || e.kind() == Kind.GONE) {
                    notFound.put(key, e);
                }
                throw e;
            }
        }, settings.fetchWait().toMillis());
    }

    // ---- storage-derived -----------------------------------------------------------------------

    /** Versions committed in storage (those with an .info), unsorted. */
    public List<String> storedVersions(ModulePath p) {
        List<String> out = new ArrayList<>();
        try {
            BlobKey dir = ModuleKeys.versionsDir(p);
            for (BlobKey k : store.list(dir)) {
                String name = k.name();
                if (name.endsWith(".info") && k.parent().map(dir::equals).orElse(false)) {
                    try {
                        out.add(ModuleEscaping.unescapeVersion(name.substring(0, name.length() - ".info".length())));
                    } catch (ProxyException e) {
                        log.warn("ignoring unexpected file {} in storage", k);
                    }
                }
            }
        } catch (IOException e) {
            throw storageFailure("listing " + p.value(), e);
        }
        return out;
    }

    /** Rewrites {@code <module>/@v/list} from storage so the tree stays a valid file:// GOPROXY. */
    private void rewriteList(ModulePath p) throws IOException {
        synchronized (listLocks[Math.floorMod(p.value().hashCode(), listLocks.length)]) {
            List<String> tagged = new ArrayList<>();
            for (String v : storedVersions(p)) {
                if (isTagged(v)) {
                    tagged.add(v);
                }
            }
            tagged.sort(Semver.ORDER);
            StringBuilder b = new StringBuilder();
            tagged.forEach(v -> b.append(v).append('\n'));
            store.put(ModuleKeys.list(p), b.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static boolean isTagged(String v) {
        return Semver.isValid(v) && !PseudoVersion.isPseudoVersion(v);
    }

    // ---- upstream with metrics -----------------------------------------------------------------

    private byte[] upstreamFetch(String path, long max, String kind) {
        return timed(kind, () -> upstream.fetch(path, max));
    }

    private void upstreamDownload(String path, Path target) {
        timed("zip", () -> upstream.download(path, target, settings.maxZipBytes()));
    }

    private <T> T timed(String kind, Supplier<T> call) {
        long start = System.nanoTime();
        String result = "ok";
        try {
            return call.get();
        } catch (ProxyException e) {
            result = switch (e.kind()) {
                case NOT_FOUND -> "not_found";
                case GONE -> "gone";
                case UPSTREAM_TIMEOUT -> "timeout";
                default -> "error";
            };
            throw e;
        } finally {
            Timer.builder("granary.upstream.fetch")
                    .description("Requests to the upstream chain by artifact kind and result")
                    .tag("kind", kind).tag("result", result)
                    .publishPercentileHistogram()
                    .register(registry)
                    .record(Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static ProxyException storageFailure(String what, IOException e) {
        return new ProxyException(Kind.STORAGE_UNAVAILABLE, "storage failure " + what + ": " + e.getMessage(), e);
    }
}
