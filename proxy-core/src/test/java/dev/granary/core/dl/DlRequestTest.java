package dev.granary.core.dl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DlRequestTest {

    @ParameterizedTest
    @CsvSource({
        "/dl/,   mode=json&include=all, true",
        "/dl,    mode=json&include=all, true",
        "/dl/,   include=all&mode=json, true",
        "/dl/,   mode=json,             false",
        "/dl/,   ,                      false",
        "/dl/,   mode=json&include=allx, false",
    })
    void theListingAnswersWithOrWithoutEveryRelease(String path, String query, boolean all) {
        assertThat(DlRequest.parse(path, query)).isEqualTo(new DlRequest.Listing(all));
    }

    @ParameterizedTest
    @CsvSource({
        "/dl/go1.26.3.linux-amd64.tar.gz,        go1.26.3.linux-amd64.tar.gz, ARCHIVE",
        "/dl/go1.26.3.linux-amd64.tar.gz.sha256, go1.26.3.linux-amd64.tar.gz, SHA256",
        "/dl/go1.26.3.windows-amd64.msi.asc,     go1.26.3.windows-amd64.msi,  SIGNATURE",
    })
    void filesAndTheirChecksumsAndSignatures(String path, String filename, DlRequest.Part part) {
        assertThat(DlRequest.parse(path, null)).isEqualTo(new DlRequest.File(filename, part));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/dl/a/b",
                "/dl/..",
                "/dl/go1.2%2F..%2Fx",
                "/dl/listing.json",
                "/dl/.sha256",
                "/dl/x.asc",
                "/dl/go1.26.3.tar.gz.sha256.asc",
                "/dl//go1.tar.gz"
            })
    void anythingElseIsNotFoundWithAReason(String path) {
        assertThatThrownBy(() -> DlRequest.parse(path, null))
                .isInstanceOf(ProxyException.class)
                .satisfies(e -> assertThat(((ProxyException) e).kind()).isEqualTo(ProxyException.Kind.NOT_FOUND))
                .hasMessageContaining("release file");
    }

    @ParameterizedTest
    @CsvSource({
        "/dl, true",
        "/dl/, true",
        "/dl/x, true",
        "/dlx, false",
        "/download, false",
        "/golang.org/dl/@v/list, false"
    })
    void onlyTheDlTreeMatches(String path, boolean matches) {
        assertThat(DlRequest.matches(path)).isEqualTo(matches);
    }
}
