package dev.granary.core.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StorageLayoutTest {
    private static final ModuleVersion AZURE = ModuleVersion.of("github.com/Azure/go-autorest", "v14.2.0+incompatible");

    @ParameterizedTest
    @CsvSource({
        "github.com/!azure/go-autorest/@v/v14.2.0+incompatible.info, INFO, true",
        "github.com/!azure/go-autorest/@v/v14.2.0+incompatible.mod,  MOD,  true",
        "github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip,  ZIP,  true",
        "github.com/!azure/go-autorest/@v/v14.2.0+incompatible.sum,  SUM,  true",
        "github.com/!azure/go-autorest/@v/list,                      LIST, false",
        "pins/git.corp.example/lib/@v/v1.0.0.sum,                    PIN,  true",
        "leases/rsc.io/quote/@v/v1.5.2,                              LEASE, false",
        "sumdb/sum.golang.org/supported,                             SUMDB_SUPPORTED, true",
        "sumdb/sum.golang.org/latest,                                SUMDB_LATEST, false",
        "sumdb/sum.golang.org/lookup/rsc.io/quote@v1.5.2,            SUMDB_LOOKUP, true",
        "sumdb/sum.golang.org/tile/8/0/x001/234.p/5,                 SUMDB_TILE, true",
        "sumdb/localhost.localdev/sumdb/latest,                      SUMDB_LATEST, false",
        "sumdb/localhost.localdev/sumdb/tile/8/1/000,                SUMDB_TILE, true",
        "snapshots/0f3a/MANIFEST.json,                                SNAPSHOT, true",
        "snapshots/0f3a/SHA256SUMS.asc,                               SNAPSHOT, true",
        "snapshots/0f3a/journal,                                      SNAPSHOT_JOURNAL, false",
        "leases/snapshot-import,                                      LEASE, false",
        "gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst,     GOCACHE_BUNDLE, false",
        "gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst.asc, GOCACHE_BUNDLE_SIGNATURE, false",
        "gocache/bundles/index.json,                                 GOCACHE_BUNDLE_INDEX, false",
        "gocache/actions/b1/b10ba8fd3c82138daebff97b0892b02d56fcca9d2d0769075044ab60453ffb37, GOCACHE_ACTION, false",
        "gocache/outputs/90/901a115bbb89bb5c3042c15bebc8ae38a3ab053486a8bface4a3aff532db432a, GOCACHE_OUTPUT, true",
        "gocache/outputs/00/901a115bbb89bb5c3042c15bebc8ae38a3ab053486a8bface4a3aff532db432a, OTHER, false",
        "gocache/bundles/notanid.tar.zst,                            OTHER, false",
        "toolchains/v0.0.1-go1.26.3.linux-amd64.info,               TOOLCHAIN_INFO, true",
        "toolchains/x/v0.0.1-go1.26.3.linux-amd64.info,             OTHER, false",
        "dl/go1.26.3.linux-amd64.tar.gz,                            DL_ARCHIVE, true",
        "dl/go1.26.3.src.tar.gz,                                    DL_ARCHIVE, true",
        "dl/go1.26.3.windows-amd64.msi.asc,                         DL_SIGNATURE, true",
        "dl/go1.26.3.windows-amd64.msi.sha256,                      DL_SHA256, true",
        "dl/listing.json,                                           DL_LISTING, false",
        "dl/listing-all.json,                                       DL_LISTING, false",
        "dl/signing-key.asc,                                        DL_SIGNING_KEY, false",
        "dl/sub/go1.26.3.src.tar.gz,                                OTHER, false",
        "example.com/readme.txt,                                     OTHER, false",
        "access/rsc.io/quote/@v/v1.5.2,                              ACCESS, false",
        "access/readme.txt,                                          OTHER, false",
        "quarantine/20261127T101500Z/rsc.io/quote/@v/v1.5.2.zip,     QUARANTINE, false",
        "quarantine/20261127T101500Z/sumdb/sum.golang.org/tile/8/0/000, QUARANTINE, false",
    })
    void everyKeyHasAKindAndAMutability(String key, KeyKind kind, boolean immutable) {
        assertThat(StorageLayout.kindOf(BlobKey.of(key))).isEqualTo(kind);
        assertThat(StorageLayout.isImmutable(BlobKey.of(key))).isEqualTo(immutable);
    }

    @ParameterizedTest
    @CsvSource({
        "INFO,  github.com/!azure/go-autorest/@v/v14.2.0+incompatible.info",
        "MOD,   github.com/!azure/go-autorest/@v/v14.2.0+incompatible.mod",
        "ZIP,   github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip",
        "SUM,   github.com/!azure/go-autorest/@v/v14.2.0+incompatible.sum",
        "PIN,   pins/github.com/!azure/go-autorest/@v/v14.2.0+incompatible.sum",
        "LEASE, leases/github.com/!azure/go-autorest/@v/v14.2.0+incompatible",
        "SUMDB_LOOKUP, sumdb/sum.golang.org/lookup/github.com/!azure/go-autorest@v14.2.0+incompatible",
    })
    void keysOfAVersionAreItsEscapedProxyPathsAndClassifyBack(KeyKind kind, String expected) {
        BlobKey key = switch (kind) {
            case INFO -> StorageLayout.info(AZURE);
            case MOD -> StorageLayout.mod(AZURE);
            case ZIP -> StorageLayout.zip(AZURE);
            case SUM -> StorageLayout.sum(AZURE);
            case PIN -> StorageLayout.pin(AZURE);
            case LEASE -> StorageLayout.lease(AZURE);
            case SUMDB_LOOKUP -> StorageLayout.sumdbLookup("sum.golang.org", AZURE);
            default -> throw new IllegalArgumentException(kind.name());
        };
        assertThat(key.value()).isEqualTo(expected);
        assertThat(StorageLayout.kindOf(key)).isEqualTo(kind);
    }

    @Test
    void snapshotRecordsJournalsAndTheImportLockHaveTheirOwnKeys() {
        String id = "ab".repeat(32);
        assertThat(StorageLayout.snapshotFile(id, "MANIFEST.json").value())
                .isEqualTo("snapshots/" + id + "/MANIFEST.json");
        assertThat(StorageLayout.kindOf(StorageLayout.snapshotFile(id, "MANIFEST.json")))
                .isEqualTo(KeyKind.SNAPSHOT);
        assertThat(StorageLayout.snapshotJournal(id).value()).isEqualTo("snapshots/" + id + "/journal");
        assertThat(StorageLayout.kindOf(StorageLayout.snapshotJournal(id))).isEqualTo(KeyKind.SNAPSHOT_JOURNAL);
        assertThat(StorageLayout.snapshotFile(id, "MANIFEST.json").isUnder(StorageLayout.snapshotsDir()))
                .isTrue();
        // The lock is a lease: mutable, never behind a cache, and no module's lease key can equal it.
        assertThat(StorageLayout.kindOf(StorageLayout.snapshotImportLock())).isEqualTo(KeyKind.LEASE);
        assertThat(StorageLayout.snapshotImportLock().value()).doesNotContain("/@v/");
        // What an import stages in place of a replaced file is the import's own, not the file's kind.
        BlobKey staged =
                StorageLayout.snapshotStaged(id, StorageLayout.gocacheBundle("0123456789abcdef0123456789abcdef"));
        assertThat(staged.value())
                .isEqualTo("snapshots/" + id + "/staged/gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst");
        assertThat(StorageLayout.kindOf(staged)).isEqualTo(KeyKind.SNAPSHOT);
        assertThat(staged.isUnder(StorageLayout.snapshotsDir())).isTrue();
    }

    @Test
    void buildCacheKeysAreDerivedFromTheirIdsAndClassifyBack() {
        String action = "b10ba8fd3c82138daebff97b0892b02d56fcca9d2d0769075044ab60453ffb37";
        assertThat(StorageLayout.gocacheAction(action).value()).isEqualTo("gocache/actions/b1/" + action);
        assertThat(StorageLayout.kindOf(StorageLayout.gocacheOutput(action))).isEqualTo(KeyKind.GOCACHE_OUTPUT);
        assertThat(StorageLayout.kindOf(StorageLayout.gocacheBundle("0123456789abcdef0123456789abcdef")))
                .isEqualTo(KeyKind.GOCACHE_BUNDLE);
        assertThat(StorageLayout.kindOf(StorageLayout.gocacheBundleSignature("0123456789abcdef0123456789abcdef")))
                .isEqualTo(KeyKind.GOCACHE_BUNDLE_SIGNATURE);
        assertThat(StorageLayout.gocacheBundleIndex().isUnder(StorageLayout.gocacheBundlesDir()))
                .isTrue();
        assertThatThrownBy(() -> StorageLayout.gocacheAction("../etc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StorageLayout.gocacheBundle(action)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void retentionAndQuarantineKeysNameTheVersionTheyAreAbout() {
        assertThat(StorageLayout.access(AZURE).value())
                .isEqualTo("access/github.com/!azure/go-autorest/@v/v14.2.0+incompatible");
        assertThat(StorageLayout.versionOfAccess(StorageLayout.access(AZURE))).contains(AZURE);
        assertThat(StorageLayout.versionOfInfo(StorageLayout.info(AZURE))).contains(AZURE);
        assertThat(StorageLayout.quarantine("20261127T101500Z", StorageLayout.zip(AZURE))
                        .value())
                .isEqualTo("quarantine/20261127T101500Z/github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip");
        // Only commit markers of versions are versions: not pins, quarantined copies, or malformed names.
        assertThat(StorageLayout.versionOfInfo(StorageLayout.zip(AZURE))).isEmpty();
        assertThat(StorageLayout.versionOfInfo(BlobKey.of("pins/rsc.io/quote/@v/v1.5.2.info")))
                .isEmpty();
        assertThat(StorageLayout.versionOfInfo(StorageLayout.quarantine("x", StorageLayout.info(AZURE))))
                .isEmpty();
        assertThat(StorageLayout.versionOfInfo(BlobKey.of("rsc.io/quote/@v/master.info")))
                .isEmpty();
        assertThat(StorageLayout.versionOfInfo(BlobKey.of("rsc.io/Quote/@v/v1.0.0.info")))
                .isEmpty();
        assertThat(StorageLayout.versionOfInfo(BlobKey.of("@v/v1.0.0.info"))).isEmpty();
    }

    @Test
    void releaseArchiveKeysAreTheReleaseSitePathsAndClassifyBack() {
        String f = "go1.26.3.darwin-arm64.pkg";
        assertThat(StorageLayout.dlArchive(f).value()).isEqualTo("dl/go1.26.3.darwin-arm64.pkg");
        assertThat(StorageLayout.dlSignature(f).value()).isEqualTo("dl/go1.26.3.darwin-arm64.pkg.asc");
        assertThat(StorageLayout.dlSha256(f).value()).isEqualTo("dl/go1.26.3.darwin-arm64.pkg.sha256");
        assertThat(StorageLayout.kindOf(StorageLayout.dlArchive(f))).isEqualTo(KeyKind.DL_ARCHIVE);
        assertThat(StorageLayout.kindOf(StorageLayout.dlSignature(f))).isEqualTo(KeyKind.DL_SIGNATURE);
        assertThat(StorageLayout.kindOf(StorageLayout.dlSha256(f))).isEqualTo(KeyKind.DL_SHA256);
        assertThat(StorageLayout.kindOf(StorageLayout.dlListing(true))).isEqualTo(KeyKind.DL_LISTING);
        assertThat(StorageLayout.kindOf(StorageLayout.dlListing(false))).isEqualTo(KeyKind.DL_LISTING);
        assertThat(StorageLayout.dlListing(true)).isNotEqualTo(StorageLayout.dlListing(false));
        assertThat(StorageLayout.kindOf(StorageLayout.dlSigningKey())).isEqualTo(KeyKind.DL_SIGNING_KEY);
        assertThat(StorageLayout.dlArchive(f).parent()).contains(StorageLayout.dlDir());
    }

    @Test
    void toolchainExistenceRecordsLiveApartFromTheCommitMarker() {
        ModuleVersion tc = ModuleVersion.of("golang.org/toolchain", "v0.0.1-go1.26.3.linux-amd64");
        BlobKey key = StorageLayout.toolchainInfo(tc);
        assertThat(key.value()).isEqualTo("toolchains/v0.0.1-go1.26.3.linux-amd64.info");
        assertThat(key).isNotEqualTo(StorageLayout.info(tc));
        assertThat(StorageLayout.kindOf(key)).isEqualTo(KeyKind.TOOLCHAIN_INFO);
        assertThatThrownBy(() -> StorageLayout.toolchainInfo(AZURE)).isInstanceOf(IllegalArgumentException.class);
        assertThat(StorageLayout.versionOfToolchainInfo(key)).contains(tc);
        assertThat(key.parent()).contains(StorageLayout.toolchainsDir());
        assertThat(StorageLayout.versionOfToolchainInfo(StorageLayout.info(tc))).isEmpty();
        assertThat(StorageLayout.versionOfToolchainInfo(BlobKey.of("toolchains/v1.0.0.json")))
                .isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
        "rsc.io/quote/@latest,       latest",
        "rsc.io/quote/@v/list,       list",
        "rsc.io/quote/@v/master.info, info",
        "rsc.io/quote/@v/v1.5.2.zip, zip",
        "sumdb/sum.golang.org/lookup/rsc.io/quote@v1.5.2, sumdb",
    })
    void upstreamRequestPathsHaveMetricLabels(String path, String label) {
        assertThat(StorageLayout.label(path)).isEqualTo(label);
    }
}
