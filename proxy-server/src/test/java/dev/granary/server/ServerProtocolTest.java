package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Protocol table: a real server on an ephemeral port, a real upstream, {method, path -> status, type, cache-control, body}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerProtocolTest {
    @TempDir
    static Path tmp;

    private GoProxyTree tree;
    private TestUpstream upstream;
    private TestServers.Running granary;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Files.writeString(tree.versionsDir("rsc.io/quote").resolve("master.info"), "{\"Version\":\"v1.5.2\"}");
        // What a proxy answers for v2.0.0 of a path without /v2: the version it resolves to (proxyRepo.Stat).
        tree.addGoTestModules("rsc.io_breaker_v2.0.0+incompatible.txt");
        Files.writeString(
                tree.versionsDir("rsc.io/breaker").resolve("v2.0.0.info"), "{\"Version\":\"v2.0.0+incompatible\"}");
        upstream = TestUpstream.serve(tree.root());
        granary = TestServers.start(tmp.resolve("storage"), upstream.uri().toString(), Map.of());
    }

    @AfterAll
    void stop() {
        granary.close();
        upstream.close();
    }

    private HttpResponse<byte[]> send(String method, String path, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(granary.url() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(
            delimiter = '|',
            nullValues = "-",
            value = {
                "GET |/rsc.io/quote/@v/list                  |200|text/plain; charset=utf-8|public, max-age=60                 |v1.5.2",
                "GET |/rsc.io/quote/@v/v1.5.2.info           |200|application/json         |public, max-age=31536000, immutable|\"Version\":\"v1.5.2\"",
                "GET |/rsc.io/quote/@v/v1.5.2.mod            |200|text/plain; charset=utf-8|public, max-age=31536000, immutable|module \"rsc.io/quote\"",
                "GET |/rsc.io/quote/@v/v1.5.2.zip            |200|application/zip          |public, max-age=31536000, immutable|-",
                "HEAD|/rsc.io/quote/@v/v1.5.2.zip            |200|application/zip          |public, max-age=31536000, immutable|-",
                "GET |/rsc.io/!q!u!o!t!e/@v/v1.5.2.info      |200|application/json         |public, max-age=31536000, immutable|v1.5.2",
                "GET |/rsc.io/%21q%21u%21o%21t%21e/@v/list   |200|text/plain; charset=utf-8|public, max-age=60                 |v1.5.2",
                "GET |/rsc.io/quote/v3/@v/v3.0.0.mod         |200|text/plain; charset=utf-8|public, max-age=31536000, immutable|module rsc.io/quote/v3",
                "GET |/rsc.io/sampler/@latest                |200|application/json         |public, max-age=60                 |v1.99.99",
                "GET |/rsc.io/quote/@v/master.info           |200|application/json         |public, max-age=60                 |v1.5.2",
                "GET |/rsc.io/breaker/@v/v2.0.0.info         |200|application/json         |public, max-age=60                 |\"Version\":\"v2.0.0+incompatible\"",
                "GET |/rsc.io/breaker/@v/v2.0.0.zip          |404|text/plain; charset=utf-8|no-store                           |should be v0 or v1, not v2",
                "GET |/rsc.io/quote/@v/v1.9.9.info           |404|text/plain; charset=utf-8|no-store                           |not found",
                "GET |/example.com/nothing/@v/list           |404|text/plain; charset=utf-8|no-store                           |not found",
                "GET |/rsc.io/quote/@v/v1.5.zip              |404|text/plain; charset=utf-8|no-store                           |not canonical",
                "GET |/rsc.io/Quote/@v/list                  |404|text/plain; charset=utf-8|no-store                           |-",
                "POST|/rsc.io/quote/@v/list                  |405|text/plain; charset=utf-8|no-store                           |GET and HEAD",
                "GET |/healthz                               |200|text/plain; charset=utf-8|no-store                           |ok",
                "GET |/readyz                                |200|text/plain; charset=utf-8|no-store                           |ready",
            })
    void protocolTable(String method, String path, int status, String type, String cacheControl, String body)
            throws Exception {
        HttpResponse<byte[]> r = send(method.strip(), path.strip());
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue(type.strip());
        assertThat(r.headers().firstValue("cache-control")).hasValue(cacheControl.strip());
        if (body != null) {
            assertThat(new String(r.body())).contains(body.strip());
        }
    }

    @Test
    void zipHasLengthEtagAndTheUpstreamsBytes() throws Exception {
        byte[] expected = Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".zip"));
        HttpResponse<byte[]> r = send("GET", "/rsc.io/quote/@v/v1.5.2.zip");
        assertThat(r.body()).isEqualTo(expected);
        assertThat(r.headers().firstValueAsLong("content-length")).hasValue(expected.length);
        assertThat(r.headers().firstValue("etag")).isPresent();
        assertThat(r.headers().firstValue("accept-ranges")).hasValue("bytes");

        HttpResponse<byte[]> head = send("HEAD", "/rsc.io/quote/@v/v1.5.2.zip");
        assertThat(head.headers().firstValueAsLong("content-length")).hasValue(expected.length);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void conditionalGetAnswers304() throws Exception {
        HttpResponse<byte[]> r = send("GET", "/rsc.io/quote/@v/v1.5.2.zip");
        String etag = r.headers().firstValue("etag").orElseThrow();
        HttpResponse<byte[]> again = send("GET", "/rsc.io/quote/@v/v1.5.2.zip", "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        HttpResponse<byte[]> other = send("GET", "/rsc.io/quote/@v/v1.5.2.zip", "If-None-Match", "\"something-else\"");
        assertThat(other.statusCode()).isEqualTo(200);
    }

    @Test
    void rangeRequestsAnswer206WithTheSlice() throws Exception {
        byte[] expected = Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.2", ".zip"));
        HttpResponse<byte[]> r = send("GET", "/rsc.io/quote/@v/v1.5.2.zip", "Range", "bytes=10-109");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(expected, 10, 110));
        assertThat(r.headers().firstValue("content-range")).hasValue("bytes 10-109/" + expected.length);

        HttpResponse<byte[]> suffix = send("GET", "/rsc.io/quote/@v/v1.5.2.zip", "Range", "bytes=-20");
        assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(expected, expected.length - 20, expected.length));

        HttpResponse<byte[]> bad =
                send("GET", "/rsc.io/quote/@v/v1.5.2.zip", "Range", "bytes=" + expected.length + "-");
        assertThat(bad.statusCode()).isEqualTo(416);
    }

    @Test
    void metricsExposeRequestsCacheLookupsAndUpstreamFetches() throws Exception {
        send("GET", "/rsc.io/sampler/@v/v1.3.0.info");
        send("GET", "/rsc.io/sampler/@v/v1.3.0.info");
        HttpResponse<byte[]> r = send("GET", "/metrics");
        String text = new String(r.body());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text)
                .contains("granary_http_requests_seconds_count{kind=\"info\",status=\"200\"}")
                .contains("granary_http_requests_seconds_bucket")
                .contains("granary_cache_lookups_total{kind=\"info\",result=\"hit\",tier=\"hot\"}")
                .contains("granary_upstream_fetch_seconds_count{kind=\"zip\",result=\"ok\"}")
                .contains("granary_served_bytes_total")
                .contains("granary_hot_size_bytes")
                .contains("jvm_memory_used_bytes");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/../../../../etc/passwd",
                "/rsc.io/%2e%2e/%2e%2e/%2e%2e/etc/@v/list",
                "/%2e%2e%2f%2e%2e%2fetc/@v/list",
                "/rsc.io%2fquote/@v/v1.5.2.zip",
                "/rsc.io/quote/@v/..%2f..%2f..%2fescape.zip",
                "/rsc.io/!/@v/list",
                "/rsc.io/quote/@v/v1.5.2.zip%00.txt",
                "/sumdb/..%2f..%2fetc/latest",
            })
    void hostilePathsGet4xxAndTouchNothingOutsideStorage(String raw) throws Exception {
        List<Path> before = listTree(tmp);
        int status = TestServers.rawStatus(granary.address(), "GET", raw);
        assertThat(status).isBetween(400, 499);
        List<Path> after = listTree(tmp);
        assertThat(after.stream()
                        .filter(p -> !p.startsWith(tmp.resolve("storage")) && !before.contains(p))
                        .toList())
                .isEmpty();
    }

    @Test
    void overlongPathsGet4xx() throws Exception {
        int status = TestServers.rawStatus(granary.address(), "GET", "/example.com/" + "a/".repeat(1100) + "@v/list");
        assertThat(status).isBetween(400, 499);
    }

    private static List<Path> listTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.toList();
        }
    }
}
