package dev.granary.core.dl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.ProxyException;
import dev.granary.core.dl.ReleaseListing.ReleaseFile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReleaseListingTest {
    private static final String SHA = "a".repeat(64);

    /** The shape go.dev/dl/?mode=json&include=all answers (fields and nesting; values made up). */
    private static final String OFFICIAL = """
            [
             {
              "version": "go1.26.3",
              "stable": true,
              "files": [
               {
                "filename": "go1.26.3.src.tar.gz",
                "os": "",
                "arch": "",
                "version": "go1.26.3",
                "sha256": "%s",
                "size": 31000000,
                "kind": "source"
               },
               {
                "filename": "go1.26.3.linux-amd64.tar.gz",
                "os": "linux",
                "arch": "amd64",
                "version": "go1.26.3",
                "sha256": "%s",
                "size": 75000000,
                "kind": "archive",
                "extra": "ignored"
               }
              ]
             },
             {
              "version": "go1.27rc1",
              "stable": false,
              "files": [
               {
                "filename": "go1.27rc1.linux-armv6l.tar.gz",
                "os": "linux",
                "arch": "armv6l",
                "version": "go1.27rc1",
                "sha256": "",
                "size": 70000000,
                "kind": "archive"
               },
               {
                "filename": "../../etc/passwd",
                "os": "linux",
                "arch": "amd64",
                "version": "go1.27rc1",
                "sha256": "%s",
                "size": 1,
                "kind": "archive"
               }
              ]
             }
            ]
            """.formatted(SHA, SHA.toUpperCase(), SHA);

    @Test
    void parsesTheOfficialShapeAndWritesItBackInTheSameShape() throws Exception {
        ReleaseListing l = ReleaseListing.parse(OFFICIAL.getBytes(StandardCharsets.UTF_8));
        assertThat(l.releases()).hasSize(2);
        assertThat(l.versions()).containsExactly("1.26.3", "1.27rc1");
        ReleaseFile f = l.find("go1.26.3.linux-amd64.tar.gz").orElseThrow();
        assertThat(f)
                .isEqualTo(new ReleaseFile(
                        "go1.26.3.linux-amd64.tar.gz", "linux", "amd64", "go1.26.3", SHA, 75000000, "archive"));
        assertThat(f.hasSha256()).isTrue();
        assertThat(l.find("go1.27rc1.linux-armv6l.tar.gz").orElseThrow().hasSha256())
                .isFalse();

        JsonNode out = new ObjectMapper().readTree(l.toJson());
        assertThat(out.isArray()).isTrue();
        JsonNode rel = out.get(0);
        assertThat(iterable(rel.fieldNames())).containsExactly("version", "stable", "files");
        JsonNode file = rel.get("files").get(1);
        assertThat(iterable(file.fieldNames()))
                .containsExactly("filename", "os", "arch", "version", "sha256", "size", "kind");
        assertThat(file.get("size").asLong()).isEqualTo(75000000);
        assertThat(ReleaseListing.parse(l.toJson())).isEqualTo(l);
    }

    @Test
    void filesWhoseNamesCannotBeMirroredAreLeftOut() {
        ReleaseListing l = ReleaseListing.parse(OFFICIAL.getBytes(StandardCharsets.UTF_8));
        assertThat(l.filenames())
                .containsExactly("go1.26.3.src.tar.gz", "go1.26.3.linux-amd64.tar.gz", "go1.27rc1.linux-armv6l.tar.gz");
    }

    @Test
    void filterAndStableOnlyDropEmptyReleases() {
        ReleaseListing l = ReleaseListing.parse(OFFICIAL.getBytes(StandardCharsets.UTF_8));
        assertThat(l.filter(f -> f.kind().equals("source")).filenames()).containsExactly("go1.26.3.src.tar.gz");
        assertThat(l.filter(f -> f.kind().equals("source")).releases()).hasSize(1);
        assertThat(l.stableOnly().versions()).containsExactly("1.26.3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "not json", "[{\"stable\": true}]", "null", "[1, 2]"})
    void somethingElseIsAnUpstreamFailure(String body) {
        assertThatThrownBy(() -> ReleaseListing.parse(body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ProxyException.class)
                .satisfies(e -> assertThat(((ProxyException) e).kind()).isEqualTo(ProxyException.Kind.UPSTREAM_FAILED));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "go1.26.3.linux-amd64.tar.gz",
                "go1.26.3.windows-amd64.msi",
                "go1.26.3.darwin-arm64.pkg",
                "go1.26.3.src.tar.gz",
                "go1.4-bootstrap-20171003.tar.gz",
                "go1.2.2.darwin-amd64-osx10.8.tar.gz"
            })
    void realFileNamesAreValid(String name) {
        assertThat(ReleaseListing.isValidFilename(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "listing.json",
                "signing-key.asc",
                "go1.26.3.linux-amd64.tar.gz.sha256",
                "go1.26.3.tar.gz.asc",
                "go../x",
                "go1/../x",
                "go1.26 3.tar.gz",
                "go1.26.3%2F.tar.gz",
                "go\u00e91.tar.gz",
                "go"
            })
    void otherNamesAreNot(String name) {
        assertThat(ReleaseListing.isValidFilename(name)).isFalse();
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
