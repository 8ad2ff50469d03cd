package dev.granary.core.layout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobKey;
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
        "gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst,     GOCACHE_BUNDLE, false",
        "gocache/bundles/0123456789abcdef0123456789abcdef.tar.zst.asc, GOCACHE_BUNDLE_SIGNATURE, false",
        "gocache/bundles/index.json,                                 GOCACHE_BUNDLE_INDEX, false",
        "gocache/actions/b1/b10ba8fd3c82138daebff97b0892b02d56fcca9d2d0769075044ab60453ffb37, GOCACHE_ACTION, false",
        "gocache/outputs/90/901a115bbb89bb5c3042c15bebc8ae38a3ab053486a8bface4a3aff532db432a, GOCACHE_OUTPUT, true",
        "gocache/outputs/00/901a115bbb89bb5c3042c15bebc8ae38a3ab053486a8bface4a3aff532db432a, OTHER, false",
        "gocache/bundles/notanid.tar.zst,                            OTHER, false",
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

    @org.junit.jupiter.api.Test
    void buildCacheKeysAreDerivedFromTheirIdsAndClassifyBack() {
        String action = "b10ba8fd3c82138daebff97b0892b02d56fcca9d2d0769075044ab60453ffb37";
        assertThat(StorageLayout.gocacheAction(action).value()).isEqualTo("gocache/actions/b1/" + action);
        assertThat(StorageLayout.kindOf(StorageLayout.gocacheOutput(action))).isEqualTo(KeyKind.GOCACHE_OUTPUT);
        assertThat(StorageLayout.kindOf(StorageLayout.gocacheBundle("0123456789abcdef0123456789abcdef"))).isEqualTo(KeyKind.GOCACHE_BUNDLE);
        assertThat(StorageLayout.kindOf(StorageLayout.gocacheBundleSignature("0123456789abcdef0123456789abcdef")))
                .isEqualTo(KeyKind.GOCACHE_BUNDLE_SIGNATURE);
        assertThat(StorageLayout.gocacheBundleIndex().isUnder(StorageLayout.gocacheBundlesDir())).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StorageLayout.gocacheAction("../etc"))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StorageLayout.gocacheBundle(action))
                .isInstanceOf(IllegalArgumentException.class);
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
