package dev.granary.core.fetch;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.policy.PolicyException;
import dev.granary.core.policy.VersionPolicy;
import dev.granary.core.upstream.Upstream;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.core.verify.ExpectedSums;
import dev.granary.core.verify.RefusedException;
import dev.granary.storage.TempFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stages a version passes on its way from the upstream into storage:
 * <ol>
 *   <li><b>info</b>: fetch the {@code .info}, check it names the version and that the
 *       {@link VersionPolicy} allows it (a refused version goes no further: nothing is looked up,
 *       downloaded or committed): {@code .info} requests are answered from here on;</li>
 *   <li><b>ask</b> the {@link ChecksumVerifier} for the authoritative hashes (a checksum database
 *       lookup with its proofs), in parallel with the downloads below;</li>
 *   <li><b>download</b> the zip to a temporary file and fetch the {@code .mod}, both in parallel,
 *       after the {@code .info}, or with it when the request that started the fetch knows the
 *       version exists ({@link VersionFetch#known});</li>
 *   <li><b>mod</b>: its h1 must equal the authoritative go.mod line: {@code .mod} requests are
 *       answered from here on when there is such a line, whatever the zip download is doing;</li>
 *   <li><b>zip</b>: module zip rules, the same go.mod inside, its h1 equal to the authoritative line:
 *       a {@code .mod} no line vouched for is answered from here on;</li>
 *   <li><b>commit</b> through the {@link VersionCommitter} (zip, mod and sum, then info): {@code .zip}
 *       requests, and everything else, are answered from storage from here on.</li>
 * </ol>
 * No {@code .mod} or {@code .zip} byte is answered before it passed verification, and nothing that
 * failed any stage is stored. Refusals are counted by reason and logged once, at error level.
 *
 * <p>Why the {@code .mod} goes first: the go command loads the whole module graph, every go.mod,
 * two or a few at a time ({@code GOMAXPROCS}), before it asks for any zip. A {@code .mod} that waited
 * for its zip and the commit made every step of that walk wait for a download, a hash of the whole
 * zip and several fsyncs; the zips then arrive while the go command is still walking.
 */
final class VersionPipeline {
    private static final Logger log = LoggerFactory.getLogger(VersionPipeline.class);

    private final Upstream upstream;
    private final ChecksumVerifier verifier;
    private final VersionCommitter committer;
    private final FetchSettings settings;
    private final Executor executor;
    private final MeterRegistry registry;
    private final VersionPolicy policy;

    VersionPipeline(
            Upstream upstream,
            ChecksumVerifier verifier,
            VersionCommitter committer,
            FetchSettings settings,
            Executor executor,
            MeterRegistry registry,
            VersionPolicy policy) {
        this.upstream = upstream;
        this.verifier = verifier;
        this.committer = committer;
        this.settings = settings;
        this.executor = executor;
        this.registry = registry;
        this.policy = policy;
    }

    /** Runs every stage of {@code f}, completing its futures as the stages pass. Never throws. */
    void run(VersionFetch f) {
        long start = System.nanoTime();
        ModuleVersion mv = f.version;
        Path tmp = null;
        CompletableFuture<byte[]> modDownload = null;
        CompletableFuture<Long> zipDownload = null;
        CompletableFuture<String> modChecked = null;
        ProxyException failure = null;
        AtomicLong sumsAt = new AtomicLong();
        AtomicLong modAt = new AtomicLong();
        try {
            // A policy that needs the .info (a minimum age) decides before anything is downloaded.
            if (f.known && !policy.needsInfo(mv)) {
                tmp = newTempFile();
                modDownload = fetchMod(mv);
                zipDownload = downloadZip(mv, tmp);
            }
            byte[] info = upstream.fetch(StorageLayout.path(mv, ".info"), settings.maxInfoBytes());
            VersionChecks.checkInfo(mv, info);
            policy.checkInfo(mv, info);
            f.info.complete(info);
            long infoAt = System.nanoTime();
            // Only now: the go command probes module path prefixes that do not exist, which need no lookup.
            CompletableFuture<Optional<ExpectedSums>> expected = CompletableFuture.supplyAsync(
                    () -> {
                        Optional<ExpectedSums> e = verifier.expected(mv);
                        sumsAt.set(System.nanoTime());
                        return e;
                    },
                    executor);
            if (modDownload == null) {
                tmp = newTempFile();
                modDownload = fetchMod(mv);
                zipDownload = downloadZip(mv, tmp);
            }
            modChecked = modDownload.thenCombine(expected, (mod, exp) -> {
                String h1 = VersionChecks.checkMod(mv, mod, exp);
                // The go command loads the whole module graph (every .mod) before it asks for any zip:
                // a .mod its own line vouches for is answered now, while the zip still downloads.
                if (exp.isPresent() && exp.get().sums().modH1() != null) {
                    f.mod.complete(mod);
                    modAt.set(System.nanoTime());
                }
                return h1;
            });
            // A .mod refused, or not fetched, fails its waiters at once rather than after the zip.
            modChecked.whenComplete((h1, e) -> {
                if (e != null) {
                    f.mod.completeExceptionally(
                            e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e);
                }
            });
            Waits.join(zipDownload, mv + ".zip");
            long zipAt = System.nanoTime();
            String modH1 = Waits.join(modChecked, mv + ".mod");
            byte[] mod = modDownload.join();
            Optional<ExpectedSums> exp = expected.join();
            GoSum sums = VersionChecks.checkZip(mv, tmp, mod, modH1, exp);
            verifier.accepted(sums);
            // Every check passed: a .mod no line vouched for (no checksum database, the first fetch of a
            // private module) is answered now, vouched for by the verified zip's own go.mod.
            long checkedAt = System.nanoTime();
            if (f.mod.complete(mod)) {
                modAt.set(checkedAt);
            }
            // Waiting requests are answered once the .info is durable, not after the @v/list rewrite too.
            committer.commit(new VerifiedVersion(mv, info, mod, tmp, sums), f::stored);
            long end = System.nanoTime();
            log.info(
                    "committed {} in {} ms (.info after {}, sums {}, .mod {}, zip {}, checks done {}, commit took {})",
                    mv,
                    millis(end - start),
                    millis(infoAt - start),
                    sumsAt.get() == 0 ? "-" : millis(sumsAt.get() - start),
                    millis(modAt.get() - start),
                    millis(zipAt - start),
                    millis(checkedAt - start),
                    millis(end - checkedAt));
        } catch (RefusedException e) {
            Counter.builder(Meters.VERIFICATION_FAILURES)
                    .description("Content refused by verification, by reason")
                    .tag("reason", e.reason())
                    .register(registry)
                    .increment();
            verifier.refused(mv, e.reason());
            log.error("refused {}: {}", mv, e.getMessage());
            failure = e;
        } catch (PolicyException e) {
            log.info("not fetched: {}", e.getMessage());
            failure = e;
        } catch (ProxyException e) {
            if (e.kind() == Kind.STORAGE_UNAVAILABLE) {
                // A local fault (a full disk while downloading): counted and logged here, never blamed on the upstream.
                registry.counter(Meters.STORAGE_ERRORS, "tier", "disk", "operation", "download")
                        .increment();
                log.error("storage failure fetching {}: {}", mv, e.getMessage());
            }
            failure = e;
        } catch (IOException e) {
            // Also after the version exists (its @v/list rewrite failed): its waiters have their answers, the
            // next commit of the module rewrites the list.
            log.error("storage failure committing {}: {}", mv, e.toString());
            failure = Failures.storage("committing " + mv, e);
        } catch (RuntimeException e) {
            log.error("fetching {} failed unexpectedly", mv, e);
            failure = new ProxyException(Kind.INTERNAL, "fetching " + mv + " failed: " + e, e);
        } finally {
            // A download still running (the .info failed first) would write to the file after it is gone.
            settle(zipDownload);
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
        if (failure != null) {
            // A .mod its own line vouches for is answered whatever becomes of the zip (a client may need only
            // the module graph); a .mod nothing vouched for fails with the version.
            settle(modChecked);
            f.fail(failure);
        }
    }

    private CompletableFuture<byte[]> fetchMod(ModuleVersion mv) {
        return CompletableFuture.supplyAsync(
                () -> upstream.fetch(StorageLayout.path(mv, ".mod"), settings.maxModBytes()), executor);
    }

    private CompletableFuture<Long> downloadZip(ModuleVersion mv, Path tmp) {
        return CompletableFuture.supplyAsync(
                () -> upstream.download(StorageLayout.path(mv, ".zip"), tmp, settings.maxZipBytes()), executor);
    }

    /** Waits for {@code stage} (bounded by the upstream's and the verifier's own deadlines), whatever its outcome. */
    private static void settle(CompletableFuture<?> stage) {
        if (stage == null) {
            return;
        }
        try {
            stage.get();
        } catch (ExecutionException e) {
            // its failure is the version's failure, or the .mod's own, already given to its waiters
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
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
