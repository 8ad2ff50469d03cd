package dev.granary.core.layout;

import static org.assertj.core.api.Assertions.assertThat;

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
        "example.com/readme.txt,                                     OTHER, false",
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
        assertThat(StorageLayout.snapshotFile(id, "MANIFEST.json").value()).isEqualTo("snapshots/" + id + "/MANIFEST.json");
        assertThat(StorageLayout.kindOf(StorageLayout.snapshotFile(id, "MANIFEST.json"))).isEqualTo(KeyKind.SNAPSHOT);
        assertThat(StorageLayout.snapshotJournal(id).value()).isEqualTo("snapshots/" + id + "/journal");
        assertThat(StorageLayout.kindOf(StorageLayout.snapshotJournal(id))).isEqualTo(KeyKind.SNAPSHOT_JOURNAL);
        assertThat(StorageLayout.snapshotFile(id, "MANIFEST.json").isUnder(StorageLayout.snapshotsDir())).isTrue();
        // The lock is a lease: mutable, never behind a cache, and no module's lease key can equal it.
        assertThat(StorageLayout.kindOf(StorageLayout.snapshotImportLock())).isEqualTo(KeyKind.LEASE);
        assertThat(StorageLayout.snapshotImportLock().value()).doesNotContain("/@v/");
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
