package dev.granary.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class BlobKeyTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "a",
                "github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip",
                "example.com/m/@v/list",
                "example.com/m/@latest",
                "sumdb/sum.golang.org/lookup/golang.org/x/text@v0.3.0",
                "sumdb/sum.golang.org/tile/8/0/x001/234.p/5",
                "a/.hidden/b",
                "a/...",
                "a/..b",
                "a/tmp-x/.tmp",
                "a/x.tmp-y",
                "unicode/ключ/日本語",
                "with space/~tilde",
            })
    void acceptsValidKeys(String text) {
        assertThat(BlobKey.isValid(text)).isTrue();
        assertThat(BlobKey.of(text).value()).isEqualTo(text);
    }

    static Stream<Arguments> invalidKeys() {
        return Stream.of(
                Arguments.of("", "empty"),
                Arguments.of("/", "empty path segment"),
                Arguments.of("/etc/passwd", "empty path segment"),
                Arguments.of("a/", "empty path segment"),
                Arguments.of("a//b", "empty path segment"),
                Arguments.of(".", "dot segment"),
                Arguments.of("..", "dot segment"),
                Arguments.of("../etc/passwd", "dot segment"),
                Arguments.of("a/../../b", "dot segment"),
                Arguments.of("a/./b", "dot segment"),
                Arguments.of("a/..", "dot segment"),
                Arguments.of("a\\..\\b", "backslash"),
                Arguments.of("a/b\\c", "backslash"),
                Arguments.of("a/b\u0000c", "control character"),
                Arguments.of("a/b\nc", "control character"),
                Arguments.of("a/b\tc", "control character"),
                Arguments.of("a/b\u007fc", "control character"),
                Arguments.of("C:/windows", "drive letter"),
                Arguments.of(".tmp-123", "reserved temporary-file prefix"),
                Arguments.of("m/@v/.tmp-abc", "reserved temporary-file prefix"),
                Arguments.of("a/" + "x".repeat(256), "path segment longer than 255"),
                Arguments.of(("x".repeat(200) + "/").repeat(6), "longer than 1024"));
    }

    @ParameterizedTest
    @MethodSource("invalidKeys")
    void rejectsInvalidKeys(String text, String problem) {
        assertThat(BlobKey.isValid(text)).isFalse();
        assertThatThrownBy(() -> BlobKey.of(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(problem);
    }

    @Test
    void nullIsRejected() {
        assertThat(BlobKey.isValid(null)).isFalse();
        assertThatThrownBy(() -> BlobKey.of((String) null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void longestKeyAndSegmentAreAccepted() {
        String seg = "x".repeat(BlobKey.MAX_SEGMENT_LENGTH);
        assertThat(BlobKey.isValid(seg)).isTrue();
        String longest = ("x".repeat(254) + "/").repeat(4) + "y".repeat(BlobKey.MAX_LENGTH - 4 * 255);
        assertThat(longest).hasSize(BlobKey.MAX_LENGTH);
        assertThat(BlobKey.isValid(longest)).isTrue();
        assertThat(BlobKey.isValid(longest + "y")).isFalse();
    }

    @Test
    void controlCharactersAreEscapedInTheMessage() {
        assertThatThrownBy(() -> BlobKey.of("a\u0001b")).hasMessageContaining("\"a\\x01b\"");
    }

    @Test
    void segmentsJoinAndSplit() {
        BlobKey k = BlobKey.of("example.com", "m", "@v", "list");
        assertThat(k.value()).isEqualTo("example.com/m/@v/list");
        assertThat(k.name()).isEqualTo("list");
        assertThat(k.parent()).contains(BlobKey.of("example.com/m/@v"));
        assertThat(BlobKey.of("x").parent()).isEmpty();
        assertThat(BlobKey.of("a/b").resolve("@v/list")).isEqualTo(BlobKey.of("a/b/@v/list"));
        assertThatThrownBy(() -> BlobKey.of("a").resolve("../b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isUnderComparesWholeSegments() {
        BlobKey ab = BlobKey.of("a/b");
        assertThat(BlobKey.of("a/b/c").isUnder(ab)).isTrue();
        assertThat(BlobKey.of("a/b/v2/@v/list").isUnder(ab)).isTrue();
        assertThat(BlobKey.of("a/b-c").isUnder(ab)).isFalse();
        assertThat(BlobKey.of("a/bc/d").isUnder(ab)).isFalse();
        assertThat(ab.isUnder(ab)).isFalse();
        assertThat(BlobKey.of("m/@v/v1.2.3-pre.1.info").isUnder(BlobKey.of("m/@v/v1.2.3-pre")))
                .isFalse();
    }

    @Test
    void keysSortAsTheirText() {
        assertThat(Stream.of("b", "a/b", "a", "a-b", "a/a")
                        .map(BlobKey::of)
                        .sorted()
                        .map(BlobKey::value))
                .containsExactly("a", "a-b", "a/a", "a/b", "b");
    }
}
