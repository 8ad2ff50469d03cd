package dev.granary.core.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.testing.Eventually;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.core.verify.ExpectedSums;
import dev.granary.core.zip.Dirhash;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleServiceTest {
    private static final HttpUpstream.Settings FAST =
            new HttpUpstream.Settings(Duration.ofSeconds(5), Duration.ofSeconds(30), 1, Duration.ofMillis(10));

    @TempDir
    Path tmp;

    private GoProxyTree tree;
    private TestUpstream upstream;
    private BlobStore store;
    private SimpleMeterRegistry registry;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private ModuleService service;

    private final ModuleVersion quote = ModuleVersion.of("rsc.io/quote", "v1.5.2");

    @BeforeEach
    void setUp() throws IOException {
        tree = new GoProxyTree(tmp.resolve("upstream"))
                .addGoTestModules(
                        "rsc.io_quote_v1.5.2.txt",
                        "rsc.io_quote_v1.5.1.txt",
                        "rsc.io_sampler_v1.3.0.txt",
                        "rsc.io_quote_v0.0.0-20180709162918-a91498bed0a7.txt");
        upstream = TestUpstream.serve(tree.root());
        store = new MemoryBlobStore();
        registry = new SimpleMeterRegistry();
        service = service(upstream.uri().toString(), Duration.ofMinutes(1));
    }

    @AfterEach
    void tearDown() {
        upstream.close();
        executor.shutdownNow();
    }

    private ModuleService service(String upstreams, Duration listTtl) {
        return service(upstreams, settings().withListTtl(listTtl), ChecksumVerifier.NONE);
    }

    private FetchSettings settings() {
        return FetchSettings.defaults(tmp.resolve("fetch-tmp")).withFetchWait(Duration.ofMinutes(1));
    }

    private ModuleService service(String upstreams, FetchSettings s, ChecksumVerifier verifier) {
        return new ModuleService(
                store,
                UpstreamChain.parse(upstreams, HttpUpstream.newClient(FAST), FAST),
                s,
                verifier,
                registry,
                executor);
    }

    private static byte[] bytes(Artifact a) throws IOException {
        try (a) {
            return a.blob().readAllBytes();
        }
    }

    private List<BlobKey> storedKeysOf(ModuleVersion mv) throws IOException {
        List<BlobKey> out = new ArrayList<>();
        for (BlobKey k : store.list(null)) {
            if (k.name().startsWith(mv.escapedVersion() + ".") && k.value().startsWith(mv.escapedPath() + "/@v/")) {
                out.add(k);
            }
        }
        return out;
    }

    @Test
    void zipMissFetchesVerifiesAndCommitsAllThreeArtifacts() throws Exception {
        byte[] zip = bytes(service.zip(quote));

        assertThat(zip).isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".zip")));
        assertThat(store.exists(StorageLayout.info(quote))).isTrue();
        assertThat(store.exists(StorageLayout.mod(quote))).isTrue();
        assertThat(new String(store.get(StorageLayout.sum(quote)).orElseThrow().readAllBytes(), StandardCharsets.UTF_8))
                .startsWith("rsc.io/quote v1.5.2 h1:")
                .contains("rsc.io/quote v1.5.2/go.mod h1:");
        // The list is derived after the version exists (waiting requests are answered first): wait for it.
        Eventually.eventually(() -> {
            Optional<Blob> list = store.get(StorageLayout.list(quote.path()));
            assertThat(list).as("the stored @v/list").isPresent();
            try (Blob b = list.get()) {
                assertThat(new String(b.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("v1.5.2\n");
            }
        });
        // Served again from storage: no new upstream request.
        upstream.resetHits();
        assertThat(bytes(service.mod(quote)))
                .isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".mod")));
        assertThat(upstream.totalHits()).isZero();
    }

    @Test
    void hundredConcurrentRequestsForOneUncachedZipCauseOneUpstreamFetch() throws Exception {
        upstream.delay(100);
        List<Callable<byte[]>> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            calls.add(() -> bytes(service.zip(quote)));
        }
        List<Future<byte[]>> results = executor.invokeAll(calls);
        byte[] expected = Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".zip"));
        for (Future<byte[]> f : results) {
            assertThat(f.get()).isEqualTo(expected);
        }
        assertThat(upstream.hits("rsc.io/quote/@v/v1.5.2.zip")).isEqualTo(1);
        assertThat(upstream.hits("rsc.io/quote/@v/v1.5.2.info")).isEqualTo(1);
        assertThat(registry.counter("granary.singleflight.joins").count()).isGreaterThan(0);
    }

    @Test
    void aWaiterThatGivesUpDoesNotCancelTheFetchForOthers() throws Exception {
        upstream.delay(300);
        ModuleService impatient = service(
                upstream.uri().toString(), settings().withFetchWait(Duration.ofMillis(50)), ChecksumVerifier.NONE);

        assertThatThrownBy(() -> impatient.zip(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_TIMEOUT));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!impatient.isStored(quote) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(impatient.isStored(quote)).isTrue();
        upstream.delay(0);
        assertThat(bytes(impatient.zip(quote)))
                .isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".zip")));
        assertThat(upstream.hits("rsc.io/quote/@v/v1.5.2.zip")).isEqualTo(1);
    }

    @Test
    void truncatedUpstreamZipIsNotCommitted() throws IOException {
        upstream.truncate("rsc.io/quote/@v/v1.5.2.zip", 200);

        assertThatThrownBy(() -> service.zip(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        assertThat(storedKeysOf(quote)).isEmpty();
        assertThat(tmp.resolve("fetch-tmp")).isEmptyDirectory();
    }

    @Test
    void zipWithEntryOutsideTheModulePrefixIsRefusedAndNothingCached() throws IOException {
        upstream.override(
                "rsc.io/quote/@v/v1.5.2.zip",
                zipOf(
                        "rsc.io/quote@v1.5.2/go.mod",
                        "module rsc.io/quote\n",
                        "rsc.io/quote@v1.5.2/../../evil.go",
                        "package evil\n"));

        assertThatThrownBy(() -> service.zip(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED));
        assertThat(storedKeysOf(quote)).isEmpty();
    }

    @Test
    void modThatDiffersFromTheZipsGoModIsRefused() throws IOException {
        upstream.override(
                "rsc.io/quote/@v/v1.5.2.mod",
                "module rsc.io/quote\n\nrequire evil.example v6.6.6\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> service.mod(quote)).isInstanceOfSatisfying(ProxyException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED);
            assertThat(e.getMessage()).contains("rsc.io/quote@v1.5.2").contains("go.mod");
        });
        assertThat(storedKeysOf(quote)).isEmpty();
        assertThat(registry.counter("granary.verification.failures", "reason", "go-mod-mismatch")
                        .count())
                .isEqualTo(1);
    }

    @Test
    void infoNamingAnotherVersionIsRefused() throws IOException {
        upstream.override("rsc.io/quote/@v/v1.5.2.info", "{\"Version\":\"v1.5.1\"}".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> service.info(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        assertThat(storedKeysOf(quote)).isEmpty();
    }

    @Test
    void checksumVerifierRefusalLeavesNothingCached() throws IOException {
        ModuleService strict = service(upstream.uri().toString(), settings(), mv -> {
            throw new ProxyException(Kind.VERIFICATION_FAILED, mv + ": not in the checksum database");
        });

        assertThatThrownBy(() -> strict.zip(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED));
        assertThat(storedKeysOf(quote)).isEmpty();
    }

    /** A verifier that vouches for the given hashes of {@code quote}, whatever the upstream serves. */
    private ChecksumVerifier vouching(String zipH1, String modH1) {
        return mv -> Optional.of(ExpectedSums.fromDatabase(GoSum.of(mv, zipH1, modH1), "test.db"));
    }

    private String realZipH1() throws IOException {
        return Dirhash.hashZip(tree.file("rsc.io/quote", "v1.5.2", ".zip"));
    }

    private String realModH1() throws IOException {
        return Dirhash.hashGoMod(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".mod")));
    }

    @Test
    void infoIsAnsweredBeforeVerificationButATamperedZipNeverReachesAClientNorStorage() throws IOException {
        ModuleService strict = service(
                upstream.uri().toString(),
                settings(),
                vouching("h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", realModH1()));

        String actual = realZipH1();

        assertThat(new String(bytes(strict.info(quote)), StandardCharsets.UTF_8))
                .contains("\"Version\":\"v1.5.2\"");
        assertThatThrownBy(() -> strict.zip(quote)).isInstanceOfSatisfying(ProxyException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED);
            assertThat(e.getMessage()).contains("checksum mismatch", "test.db", actual);
        });
        assertThat(storedKeysOf(quote)).isEmpty();
        assertThat(registry.counter("granary.verification.failures", "reason", "checksum-mismatch")
                        .count())
                .isEqualTo(1);
    }

    @Test
    void modIsAnsweredOnceItsOwnLineVerifiedAndATamperedModNever() throws IOException {
        ModuleService strict = service(
                upstream.uri().toString(),
                settings(),
                vouching("h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", realModH1()));
        assertThat(bytes(strict.mod(quote))).isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".mod")));
        assertThat(storedKeysOf(quote)).isEmpty();

        ModuleVersion other = ModuleVersion.of("rsc.io/quote", "v1.5.1");
        upstream.override(
                "rsc.io/quote/@v/v1.5.1.mod",
                "module rsc.io/quote\n\nrequire evil.example v6.6.6\n".getBytes(StandardCharsets.UTF_8));
        ModuleService strict2 = service(upstream.uri().toString(), settings(), vouching(realZipH1(), realModH1()));
        assertThatThrownBy(() -> strict2.mod(other))
                .isInstanceOfSatisfying(
                        ProxyException.class,
                        e -> assertThat(e.getMessage()).contains("v1.5.1/go.mod: checksum mismatch"));
        assertThat(storedKeysOf(other)).isEmpty();
    }

    @Test
    void aTruncatedZipNeverReachesAClientNorStorageThoughItsInfoWasAnswered() throws IOException {
        upstream.truncate("rsc.io/quote/@v/v1.5.2.zip", 200);

        assertThat(new String(bytes(service.info(quote)), StandardCharsets.UTF_8))
                .contains("\"Version\":\"v1.5.2\"");
        assertThatThrownBy(() -> service.zip(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        // No checksum line vouches for the .mod: it is answered only with a whole, checked version.
        assertThatThrownBy(() -> service.mod(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        assertThat(storedKeysOf(quote)).isEmpty();
        assertThat(tmp.resolve("fetch-tmp")).isEmptyDirectory();
    }

    @Test
    void aTruncatedModNeverReachesAClientNorStorageThoughItsInfoWasAnswered() throws IOException {
        ModuleService strict = service(upstream.uri().toString(), settings(), vouching(realZipH1(), realModH1()));
        upstream.truncate("rsc.io/quote/@v/v1.5.2.mod", 10);

        assertThat(new String(bytes(strict.info(quote)), StandardCharsets.UTF_8))
                .contains("\"Version\":\"v1.5.2\"");
        assertThatThrownBy(() -> strict.mod(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        assertThatThrownBy(() -> strict.zip(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        assertThat(storedKeysOf(quote)).isEmpty();
        assertThat(tmp.resolve("fetch-tmp")).isEmptyDirectory();
    }

    @Test
    void withoutAChecksumLineTheModWaitsForTheWholeVersionsChecks() throws IOException {
        // The .mod itself is fine; the zip breaks the module zip rules, so nothing vouches for the version.
        upstream.override(
                "rsc.io/quote/@v/v1.5.2.zip",
                zipOf(
                        "rsc.io/quote@v1.5.2/go.mod",
                        "module rsc.io/quote\n",
                        "rsc.io/quote@v1.5.2/../../evil.go",
                        "package evil\n"));

        assertThatThrownBy(() -> service.mod(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED));
        assertThat(storedKeysOf(quote)).isEmpty();
    }

    @Test
    void aModItsLineVouchesForIsAnsweredWhateverBecomesOfTheZip() throws IOException {
        ModuleService strict = service(upstream.uri().toString(), settings(), vouching(realZipH1(), realModH1()));
        upstream.status("rsc.io/quote/@v/v1.5.2.zip", 404);

        // A client that needs only the module graph gets the verified .mod; the zip is not there.
        assertThat(bytes(strict.mod(quote))).isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".mod")));
        assertThatThrownBy(() -> strict.zip(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        assertThat(storedKeysOf(quote)).isEmpty();
        assertThat(tmp.resolve("fetch-tmp")).isEmptyDirectory();
    }

    @Test
    void aVersionThatFailedAfterItsInfoWasAnsweredKeepsAnsweringAsItDid() throws Exception {
        ModuleService strict = service(
                upstream.uri().toString(),
                settings().withFailureTtl(Duration.ofMinutes(5)),
                vouching("h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", realModH1()));
        byte[] info = bytes(strict.info(quote));
        assertThatThrownBy(() -> strict.zip(quote))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.VERIFICATION_FAILED));

        // While the failure is remembered (once the fetch is over, as soon as after it): the .info and the verified
        // .mod answer as before, the zip fails as before.
        for (int i = 0; i < 20; i++) {
            Thread.sleep(10);
            assertThat(bytes(strict.info(quote))).isEqualTo(info);
            assertThat(bytes(strict.mod(quote)))
                    .isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".mod")));
            assertThatThrownBy(() -> strict.zip(quote))
                    .isInstanceOfSatisfying(
                            ProxyException.class,
                            e -> assertThat(e.getMessage()).contains("checksum mismatch"));
        }
        assertThat(upstream.hits("rsc.io/quote/@v/v1.5.2.info")).isEqualTo(1);
        assertThat(upstream.hits("rsc.io/quote/@v/v1.5.2.zip")).isEqualTo(1);
        assertThat(registry.counter("granary.verification.failures", "reason", "checksum-mismatch")
                        .count())
                .isEqualTo(1);
        assertThat(storedKeysOf(quote)).isEmpty();
    }

    @Test
    void hundredConcurrentColdRequestsOfEveryKindCauseOneUpstreamFetchOfEachFile() throws Exception {
        ModuleService strict = service(upstream.uri().toString(), settings(), vouching(realZipH1(), realModH1()));
        upstream.delay(50);
        List<Callable<byte[]>> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            calls.add(
                    switch (i % 3) {
                        case 0 -> () -> bytes(strict.info(quote));
                        case 1 -> () -> bytes(strict.mod(quote));
                        default -> () -> bytes(strict.zip(quote));
                    });
        }
        List<Future<byte[]>> results = executor.invokeAll(calls);
        for (int i = 0; i < results.size(); i++) {
            String ext = switch (i % 3) {
                case 0 -> ".info";
                case 1 -> ".mod";
                default -> ".zip";
            };
            assertThat(results.get(i).get()).isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ext)));
        }
        for (String ext : List.of(".info", ".mod", ".zip")) {
            assertThat(upstream.hits("rsc.io/quote/@v/v1.5.2" + ext)).as(ext).isEqualTo(1);
        }
        assertThat(strict.isStored(quote)).isTrue();
    }

    @Test
    void anInfoProbeOfAMissingVersionAsksTheUpstreamAndTheDatabaseForNothingElse() {
        AtomicInteger lookups = new AtomicInteger();
        ModuleService strict = service(upstream.uri().toString(), settings(), mv -> {
            lookups.incrementAndGet();
            return Optional.empty();
        });
        ModuleVersion missing = ModuleVersion.of("rsc.io/quote/v9", "v9.0.0");

        assertThatThrownBy(() -> strict.info(missing))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        assertThat(upstream.hits("rsc.io/quote/v9/@v/v9.0.0.mod")).isZero();
        assertThat(upstream.hits("rsc.io/quote/v9/@v/v9.0.0.zip")).isZero();
        assertThat(lookups).hasValue(0);
    }

    @Test
    void aModRequestForAMissingVersionLeavesNothingBehind() throws IOException {
        AtomicInteger lookups = new AtomicInteger();
        ModuleService strict = service(upstream.uri().toString(), settings(), mv -> {
            lookups.incrementAndGet();
            return Optional.empty();
        });
        ModuleVersion missing = ModuleVersion.of("rsc.io/quote/v9", "v9.0.0");

        assertThatThrownBy(() -> strict.mod(missing))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        // Its files were asked for alongside the .info, but the database is asked only once the .info exists.
        assertThat(lookups).hasValue(0);
        assertThat(storedKeysOf(missing)).isEmpty();
        assertThat(tmp.resolve("fetch-tmp")).isEmptyDirectory();
    }

    @Test
    void aBurstOfRequestsForAFailingVersionCostsOneUpstreamFetch() {
        upstream.status("rsc.io/quote/@v/v1.5.2.info", 503);

        for (int i = 0; i < 20; i++) {
            assertThatThrownBy(() -> service.info(quote))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED));
        }
        // One fetch: its first attempt plus the upstream client's one retry.
        assertThat(upstream.hits("rsc.io/quote/@v/v1.5.2.info")).isEqualTo(2);
    }

    @Test
    void listHasTaggedVersionsOnlySortedBySemver() throws IOException {
        String list = new String(bytes(service.list(ModulePath.parse("rsc.io/quote"))), StandardCharsets.UTF_8);
        assertThat(list).isEqualTo("v1.5.1\nv1.5.2\n");
    }

    @Test
    void aCommittedVersionAppearsInTheListAtOnceDespiteTheListTtl() throws IOException {
        upstream.override("rsc.io/quote/@v/list", "v1.5.2\n".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(bytes(service.list(quote.path())), StandardCharsets.UTF_8))
                .isEqualTo("v1.5.2\n");

        bytes(service.zip(ModuleVersion.of("rsc.io/quote", "v1.5.1")));

        assertThat(new String(bytes(service.list(quote.path())), StandardCharsets.UTF_8))
                .isEqualTo("v1.5.1\nv1.5.2\n");
        assertThat(upstream.hits("rsc.io/quote/@v/list")).isEqualTo(1);
    }

    @Test
    void listIsServedFromStorageWhenTheUpstreamIsGone() throws IOException {
        bytes(service.zip(quote));
        upstream.close();
        ModuleService offline = service(upstream.uri().toString(), Duration.ZERO);

        String list = new String(bytes(offline.list(quote.path())), StandardCharsets.UTF_8);
        assertThat(list).isEqualTo("v1.5.2\n");
    }

    @Test
    void listIsServedStaleWhenTheUpstreamFails() throws IOException {
        ModuleService shortTtl = service(upstream.uri().toString(), Duration.ZERO);
        String first = new String(bytes(shortTtl.list(quote.path())), StandardCharsets.UTF_8);
        upstream.status("rsc.io/quote/@v/list", 503);

        String second = new String(bytes(shortTtl.list(quote.path())), StandardCharsets.UTF_8);
        assertThat(second).isEqualTo(first).isEqualTo("v1.5.1\nv1.5.2\n");
        assertThat(upstream.hits("rsc.io/quote/@v/list")).isGreaterThan(1);
    }

    @Test
    void latestIsComputedFromStorageWhenOffline() throws IOException {
        bytes(service.zip(ModuleVersion.of("rsc.io/quote", "v1.5.1")));
        bytes(service.zip(ModuleVersion.of("rsc.io/quote", "v0.0.0-20180709162918-a91498bed0a7")));
        ModuleService offline = service("off", Duration.ZERO);

        String latest = new String(bytes(offline.latest(quote.path())), StandardCharsets.UTF_8);
        assertThat(latest).contains("\"Version\":\"v1.5.1\"");
    }

    @Test
    void latestFallsBackToPseudoVersionWhenNoTagIsStored() throws IOException {
        ModuleVersion pseudo = ModuleVersion.of("rsc.io/quote", "v0.0.0-20180709162918-a91498bed0a7");
        bytes(service.zip(pseudo));
        ModuleService offline = service("off", Duration.ZERO);

        assertThat(new String(bytes(offline.latest(quote.path())), StandardCharsets.UTF_8))
                .contains(pseudo.version());
    }

    @Test
    void latestFromAFileTreeWithoutLatestUsesTheList() throws IOException {
        ModuleService fromFiles = service(tree.root().toUri().toString(), Duration.ZERO);

        assertThat(new String(bytes(fromFiles.latest(quote.path())), StandardCharsets.UTF_8))
                .contains("\"Version\":\"v1.5.2\"");
    }

    @Test
    void notFoundIsRememberedBriefly() {
        ModulePath missing = ModulePath.parse("example.com/missing");
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> service.list(missing))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        }
        assertThat(upstream.hits("example.com/missing/@v/list")).isEqualTo(1);
    }

    @Test
    void queryResolvesUpstreamThenServesTheCanonicalVersion() throws IOException {
        Files.write(
                tree.versionsDir("rsc.io/quote").resolve("master.info"),
                "{\"Version\":\"v1.5.2\"}".getBytes(StandardCharsets.UTF_8));

        try (Artifact a = service.query(quote.path(), "master")) {
            assertThat(a.immutable()).isFalse();
            assertThat(new String(a.blob().readAllBytes(), StandardCharsets.UTF_8))
                    .contains("\"Version\":\"v1.5.2\"");
        }
        // The .info is answered early; the version is committed once its zip passed.
        service.ensureVersion(quote);
        assertThat(service.isStored(quote)).isTrue();
    }

    @Test
    void upstreamServerErrorIsAnUpstreamFailureNotANotFound() {
        upstream.status("rsc.io/quote/@v/v1.5.2.info", 500);

        assertThatThrownBy(() -> service.info(quote)).isInstanceOfSatisfying(ProxyException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED);
            assertThat(e.getMessage()).contains("500");
        });
    }

    static byte[] zipOf(String... namesAndBodies) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (int i = 0; i < namesAndBodies.length; i += 2) {
                z.putNextEntry(new ZipEntry(namesAndBodies[i]));
                z.write(namesAndBodies[i + 1].getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }
}
