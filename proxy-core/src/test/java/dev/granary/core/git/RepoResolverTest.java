package dev.granary.core.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.git.RepoResolver.MetaImport;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** go-import meta tags and their matching, with the vectors of cmd/go/internal/vcs discovery_test.go (IgnoreMod). */
class RepoResolverTest {

    static Stream<Arguments> parseMetaGoImports() {
        MetaImport fooBar = new MetaImport("foo/bar", "git", "https://github.com/rsc/foo/bar", "");
        return Stream.of(
                Arguments.of(
                        "<meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar\">",
                        List.of(fooBar)),
                Arguments.of(
                        "<meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar\">\n"
                                + "\t\t<meta name=\"go-import\" content=\"baz/quux git http://github.com/rsc/baz/quux\">",
                        List.of(fooBar, new MetaImport("baz/quux", "git", "http://github.com/rsc/baz/quux", ""))),
                Arguments.of(
                        "<meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar\">\n"
                                + "\t\t<meta name=\"go-import\" content=\"foo/bar mod http://github.com/rsc/baz/quux\">",
                        List.of(fooBar)),
                Arguments.of(
                        "<meta name=\"go-import\" content=\"foo/bar mod http://github.com/rsc/baz/quux\">\n"
                                + "\t\t<meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar\">",
                        List.of(fooBar)),
                Arguments.of(
                        "<head>\n<meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar\">\n</head>",
                        List.of(fooBar)),
                Arguments.of(
                        "<meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar\">\n<body>",
                        List.of(fooBar)),
                Arguments.of(
                        "<!doctype html><meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar\">",
                        List.of(fooBar)),
                Arguments.of(
                        "<!doctype html><title>Page Not Found</title><meta name=go-import content=\"chitin.io/chitin git "
                                + "https://github.com/chitin-io/chitin\"><div style=position:relative>DRAFT</div>",
                        List.of(new MetaImport("chitin.io/chitin", "git", "https://github.com/chitin-io/chitin", ""))),
                Arguments.of(
                        "<meta name=\"go-import\" content=\"myitcv.io git https://github.com/myitcv/x\">\n"
                                + "<meta name=\"go-import\" content=\"myitcv.io/blah2 mod https://raw.githubusercontent.com/myitcv/pubx/master\">\n",
                        List.of(new MetaImport("myitcv.io", "git", "https://github.com/myitcv/x", ""))),
                Arguments.of(
                        "<meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar subdir\">",
                        List.of(new MetaImport("foo/bar", "git", "https://github.com/rsc/foo/bar", "subdir"))),
                Arguments.of(
                        "<meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar subdir/path\">",
                        List.of(new MetaImport("foo/bar", "git", "https://github.com/rsc/foo/bar", "subdir/path"))),
                // Tags after the head are not read.
                Arguments.of(
                        "<head></head><meta name=\"go-import\" content=\"foo/bar git https://github.com/rsc/foo/bar\">",
                        List.of()));
    }

    @ParameterizedTest
    @MethodSource
    void parseMetaGoImports(String html, List<MetaImport> want) {
        assertThat(RepoResolver.parse(html)).isEqualTo(want);
    }

    @Test
    void matchGoImportWantsExactlyOnePathPrefix() {
        MetaImport a = new MetaImport("example.com/a", "git", "https://x/a", "");
        MetaImport ab = new MetaImport("example.com/a/b", "git", "https://x/ab", "");
        assertThat(RepoResolver.matchGoImport(List.of(a), "example.com/a/pkg")).isEqualTo(a);
        assertThatThrownBy(() -> RepoResolver.matchGoImport(List.of(a), "example.com/ab"))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("no go-import meta tag");
        assertThatThrownBy(() -> RepoResolver.matchGoImport(List.of(a, ab), "example.com/a/b/c"))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("multiple go-import meta tags");
    }
}
