package dev.granary.core.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.core.upstream.HttpUpstream;
import dev.granary.core.upstream.UpstreamChain;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.core.zip.Dirhash;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A version committed with its go.mod alone (a snapshot carried only its go.sum {@code /go.mod} line):
 * its .info and .mod are served; its zip is fetched whole when an upstream has it, and offline it is a
 * not-found that says why.
 */
class GoModOnlyVersionTest {
    @TempDir
    Path tmp;

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    @Test
    void itsZipIsFetchedWhenAskedForOnlineAndIsANamedNotFoundOffline() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream")).addGoTestModules("rsc.io_quote_v1.5.2.txt");
        ModuleVersion quote = ModuleVersion.of("rsc.io/quote", "v1.5.2");
        byte[] mod = Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".mod"));
        byte[] info = Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".info"));
        MemoryBlobStore store = new MemoryBlobStore();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        VersionCommitter committer = new VersionCommitter(store, new ModuleIndex(store), registry);
        committer.commit(new VerifiedVersion(quote, info, mod, null, GoSum.of(quote, null, Dirhash.hashGoMod(mod))));
        assertThat(store.exists(StorageLayout.zip(quote))).isFalse();

        FetchSettings settings = FetchSettings.defaults(tmp.resolve("temp"));
        ModuleService offline = new ModuleService(
                store, UpstreamChain.parse("off", null, null), settings, ChecksumVerifier.NONE, registry, executor);
        try (Artifact m = offline.mod(quote);
                Artifact i = offline.info(quote)) {
            assertThat(m.blob().readAllBytes()).isEqualTo(mod);
            assertThat(i.blob().readAllBytes()).isEqualTo(info);
        }
        assertThatThrownBy(() -> offline.zip(quote))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("only its go.mod is stored here")
                .matches(e -> ((ProxyException) e).isNotFound());

        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            HttpUpstream.Settings fast =
                    new HttpUpstream.Settings(Duration.ofSeconds(5), Duration.ofSeconds(30), 1, Duration.ofMillis(10));
            ModuleService online = new ModuleService(
                    store,
                    UpstreamChain.parse(upstream.uri().toString(), HttpUpstream.newClient(fast), fast),
                    settings,
                    ChecksumVerifier.NONE,
                    registry,
                    executor);
            try (Artifact zip = online.zip(quote)) {
                assertThat(zip.blob().readAllBytes())
                        .isEqualTo(Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".zip")));
            }
            assertThat(store.exists(StorageLayout.zip(quote))).isTrue();
            assertThat(online.goSum(quote).orElseThrow().zipH1())
                    .as("the .sum now has the zip's line")
                    .isNotNull();
        }
    }
}
