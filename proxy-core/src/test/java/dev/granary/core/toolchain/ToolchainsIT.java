package dev.granary.core.toolchain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.fetch.FetchSettings;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoPlatform;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.sumdb.SumdbDatabases;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.core.sumdb.SumdbStorage;
import dev.granary.core.sumdb.SumdbVerifier;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.TestUpstream;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.core.verify.RefusedException;
import dev.granary.storage.BlobStore;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Toolchain modules through the module service, verified against a real checksum database: the
 * existence check (the linux-amd64 {@code .info}, asked for on every platform) is answered without
 * fetching the zip, recorded, and answered offline; GONOSUMDB-style patterns never exempt toolchains;
 * prefetch resolves {@code 1.19.x} and records the linux-amd64 {@code .info} beside the zips asked for.
 * The toolchain zips here are small stand-ins (the go command's switch to a real one is ToolchainSwitchIT).
 */
class ToolchainsIT {
    private static final HttpUpstream.Settings FAST =
            new HttpUpstream.Settings(Duration.ofSeconds(5), Duration.ofSeconds(30), 0, Duration.ofMillis(10));

    @TempDir
    Path tmp;

    private Path tree;
    private TestSumdb db;
    private TestUpstream upstream;
    private BlobStore store;
    private SimpleMeterRegistry registry;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpUpstream.newClient(FAST);

    private static final ModuleVersion LINUX_8 = Toolchains.moduleVersion("1.19.8", GoPlatform.LINUX_AMD64);
    private static final ModuleVersion LINUX_9 = Toolchains.moduleVersion("1.19.9", GoPlatform.LINUX_AMD64);
    private static final ModuleVersion DARWIN_9 = Toolchains.moduleVersion("1.19.9", GoPlatform.parse("darwin/arm64"));

    @BeforeEach
    void setUp() throws Exception {
        tree = tmp.resolve("upstream");
        for (ModuleVersion mv :
                List.of(LINUX_8, LINUX_9, DARWIN_9, Toolchains.moduleVersion("1.20rc1", GoPlatform.LINUX_AMD64))) {
            // A stand-in toolchain: the layout the go command expects, with text for binaries.
            TestSumdb.writeModule(
                    tree,
                    mv.path().value(),
                    mv.version(),
                    Map.of(
                            "go.mod",
                            "module golang.org/toolchain\n",
                            "bin/go",
                            "go " + mv.version() + "\n",
                            "pkg/tool/"
                                    + Toolchains.parse(mv.version())
                                            .orElseThrow()
                                            .platform()
                                            .dashed()
                                            .replace('-', '_') + "/compile",
                            "compile\n",
                            "lib/time/README",
                            "time zones\n"));
        }
        db = TestSumdb.start(tree);
        upstream = TestUpstream.serve(tree);
        store = new MemoryBlobStore();
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void tearDown() {
        upstream.close();
        db.close();
        executor.shutdownNow();
    }

    private ModuleService service(String upstreams, String noSumdb) {
        UpstreamChain chain = UpstreamChain.parse(upstreams, client, FAST);
        SumdbDatabases dbs = SumdbDatabases.create(
                List.of(SumdbSpec.parse(db.verifierKey() + " " + db.url())),
                chain,
                uri -> new HttpUpstream(uri, client, FAST),
                new SumdbStorage(store),
                registry);
        FetchSettings settings = FetchSettings.defaults(tmp.resolve("temp"))
                .withFailureTtl(Duration.ZERO)
                .withNotFoundTtl(Duration.ZERO);
        return new ModuleService(store, chain, settings, new SumdbVerifier(dbs, noSumdb, registry), registry, executor);
    }

    private static String text(Artifact a) throws Exception {
        try (a) {
            return new String(a.blob().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theExistenceCheckIsAnsweredWithoutTheZipAndThenOffline() throws Exception {
        ModuleService modules = service(upstream.uri().toString(), "");
        String info = text(modules.info(LINUX_9));
        assertThat(info).contains("\"Version\":\"" + LINUX_9.version() + "\"");
        assertThat(upstream.hits(StorageLayout.path(LINUX_9, ".zip"))).isZero();
        assertThat(upstream.hits(StorageLayout.path(LINUX_9, ".mod"))).isZero();
        assertThat(modules.isStored(LINUX_9)).isFalse();
        assertThat(store.exists(StorageLayout.toolchainInfo(LINUX_9))).isTrue();
        // The checksum database was asked, and its answer kept: it proves the version exists.
        assertThat(store.exists(StorageLayout.sumdbLookup(db.name(), LINUX_9))).isTrue();

        text(modules.info(LINUX_9));
        assertThat(upstream.hits(StorageLayout.path(LINUX_9, ".info"))).isEqualTo(1);

        upstream.close();
        ModuleService offline = service("off", "");
        assertThat(text(offline.info(LINUX_9))).isEqualTo(info);
        assertThat(offline.recordedToolchainInfo(LINUX_9)).isPresent();
    }

    @Test
    void aZipRequestStillFetchesAndVerifiesTheWholeVersion() throws Exception {
        ModuleService modules = service(upstream.uri().toString(), "");
        text(modules.info(DARWIN_9));
        modules.zip(DARWIN_9).close();
        assertThat(modules.isStored(DARWIN_9)).isTrue();
        assertThat(modules.goSum(DARWIN_9)).isPresent();
        // Committed, the version answers its own .info.
        assertThat(text(modules.info(DARWIN_9))).contains(DARWIN_9.version());
    }

    @Test
    void aToolchainTheChecksumDatabaseDoesNotListIsRefusedAndNotRecorded() throws Exception {
        ModuleVersion unknown = Toolchains.moduleVersion("1.19.99", GoPlatform.LINUX_AMD64);
        upstream.override(
                StorageLayout.path(unknown, ".info"),
                ("{\"Version\":\"" + unknown.version() + "\",\"Time\":\"2024-01-01T00:00:00Z\"}")
                        .getBytes(StandardCharsets.UTF_8));
        ModuleService modules = service(upstream.uri().toString(), "");
        assertThatThrownBy(() -> modules.info(unknown))
                .isInstanceOfSatisfying(
                        RefusedException.class, e -> assertThat(e.reason()).isEqualTo("not-in-sumdb"));
        assertThat(store.exists(StorageLayout.toolchainInfo(unknown))).isFalse();
        assertThat(registry.counter("granary.verification.failures", "reason", "not-in-sumdb")
                        .count())
                .isEqualTo(1);
    }

    @Test
    void privatePatternsNeverExemptToolchainsFromTheChecksumDatabase() throws Exception {
        ModuleService modules = service(upstream.uri().toString(), "golang.org");
        modules.zip(LINUX_8).close();
        assertThat(store.exists(StorageLayout.sumdbLookup(db.name(), LINUX_8))).isTrue();
        assertThat(store.exists(StorageLayout.pin(LINUX_8))).isFalse();
    }

    @Test
    void prefetchResolvesVersionsCommitsTheZipsAndRecordsTheLinuxAmd64Info() throws Exception {
        ModuleService modules = service(upstream.uri().toString(), "");
        Toolchains toolchains = new Toolchains(modules);
        assertThat(toolchains.listed())
                .extracting(Toolchains.Toolchain::goVersion)
                .contains("1.19.8", "1.19.9", "1.20rc1");

        Toolchains.Selection s =
                toolchains.select(List.of("1.19.x", "go1.19.8", "1.18.x"), List.of(GoPlatform.parse("darwin/arm64")));
        assertThat(s.goVersions()).containsExactly("1.19.9", "1.19.8");
        assertThat(s.zips())
                .containsExactly(DARWIN_9, Toolchains.moduleVersion("1.19.8", GoPlatform.parse("darwin/arm64")));
        assertThat(s.infos()).containsExactly(LINUX_9, LINUX_8);
        assertThat(s.problems()).containsExactly("no toolchain matches 1.18.x");

        List<Toolchains.Outcome> outcomes = toolchains.prefetch(s);
        assertThat(outcomes)
                .filteredOn(o -> o.failure().isEmpty())
                .extracting(Toolchains.Outcome::version)
                .containsExactly(LINUX_9, LINUX_8, DARWIN_9);
        // There is no darwin build of 1.19.8 upstream.
        assertThat(outcomes)
                .filteredOn(o -> o.failure().isPresent())
                .singleElement()
                .satisfies(o -> assertThat(o.version().version()).isEqualTo("v0.0.1-go1.19.8.darwin-arm64"));
        assertThat(modules.isStored(DARWIN_9)).isTrue();
        assertThat(modules.isStored(LINUX_9)).isFalse();
        assertThat(modules.recordedToolchainInfo(LINUX_9)).isPresent();
        assertThat(upstream.hits(StorageLayout.path(LINUX_9, ".zip"))).isZero();
        assertThat(toolchains.keys(s))
                .extracting(k -> k.value())
                .containsExactly(
                        "golang.org/toolchain/@v/v0.0.1-go1.19.9.darwin-arm64.zip",
                                "golang.org/toolchain/@v/v0.0.1-go1.19.9.darwin-arm64.mod",
                        "golang.org/toolchain/@v/v0.0.1-go1.19.9.darwin-arm64.sum",
                                "golang.org/toolchain/@v/v0.0.1-go1.19.9.darwin-arm64.info",
                        "toolchains/v0.0.1-go1.19.9.linux-amd64.info", "toolchains/v0.0.1-go1.19.8.linux-amd64.info");
    }

    @Test
    void anImportedExistenceRecordIsCheckedByTheVerifierGiven() throws Exception {
        ModuleService modules = service("off", "");
        byte[] info = ("{\"Version\":\"" + LINUX_8.version() + "\",\"Time\":\"2023-04-04T17:30:31Z\"}\n")
                .getBytes(StandardCharsets.UTF_8);
        ChecksumVerifier unknown = mv -> {
            throw new RefusedException("not-in-sumdb", mv + ": not in the snapshot's checksum proofs");
        };
        assertThatThrownBy(() -> modules.recordToolchainInfo(LINUX_8, info, unknown))
                .isInstanceOf(RefusedException.class);
        assertThatThrownBy(() -> modules.recordToolchainInfo(LINUX_9, info, ChecksumVerifier.NONE))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("names version " + LINUX_8.version());
        assertThat(modules.recordedToolchainInfo(LINUX_8)).isEmpty();
        assertThat(modules.recordedToolchainInfo(LINUX_9)).isEmpty();

        ModuleService online = service(upstream.uri().toString(), "");
        SumdbDatabases dbs = SumdbDatabases.create(
                List.of(SumdbSpec.parse(db.verifierKey() + " " + db.url())),
                UpstreamChain.parse("off", client, FAST),
                uri -> new HttpUpstream(uri, client, FAST),
                new SumdbStorage(new MemoryBlobStore()),
                registry);
        modules.recordToolchainInfo(LINUX_8, info, new SumdbVerifier(dbs, "", registry));
        assertThat(modules.recordedToolchainInfo(LINUX_8)).contains(info);
        assertThat(new String(online.info(LINUX_8).blob().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(new String(info, StandardCharsets.UTF_8));
        assertThat(upstream.hits(StorageLayout.path(LINUX_8, ".info"))).isZero();
    }

    @Test
    void toolchainVersionsParseBackAndForth() {
        assertThat(Toolchains.parse("v0.0.1-go1.26.3.linux-amd64"))
                .hasValue(new Toolchains.Toolchain("1.26.3", GoPlatform.LINUX_AMD64));
        assertThat(Toolchains.parse("v0.0.1-go1.21rc2.windows-arm64"))
                .hasValue(new Toolchains.Toolchain("1.21rc2", new GoPlatform("windows", "arm64")));
        assertThat(Toolchains.parse("v0.0.1-go1.26.3.linux")).isEmpty();
        assertThat(Toolchains.parse("v1.0.0")).isEmpty();
        assertThat(Toolchains.moduleVersion("go1.26.3", GoPlatform.parse("linux/arm64"))
                        .version())
                .isEqualTo("v0.0.1-go1.26.3.linux-arm64");
    }
}
