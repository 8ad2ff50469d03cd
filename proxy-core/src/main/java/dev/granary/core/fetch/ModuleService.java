package dev.granary.core.fetch;

import dev.granary.core.ProxyException;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.policy.VersionPolicy;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.upstream.MeteredUpstream;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.storage.BlobStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The module engine: answers every GOPROXY request from storage, fetching, verifying and committing
 * from the upstream on a miss. A thin facade over named parts:
 * <ul>
 *   <li>{@link CommittedVersions}: what is committed, opened for serving with strong ETags;</li>
 *   <li>{@link VersionFetches}: one fetch per version (and per replica set, with leases), recent
 *       failures remembered;</li>
 *   <li>{@link VersionPipeline}: fetch, check, verify, then {@link VersionCommitter} commits zip,
 *       mod, sum and {@code .info} last (a version exists iff its {@code .info} does);</li>
 *   <li>{@link MutableAnswers}: list, @latest and queries with TTL, stale and negative caches;</li>
 *   <li>{@link ModuleIndex}: stored versions and the derived {@code @v/list};</li>
 *   <li>{@link ToolchainInfos}: the {@code .info} of {@code golang.org/toolchain} versions not stored
 *       here, answered without fetching their zip (the go command's existence check).</li>
 * </ul>
 * A {@code .info} request is answered as soon as the upstream's {@code .info} names the version,
 * a {@code .mod} once its h1 matched the checksum database (or, with no line for it, once the whole
 * version passed its checks), a {@code .zip} once committed.
 * The {@link VersionPolicy} is asked before anything about a version is read or fetched, by the
 * pipeline once the upstream's {@code .info} is known (before the downloads), and before a stored
 * version is served; {@code @v/list} is never filtered.
 * Methods block (storage, network, hashing): call them from a virtual thread, never an event loop.
 */
public final class ModuleService {
    private static final Logger log = LoggerFactory.getLogger(ModuleService.class);

    private final CommittedVersions committed;
    private final ModuleIndex index;
    private final VersionCommitter committer;
    private final VersionFetches fetches;
    private final MutableAnswers answers;
    private final ToolchainInfos toolchainInfos;
    private final FetchSettings settings;
    private final VersionPolicy policy;

    public ModuleService(
            BlobStore store,
            Upstream upstream,
            FetchSettings settings,
            ChecksumVerifier verifier,
            MeterRegistry registry,
            Executor executor) {
        this(store, upstream, settings, verifier, registry, executor, null);
    }

    /** @param leases cross-replica fetch leases when several processes share the durable store, or null */
    public ModuleService(
            BlobStore store,
            Upstream upstream,
            FetchSettings settings,
            ChecksumVerifier verifier,
            MeterRegistry registry,
            Executor executor,
            FetchLeases leases) {
        this(store, upstream, settings, verifier, registry, executor, leases, VersionPolicy.NONE);
    }

    /** @param policy which versions may be fetched and served */
    public ModuleService(
            BlobStore store,
            Upstream upstream,
            FetchSettings settings,
            ChecksumVerifier verifier,
            MeterRegistry registry,
            Executor executor,
            FetchLeases leases,
            VersionPolicy policy) {
        Upstream metered = new MeteredUpstream(upstream, registry);
        this.settings = settings;
        this.policy = policy;
        this.committed = new CommittedVersions(store, settings.maxInfoBytes());
        this.index = new ModuleIndex(store);
        this.committer = new VersionCommitter(store, index, registry);
        VersionPipeline pipeline =
                new VersionPipeline(metered, verifier, committer, settings, executor, registry, policy);
        this.fetches = new VersionFetches(pipeline, committed, leases, settings, executor, registry);
        this.answers = new MutableAnswers(metered, index, settings, executor, registry);
        this.toolchainInfos = new ToolchainInfos(store, metered, verifier, settings, executor, registry);
        committer.onCommit(answers::committed);
    }

    // ---- immutable artifacts -------------------------------------------------------------------

    /**
     * {@code <module>/@v/<version>.info} for a canonical version. For a {@code golang.org/toolchain}
     * version that is not stored, the recorded (or fetched and checked) {@code .info} alone: the go
     * command asks for it to learn that a toolchain exists, not to download it.
     */
    public Artifact info(ModuleVersion mv) {
        admit(mv);
        if (ToolchainInfos.isToolchain(mv) && !committed.isStored(mv)) {
            return admitted(mv, toolchainInfos.info(mv));
        }
        return answer(mv, false, f -> f.info, committed::info);
    }

    /**
     * Records the {@code .info} of a {@code golang.org/toolchain} version that arrived from elsewhere (a
     * snapshot), after the checks a fetched one passes: it names the version, and {@code verifier} (for
     * an import, one backed by the proofs the snapshot carries) has the version's checksum lines.
     *
     * @throws dev.granary.core.verify.RefusedException when the verifier does not know the version
     */
    public void recordToolchainInfo(ModuleVersion mv, byte[] info, ChecksumVerifier verifier) {
        toolchainInfos.record(mv, info, verifier);
    }

    /** The recorded {@code .info} of a toolchain version that is known to exist without being stored, if any. */
    public Optional<byte[]> recordedToolchainInfo(ModuleVersion mv) {
        return toolchainInfos.recorded(mv);
    }

    /** {@code <module>/@v/<version>.mod}. */
    public Artifact mod(ModuleVersion mv) {
        admit(mv);
        return answer(mv, true, f -> f.mod, committed::mod);
    }

    /** {@code <module>/@v/<version>.zip}; large zips come back file- or stream-backed, never loaded whole. */
    public Artifact zip(ModuleVersion mv) {
        admit(mv);
        ensureVersion(mv);
        try {
            return committed.zip(mv);
        } catch (CommittedVersions.Vanished e) {
            if (committed.isGoModOnly(mv)) {
                fetchMissingZip(mv);
                return committed.zipIfPresent(mv).orElseThrow(() -> missingZip(mv, null));
            }
            refetch(mv, e);
            return committed.zip(mv);
        }
    }

    /** A committed version lost a file (see {@link CommittedVersions.Vanished}): forget it and fetch it again, once. */
    private void refetch(ModuleVersion mv, CommittedVersions.Vanished e) {
        log.warn("{}; fetching the version again", e.getMessage());
        committed.forget(mv);
        Waits.await(fetches.join(mv, true).committed, settings.fetchWait(), mv);
    }

    /** A presigned URL for the zip when the durable store can give one (S3 redirect mode). */
    public Optional<URI> zipRedirect(ModuleVersion mv, Duration expiry) {
        admit(mv);
        ensureVersion(mv);
        if (!committed.hasZip(mv)) {
            fetchMissingZip(mv);
        }
        return committed.presignZip(mv, expiry);
    }

    /** A toolchain's {@code .info} answered without a fetch: what it says must pass the policy too. */
    private Artifact admitted(ModuleVersion mv, Artifact info) {
        if (!policy.needsInfo(mv)) {
            return info;
        }
        try {
            policy.checkInfo(mv, info.blob().readAllBytes());
            return info;
        } catch (IOException e) {
            Failures.closeQuietly(info, e);
            throw Failures.storage("reading the .info of " + mv, e);
        } catch (RuntimeException e) {
            Failures.closeQuietly(info, e);
            throw e;
        }
    }

    /**
     * The policy before a version is served: its rules, and for a stored version what its stored
     * {@code .info} says (a version not stored yet is checked by the pipeline, before its downloads).
     */
    private void admit(ModuleVersion mv) {
        policy.checkVersion(mv);
        if (policy.needsInfo(mv)) {
            committed.storedInfo(mv).ifPresent(info -> policy.checkInfo(mv, info));
        }
    }

    /**
     * A version committed without its zip (a snapshot carried only its go.sum {@code /go.mod} line) is
     * fetched whole once more when its zip is asked for; offline, that is a not-found.
     */
    private void fetchMissingZip(ModuleVersion mv) {
        try {
            Waits.await(fetches.join(mv, true, true).committed, settings.fetchWait(), mv);
        } catch (ProxyException e) {
            if (e.isNotFound()) {
                throw missingZip(mv, e);
            }
            throw e;
        }
    }

    private static ProxyException missingZip(ModuleVersion mv, ProxyException cause) {
        return new ProxyException(
                ProxyException.Kind.NOT_FOUND,
                mv + ": only its go.mod is stored here (from a snapshot that"
                        + " carried its go.sum /go.mod line alone), and the upstream has no zip"
                        + (cause == null ? "" : ": " + cause.getMessage()),
                cause);
    }

    /** The go.sum lines of a committed version, or empty when it is not stored. */
    public Optional<GoSum> goSum(ModuleVersion mv) {
        return committed.sums(mv);
    }

    /** True when the version is committed in storage (its .info exists). */
    public boolean isStored(ModuleVersion mv) {
        return committed.isStored(mv);
    }

    /** Makes sure the version is committed, fetching it once if needed. */
    public void ensureVersion(ModuleVersion mv) {
        if (!committed.isStored(mv)) {
            Waits.await(fetches.join(mv, true).committed, settings.fetchWait(), mv);
        }
    }

    /** Answers from storage, or from the fetch's stage when it passed before the commit. */
    private Artifact answer(
            ModuleVersion mv,
            boolean known,
            Function<VersionFetch, CompletableFuture<byte[]>> stage,
            Function<ModuleVersion, Artifact> stored) {
        if (committed.isStored(mv)) {
            try {
                return stored.apply(mv);
            } catch (CommittedVersions.Vanished e) {
                refetch(mv, e);
                return stored.apply(mv);
            }
        }
        byte[] early = Waits.await(stage.apply(fetches.join(mv, known)), settings.fetchWait(), mv);
        return early == null ? stored.apply(mv) : Artifact.immutable(early);
    }

    // ---- mutable answers -----------------------------------------------------------------------

    /** {@code <module>/@v/list}: tagged versions from upstream and storage, semver-sorted. */
    public Artifact list(ModulePath p) {
        return Artifact.mutable(answers.list(p));
    }

    /** {@code <module>/@latest}: upstream's answer, else computed from the list and storage. */
    public Artifact latest(ModulePath p) {
        MutableAnswers.Latest l = answers.latest(p);
        if (l.info().isPresent()) {
            admitLatest(p, l.info().get());
            return Artifact.mutable(l.info().get());
        }
        try (Artifact a = info(l.stored().orElseThrow())) {
            return Artifact.mutable(a.blob().readAllBytes());
        } catch (IOException e) {
            throw Failures.storage("reading latest of " + p.value(), e);
        }
    }

    /** The upstream's {@code @latest} names a version the policy must allow, as if it were asked for by name. */
    private void admitLatest(ModulePath p, byte[] info) {
        ModuleVersion mv;
        try {
            mv = ModuleVersion.of(p.value(), VersionChecks.infoVersion(info, p.value() + "@latest"));
        } catch (ProxyException e) {
            return; // not a version that could be fetched: its .info request gets the answer
        }
        policy.checkInfo(mv, info);
    }

    /** {@code <module>/@v/<query>.info} for a branch, commit or other non-canonical query. */
    public Artifact query(ModulePath p, String query) {
        Artifact a = info(answers.resolve(p, query));
        return new Artifact(a.blob(), a.etag(), false);
    }

    // ---- storage-derived -----------------------------------------------------------------------

    /** Versions committed in storage (those with an .info), unsorted. */
    public List<String> storedVersions(ModulePath p) {
        return index.storedVersions(p);
    }

    /** The module index (stored versions, list rewrites), for other writers of versions (snapshot import). */
    public ModuleIndex index() {
        return index;
    }

    /** The committer, for other sources of verified versions (snapshot import). */
    public VersionCommitter committer() {
        return committer;
    }
}
