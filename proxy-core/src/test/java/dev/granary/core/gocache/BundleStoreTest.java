package dev.granary.core.gocache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.layout.StorageLayout;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleStoreTest {
    @TempDir
    Path tmp;

    private final MemoryBlobStore store = new MemoryBlobStore();
    private final BundleStore bundles = new BundleStore(store, new SimpleMeterRegistry());

    private Path bundle(String goVersion, long seed) throws Exception {
        Path cache = tmp.resolve("cache-" + seed);
        CacheDirs.fill(cache, 5, 2000, seed);
        Path file = tmp.resolve("bundle-" + seed + ".tar.zst");
        try (OutputStream out = Files.newOutputStream(file)) {
            BundleWriter.write(
                    cache,
                    BundleWriter.scan(cache, Progress.NONE),
                    new BundleWriter.Draft(
                            "example.com/app",
                            CacheDirs.inputs(goVersion, true),
                            CacheDirs.id("sum"),
                            List.of(),
                            3,
                            "test"),
                    out,
                    Progress.NONE);
        }
        return file;
    }

    @Test
    void aCheckedBundleIsStoredUnderItsIdentityAndListed() throws Exception {
        BundleManifest m = bundles.publish(bundle("go1.26.8", 1), null);
        assertThat(store.exists(StorageLayout.gocacheBundle(m.id()))).isTrue();
        assertThat(bundles.index().bundles()).singleElement().satisfies(e -> {
            assertThat(e.id()).isEqualTo(m.id());
            assertThat(e.goVersion()).isEqualTo("go1.26.8");
            assertThat(e.trimpath()).isTrue();
            assertThat(e.files()).isEqualTo(10);
            assertThat(e.signed()).isFalse();
        });
        BundleManifest other = bundles.publish(bundle("go1.19.8", 2), null);
        assertThat(bundles.index().bundles())
                .extracting(BundleStore.IndexEntry::id)
                .containsExactlyInAnyOrder(m.id(), other.id());
    }

    @Test
    void aBundleNamedWronglyOrDamagedIsRefusedAndNothingChanges() throws Exception {
        Path good = bundle("go1.26.8", 1);
        assertThatThrownBy(() -> bundles.publish(good, "0123456789abcdef0123456789abcdef"))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("identity");
        byte[] b = Files.readAllBytes(good);
        b[b.length - 40] ^= 0x55;
        Path bad = Files.write(tmp.resolve("bad.tar.zst"), b);
        assertThatThrownBy(() -> bundles.publish(bad, null)).isInstanceOf(BundleException.class);
        assertThat(store.list(null)).isEmpty();
    }

    @Test
    void aSignatureGoesWithItsBundleAndARepublishDropsIt() throws Exception {
        Path file = bundle("go1.26.8", 1);
        BundleManifest m = bundles.publish(file, null);
        Path sig = Files.writeString(
                tmp.resolve("b.asc"), "-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n");
        assertThat(bundles.publishSignature(m.id(), sig)).isTrue();
        assertThat(bundles.index().bundles().get(0).signed()).isTrue();
        assertThat(bundles.publishSignature("0123456789abcdef0123456789abcdef", sig))
                .isFalse();
        assertThatThrownBy(() -> bundles.publishSignature(m.id(), Files.writeString(tmp.resolve("n"), "hello")))
                .isInstanceOf(IllegalArgumentException.class);
        bundles.publish(file, m.id());
        assertThat(bundles.signature(m.id())).isEmpty();
        assertThat(bundles.index().bundles().get(0).signed()).isFalse();
    }
}
