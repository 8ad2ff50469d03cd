package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** go.mod and go.work parsing: the syntax of golang.org/x/mod/modfile (read_test.go's shapes) and the directives the graph needs. */
class GoModFileTest {

    private static GoModFile parse(String text) {
        return GoModFile.parse("go.mod", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void blocksLinesCommentsQuotesAndUnknownDirectives() {
        GoModFile f = parse("""
                // a comment
                module "example.com/m" // deprecated? no

                go 1.21.0
                toolchain go1.22.1
                godebug default=go1.21

                require example.com/a v1.2.3
                require (
                \texample.com/b v0.0.0-20170915032832-14c0d48ead0c // indirect
                \t`example.com/C` v2.0.0+incompatible
                )
                require ()

                exclude (
                \texample.com/a v1.2.2
                )
                replace example.com/b => example.com/b2 v1.0.0
                replace example.com/c v1.0.0 => ../c
                retract [v1.0.0, v1.1.0] // bad
                tool example.com/a/cmd
                """);
        assertThat(f.module()).isEqualTo("example.com/m");
        assertThat(f.go()).isEqualTo("1.21.0");
        assertThat(f.prunesGraph()).isTrue();
        assertThat(f.require())
                .extracting(r -> r.version().toString())
                .containsExactly(
                        "example.com/a@v1.2.3",
                        "example.com/b@v0.0.0-20170915032832-14c0d48ead0c",
                        "example.com/C@v2.0.0+incompatible");
        assertThat(f.require()).extracting(GoModFile.Require::indirect).containsExactly(false, true, false);
        assertThat(f.exclude()).extracting(ModuleVersion::toString).containsExactly("example.com/a@v1.2.2");
        assertThat(f.replace())
                .containsExactly(
                        new GoModFile.Replace("example.com/b", null, "example.com/b2", "v1.0.0"),
                        new GoModFile.Replace("example.com/c", "v1.0.0", "../c", null));
        assertThat(f.replace().get(1).isDirectory()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"1.16, false", "1.17, true", "1.17.1, true", "1.21rc1, true", "1.9, false", "2.0, true", "'', false"})
    void graphPruningStartsAtGo117(String go, boolean prunes) {
        GoModFile f = parse("module m.example/x\n" + (go.isEmpty() ? "" : "go " + go + "\n"));
        assertThat(f.prunesGraph()).isEqualTo(prunes);
    }

    @Test
    void aDependencysExcludeAndReplaceAreNotEvenRead() {
        byte[] dep =
                "module example.com/d\nreplace example.com/x => C:\\windows\\path\nexclude bad\nrequire example.com/a v1.0.0\n"
                        .getBytes(StandardCharsets.UTF_8);
        GoModFile f = GoModFile.parseLax("example.com/d@v1.0.0 go.mod", dep);
        assertThat(f.replace()).isEmpty();
        assertThat(f.exclude()).isEmpty();
        assertThat(f.require()).hasSize(1);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "require example.com/a                    | usage: require",
                "require example.com/a notaversion        | invalid version",
                "require (\\nexample.com/a v1.0.0         | block not closed",
                "replace example.com/a => example.com/b   | must be a directory path",
                "module \"unterminated                    | unterminated string",
                "require example.com/a v2.0.0             | ",
            })
    void malformedFilesNameTheLine(String text, String message) {
        assertThatThrownBy(() -> parse(text.replace("\\n", "\n")))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("go.mod")
                .hasMessageContaining(message == null ? "" : message);
    }

    @Test
    void nonCanonicalVersionsAreCanonicalized() {
        assertThat(parse("module m.example/x\nrequire example.com/a v1.2\n")
                        .require()
                        .get(0)
                        .version()
                        .version())
                .isEqualTo("v1.2.0");
    }

    @Test
    void goWork() {
        GoWorkFile w = GoWorkFile.parse("go.work", """
                go 1.22
                use ./a
                use (
                \t./b
                \t../c
                )
                replace example.com/x v1.0.0 => example.com/y v1.1.0
                """.getBytes(StandardCharsets.UTF_8));
        assertThat(w.go()).isEqualTo("1.22");
        assertThat(w.use()).isEqualTo(List.of("./a", "./b", "../c"));
        assertThat(w.replace())
                .containsExactly(new GoModFile.Replace("example.com/x", "v1.0.0", "example.com/y", "v1.1.0"));
    }
}
