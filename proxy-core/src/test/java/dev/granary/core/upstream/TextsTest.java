package dev.granary.core.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TextsTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "http://user:pw@host/x          | http://user:***@host/x",
                "https://tok@host:8443/         | https://***@host:8443/",
                "http://host/a@b                | http://host/a@b",
                "http://u:p@w@host/             | http://u:***@host/",
                "http://u:pw@bad host/          | http://u:***@bad host/",
                "http://u:pw@host?q=a@b         | http://u:***@host?q=a@b",
                "https://proxy.golang.org       | https://proxy.golang.org",
            })
    void redactsUserinfo(String url, String shown) {
        assertThat(Texts.redact(url)).isEqualTo(shown);
    }

    @Test
    void redactsParsedUris() {
        assertThat(Texts.redact(URI.create("http://u:p%40ss@h/"))).isEqualTo("http://u:***@h/");
        assertThat(Texts.redact(URI.create("http://h/"))).isEqualTo("http://h/");
    }

    @Test
    void reasonsScrubSecretsBeforeTheyAreCut() {
        String secret = "a  very\tlong secret";
        String text = "x".repeat(Texts.MAX_REASON_CHARS - 5) + secret + " tail";
        String r = Texts.reason(text, List.of(secret), List.of());
        assertThat(r).doesNotContain("a very").doesNotContain("secret").endsWith("...");
        // Also when the echo rewrote the secret's whitespace.
        assertThat(Texts.reason("got a very long secret", List.of(secret), List.of()))
                .isEqualTo("got ***");
    }

    @Test
    void printableDropsControlAndFormatCharacters() {
        assertThat(Texts.printable("\u001b[2J\u0007bell\u200b\u202eevil\r\n\tok  \u00e9t\u00e9"))
                .isEqualTo("[2J bell evil ok \u00e9t\u00e9");
    }

    @Test
    void credentialsPreferAnEntryWithThePort() {
        UpstreamCredentials c = UpstreamCredentials.parse(
                "h=bearer:env:A h:8443=bearer:env:B,[::1]=bearer:env:A", Map.of("A", "a-token", "B", "b-token"));
        assertThat(c.authorization(URI.create("https://h:8443/x")).orElseThrow().header())
                .isEqualTo("Bearer b-token");
        assertThat(c.authorization(URI.create("https://H/x")).orElseThrow().header())
                .isEqualTo("Bearer a-token");
        assertThat(c.authorization(URI.create("http://[::1]:9/x")).orElseThrow().header())
                .isEqualTo("Bearer a-token");
        assertThat(c.authorization(URI.create("https://other/x"))).isEmpty();
        assertThat(c.authorization(URI.create("https://h:8443/x")).orElseThrow().toString())
                .doesNotContain("token");
    }
}
