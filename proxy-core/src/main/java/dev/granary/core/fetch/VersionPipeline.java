package dev.granary.core.fetch;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.core.verify.RefusedException;
import dev.granary.storage.TempFiles;
import dev.granary.core.verify.ExpectedSums;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stages a version passes on its way from the upstream into storage:
 * <ol>
 *   <li><b>info</b>: fetch the {@code .info}, check it names the version: {@code .info} requests are
 *       answered from here on;</li>
 *   <li><b>ask</b> the {@link ChecksumVerifier} for the authoritative hashes (a checksum database
 *       lookup with its proofs), in parallel with the downloads below;</li>
 *   <li><b>download</b> the zip to a temporary file while the {@code .mod} is fetched;</li>
 *   <li><b>mod</b>: its h1 must equal the authoritative go.mod line: {@code .mod} requests are
 *       answered from here on when there is such a line;</li>
 *   <li><b>zip</b>: module zip rules, the same go.mod inside, its h1 equal to the authoritative line;</li>
 *   <li><b>commit</b> through the {@link VersionCommitter} (zip, mod, sum, info): {@code .zip}
 *       requests, and everything else, are answered from storage from here on.</li>
 * </ol>
 * No {@code .mod} or {@code .zip} byte is answered before it passed verification, and nothing that
 * failed any stage is stored. Refusals are counted by reason and logged once, at error level.
 */
final class VersionPipeline {
    private static final Logger log = LoggerFactory.getLogger(VersionPipeline.class);

    private final Upstream upstream;
    private final ChecksumVerifier verifier;
    private final VersionCommitter committer;
    private final FetchSettings settings;
    private final Executor executor;
    private final MeterRegistry registry;

    VersionPipeline(Upstream upstream, ChecksumVerifier verifier, VersionCommitter committer, FetchSettings settings,
                    Executor executor, MeterRegistry registry) {
        this.upstream = upstream;
        this.verifier = verifier;
        this.committer = committer;
        this.settings = settings;
        this.executor = executor;
        this.registry = registry;
    }

    /** Runs every stage of {@code f}, completing its futures as the stages pass. Never throws. */
    void run(VersionFetch f) {
        long start = System.nanoTime();
        ModuleVersion mv = f.version;
        Path tmp = null;
        try {
            byte[] info = upstream.fetch(StorageLayout.path(mv, ".info"), settings.maxInfoBytes());
            VersionChecks.checkInfo(mv, info);
            f.info.complete(info);
            // Only now: the go command probes module path prefixes that do not exist, which need no lookup.
            CompletableFuture<Optional<ExpectedSums>> expected = CompletableFuture.supplyAsync(() -> verifier.expected(mv), executor);
            CompletableFuture<byte[]> modDownload = CompletableFuture.supplyAsync(
                    () -> upstream.fetch(StorageLayout.path(mv, ".mod"), settings.maxModBytes()), executor);
            tmp = newTempFile();
            upstream.download(StorageLayout.path(mv, ".zip"), tmp, settings.maxZipBytes());
            byte[] mod = Waits.join(modDownload, mv + ".mod");
            Optional<ExpectedSums> exp = Waits.join(expected, "the checksum of " + mv);
            String modH1 = VersionChecks.checkMod(mv, mod, exp);
            if (exp.isPresent() && exp.get().sums().modH1() != null) {
                f.mod.complete(mod);
            }
            GoSum sums = VersionChecks.checkZip(mv, tmp, mod, modH1, exp);
            verifier.accepted(sums);
            committer.commit(new VerifiedVersion(mv, info, mod, tmp, sums));
            f.stored();
            log.info("committed {} in {} ms", mv, (System.nanoTime() - start) / 1_000_000);
        } catch (RefusedException e) {
            Counter.builder(Meters.VERIFICATION_FAILURES).description("Content refused by verification, by reason")
                    .tag("reason", e.reason()).register(registry).increment();
            verifier.refused(mv, e.reason());
            log.error("refused {}: {}", mv, e.getMessage());
            f.fail(e);
        } catch (ProxyException e) {
            if (e.kind() == Kind.STORAGE_UNAVAILABLE) {
                // A local fault (a full disk while downloading): counted and logged here, never blamed on the upstream.
                registry.counter(Meters.STORAGE_ERRORS, "tier", "disk", "operation", "download").increment();
                log.error("storage failure fetching {}: {}", mv, e.getMessage());
            }
            f.fail(e);
        } catch (IOException e) {
            f.fail(Failures.storage("committing " + mv, e));
        } catch (RuntimeException e) {
            log.error("fetching {} failed unexpectedly", mv, e);
            f.fail(new ProxyException(Kind.INTERNAL, "fetching " + mv + " failed: " + e, e));
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    private Path newTempFile() throws IOException {
        // A temporary name keeps it out of listings, lets a disk store rename it into place once verified,
        // and tells a sweeper after a crash that no live process owns it.
        return TempFiles.create(settings.tempDir(), "fetch");
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("cannot remove temporary file {}: {}", p.getFileName(), e.toString());
        }
    }
}
