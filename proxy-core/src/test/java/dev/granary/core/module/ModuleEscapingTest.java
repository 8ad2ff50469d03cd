package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.testing.GoTable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** golang.org/x/mod/module module_test.go: TestEscapePath, TestUnescapePath, plus the version escaping. */
class ModuleEscapingTest {

    static List<GoTable.Row> escapeTests() {
        return GoTable.load(ModuleEscapingTest.class, "escapeTests.gotable");
    }

    static List<GoTable.Row> invalidPaths() {
        return GoTable.load(ModuleEscapingTest.class, "checkPathTests.gotable").stream()
                .filter(r -> !r.bool(1))
                .toList();
    }

    static List<String> badUnescape() {
        return GoTable.load(ModuleEscapingTest.class, "badUnescape.gotable").stream()
                .map(r -> r.str(0))
                .toList();
    }

    @Test
    void tablesAreCompletelyLoaded() {
        assertThat(escapeTests()).hasSize(2);
        assertThat(badUnescape()).hasSize(6);
        assertThat(invalidPaths()).hasSize(87);
    }

    @ParameterizedTest
    @MethodSource("escapeTests")
    void escapesAndUnescapesLikeGo(GoTable.Row tt) {
        String esc = tt.str("esc").isEmpty() ? tt.str("path") : tt.str("esc");
        assertThat(ModuleEscaping.escapePath(tt.str("path"))).isEqualTo(esc);
        assertThat(ModuleEscaping.unescapePath(esc)).isEqualTo(tt.str("path"));
        assertThat(ModulePath.parse(tt.str("path")).escaped()).isEqualTo(esc);
    }

    @ParameterizedTest
    @MethodSource("invalidPaths")
    void invalidPathsAreNeitherEscapedNorUnescaped(GoTable.Row tt) {
        assertThatThrownBy(() -> ModuleEscaping.escapePath(tt.str(0))).isInstanceOf(ProxyException.class);
        assertThatThrownBy(() -> ModuleEscaping.unescapePath(tt.str(0))).isInstanceOf(ProxyException.class);
    }

    @ParameterizedTest
    @MethodSource("badUnescape")
    void badEscapingsAreRefused(String bad) {
        assertThatThrownBy(() -> ModuleEscaping.unescapePath(bad))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.INVALID))
                .hasMessageStartingWith("invalid escaped module path ");
    }

    @Test
    void escapedPathWithBangIsDecoded() {
        assertThat(ModuleEscaping.unescapePath("github.com/!azure/go-autorest"))
                .isEqualTo("github.com/Azure/go-autorest");
        assertThat(ModuleEscaping.unescapePath("github.com/!google!cloud!platform/omega"))
                .isEqualTo("github.com/GoogleCloudPlatform/omega");
    }

    @Test
    void unescapeExplainsAnInvalidDecodedPath() {
        assertThatThrownBy(() -> ModuleEscaping.unescapePath("cache"))
                .hasMessage("invalid escaped module path \"cache\": malformed module path \"cache\": "
                        + "missing dot in first path element");
        assertThatThrownBy(() -> ModuleEscaping.unescapePath("github.com/!"))
                .hasMessage("invalid escaped module path \"github.com/!\"");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            v1.5.2                | v1.5.2
            v1.5.3-PRE            | v1.5.3-!p!r!e
            v2.0.0+incompatible   | v2.0.0+incompatible
            master                | master
            Branch_Name           | !branch_!name
            """)
    void versionsRoundTrip(String version, String escaped) {
        assertThat(ModuleEscaping.escapeVersion(version)).isEqualTo(escaped);
        assertThat(ModuleEscaping.unescapeVersion(escaped)).isEqualTo(version);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            v1!
            ''
            v1/v2
            ..
            v1.
            con
            v1*
            vé
            """)
    void disallowedVersionStringsAreNotEscaped(String version) {
        assertThatThrownBy(() -> ModuleEscaping.escapeVersion(version))
                .isInstanceOf(ProxyException.class)
                .hasMessage("version " + GoQuote.quote(version) + " invalid: disallowed version string");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            v1.0.0-PRE   | invalid escaped version "v1.0.0-PRE"
            v1.0.0-!     | invalid escaped version "v1.0.0-!"
            v1.0.0-!0    | invalid escaped version "v1.0.0-!0"
            v1/x         | invalid escaped version "v1/x": invalid char '/'
            aux          | invalid escaped version "aux": "aux" disallowed as path element component on Windows
            """)
    void badEscapedVersionsAreRefused(String escaped, String message) {
        assertThatThrownBy(() -> ModuleEscaping.unescapeVersion(escaped)).hasMessage(message);
    }
}
