package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModuleVersionTest {

    @Test
    void escapesPathAndVersionForTheProxyProtocol() {
        ModuleVersion mv = ModuleVersion.of("github.com/Azure/go-autorest", "v14.2.0+incompatible");
        assertThat(mv.escapedPath()).isEqualTo("github.com/!azure/go-autorest");
        assertThat(mv.escapedVersion()).isEqualTo("v14.2.0+incompatible");
        assertThat(mv).hasToString("github.com/Azure/go-autorest@v14.2.0+incompatible");
        assertThat(ModuleVersion.of("rsc.io/QUOTE", "v1.5.3-PRE").escapedVersion())
                .isEqualTo("v1.5.3-!p!r!e");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            example.com/m | v1.0.0+bad  | version "v1.0.0+bad" is not canonical (should be "v1.0.0")
            example.com/m | v1.2        | version "v1.2" is not canonical (should be "v1.2.0")
            example.com/m | v1          | version "v1" is not canonical (should be "v1.0.0")
            example.com/m | 1.0.0       | example.com/m@1.0.0: invalid version: not a semantic version
            example.com/m | latest      | example.com/m@latest: invalid version: not a semantic version
            example.com/m | v2.0.0      | example.com/m@v2.0.0: invalid version: should be v0 or v1, not v2
            cache         | v1.0.0      | malformed module path "cache": missing dot in first path element
            """)
    void invalidPairsAreRefusedWithGosReason(String path, String version, String message) {
        assertThatThrownBy(() -> ModuleVersion.of(path, version))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.INVALID))
                .hasMessage(message);
    }

    @Test
    void theConstructorCannotBeBypassed() {
        assertThatThrownBy(() -> new ModuleVersion(ModulePath.parse("rsc.io/quote/v3"), "v1.0.0"))
                .isInstanceOf(ProxyException.class);
        assertThatThrownBy(() -> new ModulePath("Rsc.io/quote")).isInstanceOf(ProxyException.class);
    }

    @Test
    void canonicalVersionKeepsIncompatible() {
        assertThat(ModuleVersion.canonicalVersion("v2.0.0+incompatible")).isEqualTo("v2.0.0+incompatible");
        // Shorthands take no build suffix, so this is not a version at all.
        assertThat(ModuleVersion.canonicalVersion("v2.0+incompatible")).isEmpty();
        assertThat(ModuleVersion.canonicalVersion("v2.0.0+meta")).isEqualTo("v2.0.0");
        assertThat(ModuleVersion.canonicalVersion("bad")).isEmpty();
    }
}
