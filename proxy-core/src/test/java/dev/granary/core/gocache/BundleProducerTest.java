package dev.granary.core.gocache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BundleProducerTest {

    private static BundleProducer.Listed pkg(String path, String name, boolean main, String forTest, boolean error) {
        return new BundleProducer.Listed(path, name, main, forTest, error);
    }

    @Test
    void importsWhatAnotherModuleMayImportAndLeavesTheRestToTheirImporters() {
        List<BundleProducer.Listed> listed = List.of(
                pkg("fmt", "fmt", false, "", false),
                pkg("internal/abi", "abi", false, "", false),
                pkg("vendor/golang.org/x/net/dns/dnsmessage", "dnsmessage", false, "", false),
                pkg("unsafe", "unsafe", false, "", false),
                pkg("C", "", false, "", false),
                pkg("rsc.io/quote", "quote", false, "", false),
                pkg("golang.org/x/internal/subtle", "subtle", false, "", false),
                pkg("golang.org/x/useinternal", "useinternal", false, "", false),
                pkg("example.com/tool/cmd/gen", "main", false, "", false),
                pkg("example.com/broken", "broken", false, "", true),
                pkg("example.com/app", "main", true, "", false),
                pkg("example.com/app/lib", "lib", true, "", false),
                pkg("example.com/app/lib [example.com/app/lib.test]", "lib", true, "example.com/app/lib", false),
                pkg("example.com/app/lib.test", "main", true, "", false));
        assertThat(BundleProducer.importable(listed))
                .containsExactly("fmt", "golang.org/x/useinternal", "rsc.io/quote");
    }

    @Test
    void internalMeansAPathElement() {
        assertThat(BundleProducer.isInternal("internal")).isTrue();
        assertThat(BundleProducer.isInternal("a/internal")).isTrue();
        assertThat(BundleProducer.isInternal("a/internal/b")).isTrue();
        assertThat(BundleProducer.isInternal("a/internals/b")).isFalse();
        assertThat(BundleProducer.isInternal("internalx")).isFalse();
    }

    @Test
    void theSyntheticModuleAlwaysResolvesModulesItself() {
        assertThat(BundleProducer.goflags("-mod=vendor -trimpath")).isEqualTo("-trimpath -mod=mod");
        assertThat(BundleProducer.goflags("")).isEqualTo("-mod=mod");
        assertThat(BundleProducer.goflags(null)).isEqualTo("-mod=mod");
    }
}
