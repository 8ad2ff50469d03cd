package dev.granary.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.catalog.ModuleCatalog.ModuleSummary;
import dev.granary.core.catalog.ModuleCatalog.Verification;
import dev.granary.core.catalog.ModuleCatalog.VersionDetails;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestCommits;
import dev.granary.storage.memory.MemoryBlobStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleCatalogTest {
    @TempDir
    Path tmp;

    @Test
    void indexFromStorageThenCommitsAndRemovalsDetailsWithVerificationStates() throws Exception {
        MemoryBlobStore store = new MemoryBlobStore();
        TestCommits commits = new TestCommits(store, tmp);
        GoProxyTree upstream = new GoProxyTree(tmp.resolve("upstream"));
        GoSum quote = commits.commit(upstream.addSimple("rsc.io/quote", "v1.5.2"));
        commits.commit(upstream.addSimple("rsc.io/quote", "v1.5.1"));
        commits.commit(upstream.addSimple("git.corp.example/Private/lib", "v0.3.0"));
        ModuleVersion priv = ModuleVersion.of("git.corp.example/Private/lib", "v0.3.0");
        store.put(StorageLayout.pin(priv), "x".getBytes(StandardCharsets.UTF_8));
        store.put(StorageLayout.sumdbLookup("sum.golang.org", quote.version()), "x".getBytes(StandardCharsets.UTF_8));
        // Not versions: a quarantined copy, an access record, a pin alone.
        store.put(
                StorageLayout.quarantine("s", StorageLayout.info(ModuleVersion.of("example.com/gone", "v1.0.0"))),
                new byte[1]);

        Instant requested = Instant.parse("2026-11-01T00:00:00Z");
        ModuleCatalog catalog = new ModuleCatalog(
                store,
                () -> List.of("sum.golang.org"),
                mv -> mv.path().value().equals("rsc.io/quote") && mv.version().equals("v1.5.1")
                        ? Optional.of("offline-2026-11.tar")
                        : Optional.empty(),
                mv -> Optional.of(requested));
        assertThat(catalog.ready()).isFalse();
        catalog.rebuild();
        assertThat(catalog.ready()).isTrue();
        assertThat(catalog.moduleCount()).isEqualTo(2);
        assertThat(catalog.versionCount()).isEqualTo(3);

        assertThat(catalog.search("quote", 10)).containsExactly(new ModuleSummary("rsc.io/quote", 2, "v1.5.2"));
        assertThat(catalog.search("PRIVATE lib", 10))
                .extracting(ModuleSummary::path)
                .containsExactly("git.corp.example/Private/lib");
        assertThat(catalog.search("", 1)).hasSize(1);
        assertThat(catalog.search("nothing-like-it", 10)).isEmpty();

        var details = catalog.module(ModulePath.parse("rsc.io/quote"), 10).orElseThrow();
        assertThat(details.versions()).extracting(VersionDetails::version).containsExactly("v1.5.2", "v1.5.1");
        VersionDetails v152 = details.versions().get(0);
        assertThat(v152.zipH1()).isEqualTo(quote.zipH1());
        assertThat(v152.modH1()).isEqualTo(quote.modH1());
        assertThat(v152.zipBytes()).isPositive();
        assertThat(v152.fetched()).isBefore(Instant.now().plusSeconds(1));
        assertThat(v152.lastRequested()).isEqualTo(requested);
        assertThat(v152.verification()).containsExactly(new Verification("checksum-database", "sum.golang.org"));
        assertThat(details.versions().get(1).verification())
                .containsExactly(new Verification("snapshot", "offline-2026-11.tar"));
        assertThat(catalog.module(ModulePath.parse("git.corp.example/Private/lib"), 10)
                        .orElseThrow()
                        .versions()
                        .get(0)
                        .verification())
                .extracting(Verification::kind)
                .containsExactly("pinned");
        assertThat(catalog.module(ModulePath.parse("rsc.io/quote"), 1)
                        .orElseThrow()
                        .truncated())
                .isTrue();
        assertThat(catalog.module(ModulePath.parse("example.com/gone"), 10)).isEmpty();

        // Commits and removals keep the index current without listing storage again.
        commits.committer().onCommit(catalog::added);
        commits.committer().onRemove(catalog::removed);
        commits.commit(upstream.addSimple("golang.org/x/text", "v0.3.0"));
        assertThat(catalog.search("x/text", 10)).hasSize(1);
        commits.committer().remove(quote.version(), mv -> true);
        commits.committer().remove(ModuleVersion.of("rsc.io/quote", "v1.5.1"), mv -> true);
        assertThat(catalog.search("quote", 10)).isEmpty();
        assertThat(catalog.module(ModulePath.parse("rsc.io/quote"), 10)).isEmpty();
    }
}
