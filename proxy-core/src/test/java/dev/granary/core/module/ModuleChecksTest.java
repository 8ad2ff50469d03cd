package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.testing.GoTable;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** golang.org/x/mod/module module_test.go: TestCheckPath, TestSplitPathVersion, TestMatchPathMajor, TestCheck. */
class ModuleChecksTest {

    static List<GoTable.Row> checkPathTests() {
        return GoTable.load(ModuleChecksTest.class, "checkPathTests.gotable");
    }

    static List<GoTable.Row> checkTests() {
        return GoTable.load(ModuleChecksTest.class, "checkTests.gotable");
    }

    static List<GoTable.Row> splitPathVersionTests() {
        return GoTable.load(ModuleChecksTest.class, "splitPathVersionTests.gotable");
    }

    static List<GoTable.Row> matchPathMajorTests() {
        return GoTable.load(ModuleChecksTest.class, "matchPathMajorTests.gotable");
    }

    @Test
    void tablesAreCompletelyLoaded() {
        assertThat(checkPathTests()).hasSize(105);
        assertThat(checkTests()).hasSize(29);
        assertThat(splitPathVersionTests()).hasSize(8);
        assertThat(matchPathMajorTests()).hasSize(11);
    }

    @ParameterizedTest
    @MethodSource("checkPathTests")
    void checkPathAgreesWithGo(GoTable.Row tt) {
        assertValid(() -> ModuleChecks.checkPath(tt.str(0)), tt.bool(1), "malformed module path ");
        assertValid(() -> ModuleChecks.checkImportPath(tt.str(0)), tt.bool(2), "malformed import path ");
        assertValid(() -> ModuleChecks.checkFilePath(tt.str(0)), tt.bool(3), "malformed file path ");
        assertValid(() -> ModulePath.parse(tt.str(0)), tt.bool(1), "malformed module path ");
    }

    private static void assertValid(Runnable check, boolean ok, String messagePrefix) {
        if (ok) {
            assertThatCode(check::run).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(check::run)
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.INVALID))
                    .hasMessageStartingWith(messagePrefix);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            cache                        | malformed module path "cache": missing dot in first path element
            X.y/z                        | malformed module path "X.y/z": invalid char 'X' in first path element
            x.y/z/v1                     | malformed module path "x.y/z/v1": invalid version
            x.y/z/v2.0                   | malformed module path "x.y/z/v2.0": invalid version
            gopkg.in/yaml                | malformed module path "gopkg.in/yaml": invalid version
            x.y/aux.foo                  | malformed module path "x.y/aux.foo": "aux" disallowed as path element component on Windows
            x.y/z~09                     | malformed module path "x.y/z~09": trailing tilde and digits in path element
            x.y/z'                       | malformed module path "x.y/z'": invalid char '\\''
            x.y/.z                       | malformed module path "x.y/.z": leading dot in path element
            x.y/z.                       | malformed module path "x.y/z.": trailing dot in path element
            x.y/../z                     | malformed module path "x.y/../z": invalid path element ".."
            x.y//z                       | malformed module path "x.y//z": double slash
            -x.y                         | malformed module path "-x.y": leading dash
            """)
    void modulePathReasonsReadLikeGo(String path, String message) {
        assertThatThrownBy(() -> ModuleChecks.checkPath(path)).hasMessage(message);
    }

    @Test
    void invalidUtf8IsReportedAsSuch() {
        assertThatThrownBy(() -> ModuleChecks.checkPath("x.y/\uDCFFz"))
                .hasMessage("malformed module path \"x.y/\\xffz\": invalid UTF-8");
        assertThatThrownBy(() -> ModuleChecks.checkFilePath("a\uD800")).hasMessageEndingWith("invalid UTF-8");
    }

    @Test
    void fileNamesMayUseUnicodeLettersButNotOtherSymbols() {
        assertThatCode(() -> ModuleChecks.checkFilePath("docs/испытание/\uD801\uDC00.go"))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> ModuleChecks.checkFilePath("x/☺.go"))
                .hasMessage("malformed file path \"x/☺.go\": invalid char '☺'");
        assertThatThrownBy(() -> ModuleChecks.checkFilePath("x/a\u00A0b"))
                .hasMessage("malformed file path \"x/a\\u00a0b\": invalid char '\\u00a0'");
        assertThatThrownBy(() -> ModuleChecks.checkFilePath("a\nb"))
                .hasMessage("malformed file path \"a\\nb\": invalid char '\\n'");
    }

    @ParameterizedTest
    @MethodSource("splitPathVersionTests")
    void splitPathVersionFindsTheMajorSuffix(GoTable.Row tt) {
        String path = tt.str(0) + tt.str(1);
        assertThat(ModulePath.splitPathVersion(path)).contains(new ModulePath.Split(tt.str(0), tt.str(1)));
        ModulePath mp = ModulePath.parse(path);
        assertThat(mp.prefix()).isEqualTo(tt.str(0));
        assertThat(mp.pathMajor()).isEqualTo(tt.str(1));
    }

    @ParameterizedTest
    @MethodSource("checkPathTests")
    void splitPathVersionAddsUpToItsInput(GoTable.Row tt) {
        Optional<ModulePath.Split> split = ModulePath.splitPathVersion(tt.str(0));
        split.ifPresent(s -> assertThat(s.prefix() + s.pathMajor()).isEqualTo(tt.str(0)));
        if (tt.bool(1)) {
            assertThat(split).isPresent();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            example.com/pkg/v1
            example.com/pkg/v1.2
            example.com/pkg/v02
            gopkg.in/yaml.v02
            gopkg.in/yaml
            """)
    void malformedMajorSuffixesDoNotSplit(String path) {
        assertThat(ModulePath.splitPathVersion(path)).isEmpty();
    }

    @Test
    void gopkgInUnstableKeepsItsSuffix() {
        assertThat(ModulePath.splitPathVersion("gopkg.in/yaml.v2-unstable"))
                .contains(new ModulePath.Split("gopkg.in/yaml", ".v2-unstable"));
    }

    @ParameterizedTest
    @MethodSource("matchPathMajorTests")
    void checkPathMajorAgreesWithGo(GoTable.Row tt) {
        Runnable check = () -> ModuleChecks.checkPathMajor(tt.str(0), tt.str(1));
        if (tt.bool(2)) {
            assertThatCode(check::run).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(check::run)
                    .isInstanceOf(ProxyException.class)
                    .hasMessageStartingWith("version \"" + tt.str(0) + "\" invalid: should be ");
        }
    }

    @Test
    void checkPathMajorNamesBothMajors() {
        assertThatThrownBy(() -> ModuleChecks.checkPathMajor("v2.0.0", ""))
                .hasMessage("version \"v2.0.0\" invalid: should be v0 or v1, not v2");
        assertThatThrownBy(() -> ModulePath.parse("rsc.io/quote/v3").checkMajor("v2.1.0"))
                .hasMessage("rsc.io/quote/v3@v2.1.0: invalid version: should be v3, not v2");
        assertThatThrownBy(() -> ModulePath.parse("gopkg.in/yaml.v2").checkMajor("v3.0.0"))
                .hasMessage("gopkg.in/yaml.v2@v3.0.0: invalid version: should be v2, not v3");
    }

    @ParameterizedTest
    @MethodSource("checkTests")
    void checkAgreesWithGo(GoTable.Row tt) {
        // module.Check; the check table only holds canonical versions, so ModuleVersion.of must agree.
        Runnable check = () -> ModuleVersion.of(tt.str(0), tt.str(1));
        if (tt.bool(2)) {
            assertThatCode(check::run).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(check::run)
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.INVALID));
        }
    }
}
