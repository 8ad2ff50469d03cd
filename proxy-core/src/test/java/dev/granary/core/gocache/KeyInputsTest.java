package dev.granary.core.gocache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyInputsTest {

    private static GoEnv env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (String k : GoEnv.KEYS) {
            m.put(k, "");
        }
        m.putAll(Map.of(
                "GOVERSION",
                "go1.26.8",
                "GOOS",
                "linux",
                "GOARCH",
                "amd64",
                "GOAMD64",
                "v1",
                "CGO_ENABLED",
                "0",
                "CC",
                "gcc",
                "GOMODCACHE",
                "/home/ci/go/pkg/mod"));
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return new GoEnv(m, "");
    }

    @Test
    void goflagsSplitIntoBuildOptionsAndTheRestWhileModuleFlagsDoNotCount() {
        KeyInputs k = KeyInputs.of(
                env("GOFLAGS", "-mod=mod -trimpath -tags=b,a -gcflags=-N -buildvcs=false -modcacherw"),
                BuildOptions.NONE);
        assertThat(k.trimpath()).isTrue();
        assertThat(k.tags()).containsExactly("a", "b");
        assertThat(k.goflags()).isEqualTo("-gcflags=-N");
        // With -trimpath no absolute path is in any key: the module cache's place does not matter.
        assertThat(k.gomodcache()).isEmpty();
        assertThat(k.archLevel()).isEqualTo("GOAMD64=v1");
    }

    @Test
    void optionsOnTheCommandLineAddToGoflags() {
        KeyInputs k = KeyInputs.of(env("GOFLAGS", "-tags=x"), new BuildOptions(false, true, List.of("y")));
        assertThat(k.race()).isTrue();
        assertThat(k.tags()).containsExactly("x", "y");
        assertThat(k.gomodcache()).isEqualTo("/home/ci/go/pkg/mod");
    }

    @Test
    void differencesNameWhatDiffers() {
        KeyInputs bundle = KeyInputs.of(env(), BuildOptions.NONE);
        assertThat(bundle.differences(KeyInputs.of(env("GOFLAGS", "-mod=readonly"), BuildOptions.NONE)))
                .isEmpty();
        assertThat(bundle.differences(KeyInputs.of(env("GOFLAGS", "-gcflags=all=-N"), BuildOptions.NONE)))
                .singleElement()
                .asString()
                .contains("GOFLAGS")
                .contains("-gcflags=all=-N");
        assertThat(bundle.differences(KeyInputs.of(env("GOMODCACHE", "/tmp/elsewhere"), BuildOptions.NONE)))
                .singleElement()
                .asString()
                .contains("GOMODCACHE")
                .contains("/tmp/elsewhere");
        assertThat(bundle.differences(KeyInputs.of(env("GOVERSION", "go1.19.8"), BuildOptions.NONE)))
                .singleElement()
                .asString()
                .contains("go1.19.8");
        KeyInputs trimmed = KeyInputs.of(env(), new BuildOptions(true, false, List.of()));
        assertThat(trimmed.differences(KeyInputs.of(env("GOMODCACHE", "/x"), new BuildOptions(true, false, List.of()))))
                .isEmpty();
    }

    @Test
    void cgoInputsCountOnlyWithCgoOn() {
        KeyInputs off = KeyInputs.of(env("CC", "clang"), BuildOptions.NONE);
        assertThat(off.differences(KeyInputs.of(env("CC", "gcc"), BuildOptions.NONE)))
                .isEmpty();
        KeyInputs on = KeyInputs.of(
                new GoEnv(merge(env(), "CGO_ENABLED", "1", "CC", "clang"), "clang version 19"), BuildOptions.NONE);
        KeyInputs here = KeyInputs.of(
                new GoEnv(merge(env(), "CGO_ENABLED", "1", "CC", "clang"), "clang version 20"), BuildOptions.NONE);
        assertThat(on.differences(here)).singleElement().asString().contains("CC version");
    }

    @Test
    void theIdentityFollowsEveryInputAndTheGoSum() {
        KeyInputs k = KeyInputs.of(env(), BuildOptions.NONE);
        String gosum = CacheDirs.id("sum");
        assertThat(k.bundleId(gosum))
                .hasSize(32)
                .isEqualTo(KeyInputs.of(env(), BuildOptions.NONE).bundleId(gosum));
        assertThat(k.bundleId(CacheDirs.id("other sum"))).isNotEqualTo(k.bundleId(gosum));
        assertThat(KeyInputs.of(env("GOARCH", "arm64"), BuildOptions.NONE).bundleId(gosum))
                .isNotEqualTo(k.bundleId(gosum));
        assertThat(KeyInputs.of(env(), new BuildOptions(false, false, List.of("t")))
                        .bundleId(gosum))
                .isNotEqualTo(k.bundleId(gosum));
    }

    @Test
    void theGoSumDigestIgnoresOrderAndGoModLines() {
        String a = """
                rsc.io/quote v1.5.2 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=
                rsc.io/quote v1.5.2/go.mod h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=
                rsc.io/sampler v1.3.0 h1:7uVkIFmeBqHfdjD+gZwtXXI+RODJ2Wc4O7MPEh/QiW4=
                """;
        String b = """
                rsc.io/sampler v1.3.0 h1:7uVkIFmeBqHfdjD+gZwtXXI+RODJ2Wc4O7MPEh/QiW4=
                rsc.io/quote v1.5.2 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=
                """;
        assertThat(BundleManifest.gosumDigest(a)).isEqualTo(BundleManifest.gosumDigest(b));
        assertThat(BundleManifest.gosumDigest(a))
                .isNotEqualTo(BundleManifest.gosumDigest(b.replace("v1.3.0", "v1.3.1")));
    }

    private static Map<String, String> merge(GoEnv env, String... kv) {
        Map<String, String> m = new HashMap<>(env.values());
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
