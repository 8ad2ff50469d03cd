package dev.granary.core.fetch;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.core.verify.RefusedException;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code .info} of {@code golang.org/toolchain} versions that are not committed here. The go
 * command checks that a toolchain exists by asking for the {@code .info} of its linux-amd64 build,
 * whatever platform it runs on (cmd/go/internal/modfetch/toolchain.go, {@code toolchainRepo.Stat}), so
 * answering that with the usual pipeline would download a 70 MB linux-amd64 zip nobody wants. Here a
 * toolchain {@code .info} is fetched alone, checked (it names the version, and the checksum database
 * lists the version, which proves it exists and caches the proof), and recorded under
 * {@code toolchains/<version>.info}, apart from the commit marker; from then on it is answered from
 * storage, also offline. A {@code .mod} or {@code .zip} request still fetches the whole version.
 */
final class ToolchainInfos {
    private static final Logger log = LoggerFactory.getLogger(ToolchainInfos.class);

    private final BlobStore store;
    private final Upstream upstream;
    private final ChecksumVerifier verifier;
    private final FetchSettings settings;
    private final MeterRegistry registry;
    private final SingleFlight<ModuleVersion, byte[]> fetches;
    private final RecentFailures<ModuleVersion, ProxyException> recent;

    ToolchainInfos(
            BlobStore store,
            Upstream upstream,
            ChecksumVerifier verifier,
            FetchSettings settings,
            Executor executor,
            MeterRegistry registry) {
        this.store = store;
        this.upstream = upstream;
        this.verifier = verifier;
        this.settings = settings;
        this.registry = registry;
        Counter joins = Counter.builder(Meters.SINGLEFLIGHT_JOINS)
                .description("Requests that joined a fetch already in progress")
                .register(registry);
        this.fetches = new SingleFlight<>(executor, joins::increment);
        this.recent = RecentFailures.ofExceptions(settings.notFoundTtl(), settings.failureTtl());
    }

    /** True for versions of {@code golang.org/toolchain}. */
    static boolean isToolchain(ModuleVersion mv) {
        return mv.path().value().equals(StorageLayout.TOOLCHAIN_MODULE);
    }

    /** The recorded {@code .info}, fetched and checked first when there is none. */
    Artifact info(ModuleVersion mv) {
        Optional<byte[]> recorded = recorded(mv);
        if (recorded.isPresent()) {
            return Artifact.immutable(recorded.get());
        }
        recent.check(mv);
        return Artifact.immutable(fetches.run(mv, () -> fetch(mv), settings.fetchWait()));
    }

    /** The recorded {@code .info} of {@code mv}, if any. */
    Optional<byte[]> recorded(ModuleVersion mv) {
        BlobKey key = StorageLayout.toolchainInfo(mv);
        try (Blob b = store.get(key).orElse(null)) {
            return b == null ? Optional.empty() : Optional.of(b.readAllBytes());
        } catch (IOException e) {
            throw Failures.storage("reading " + key, e);
        }
    }

    /**
     * Records an {@code .info} that arrived from elsewhere (a snapshot) after the same checks as a
     * fetched one: it names the version, and {@code verifier} (for an import, one that reads the proofs
     * the snapshot carries) knows the version.
     */
    void record(ModuleVersion mv, byte[] info, ChecksumVerifier verifier) {
        check(mv, info, verifier);
        put(mv, info);
    }

    private byte[] fetch(ModuleVersion mv) {
        try {
            Optional<byte[]> recorded = recorded(mv);
            if (recorded.isPresent()) {
                return recorded.get();
            }
            byte[] info = upstream.fetch(StorageLayout.path(mv, ".info"), settings.maxInfoBytes());
            check(mv, info, verifier);
            put(mv, info);
            log.info("recorded {} as existing ({})", mv, StorageLayout.toolchainInfo(mv));
            return info;
        } catch (ProxyException e) {
            recent.remember(mv, e);
            throw e;
        }
    }

    private void check(ModuleVersion mv, byte[] info, ChecksumVerifier verifier) {
        if (!isToolchain(mv)) {
            throw new IllegalArgumentException(mv + " is not a toolchain module version");
        }
        VersionChecks.checkInfo(mv, info);
        try {
            verifier.expected(mv);
        } catch (RefusedException e) {
            registry.counter(Meters.VERIFICATION_FAILURES, "reason", e.reason()).increment();
            verifier.refused(mv, e.reason());
            log.error("refused {}: {}", mv, e.getMessage());
            throw e;
        }
    }

    private void put(ModuleVersion mv, byte[] info) {
        try {
            store.put(StorageLayout.toolchainInfo(mv), info);
        } catch (IOException e) {
            throw Failures.storage("recording " + StorageLayout.toolchainInfo(mv), e);
        }
    }
}
