package dev.granary.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AccessLogTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "/rsc.io/quote/@v/list|/rsc.io/quote/@v/list",
                "/rsc.io/quote/@v/list?token=secret|/rsc.io/quote/@v/list",
                "/x#frag?a|/x",
                "http://user:pass@host:3000/rsc.io/quote/@latest?x=1|/rsc.io/quote/@latest",
                "https://host|/",
            })
    void thePathNeverCarriesQueriesFragmentsOrCredentials(String target, String path) {
        assertThat(AccessLog.path(target)).isEqualTo(path);
    }

    @Test
    void aHostilePathCannotForgeALineOrAField() {
        String line = AccessLog.text(
                "GET",
                "/a b\n2026-01-01 method=GET path=/forged \"x\"\u00e9",
                404,
                10,
                1_500_000,
                "-",
                "127.0.0.1",
                "invalid");
        assertThat(line).doesNotContain("\n");
        assertThat(line)
                .startsWith(
                        "method=GET path=\"/a b\\x0a2026-01-01 method=GET path=/forged \\\"x\\\"\\u00e9\" status=404 bytes=10 duration_ms=1.500 tier=- client=127.0.0.1 kind=invalid");
    }

    @Test
    void jsonLinesHaveTypedFields() throws Exception {
        JsonNode n = new ObjectMapper()
                .readTree(AccessLog.json(
                        Instant.parse("2026-11-27T10:00:00Z"),
                        "HEAD",
                        "/m/@v/v1.0.0.zip?k=v",
                        200,
                        1234,
                        2_000_000,
                        "disk",
                        "10.0.0.7",
                        "zip"));
        assertThat(n.get("time").asText()).isEqualTo("2026-11-27T10:00:00Z");
        assertThat(n.get("method").asText()).isEqualTo("HEAD");
        assertThat(n.get("path").asText()).isEqualTo("/m/@v/v1.0.0.zip");
        assertThat(n.get("status").asInt()).isEqualTo(200);
        assertThat(n.get("bytes").asLong()).isEqualTo(1234);
        assertThat(n.get("duration_ms").asDouble()).isEqualTo(2.0);
        assertThat(n.get("tier").asText()).isEqualTo("disk");
        assertThat(n.get("client").asText()).isEqualTo("10.0.0.7");
    }
}
