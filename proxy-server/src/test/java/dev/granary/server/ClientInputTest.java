package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Request paths that are well-formed HTTP but name things no storage can hold (over-long path
 * elements, versions, queries, keys) are refused with a 404 and a reason before any storage or
 * upstream call: never a 500, never a stack trace in the log. Checked behind an HTTP and a file://
 * upstream, since the latter turns an over-long name into a file-system error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientInputTest {
    @TempDir
    static Path tmp;

    private TestUpstream upstream;
    private TestServers.Running viaHttp;
    private TestServers.Running viaFile;

    @BeforeAll
    void start() throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        upstream = TestUpstream.serve(tree.root());
        // A configured but unreachable checksum database, so /sumdb/ paths get past "not proxied here";
        // modules are private (pinned) so fetches need no database.
        Map<ConfigKey, String> sumdb = Map.of(
                ConfigKey.SUMDB,
                "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 http://127.0.0.1:9/",
                ConfigKey.NOSUMDB,
                "*");
        viaHttp = TestServers.start(tmp.resolve("storage-http"), upstream.uri().toString(), sumdb);
        viaFile = TestServers.start(
                tmp.resolve("storage-file"), tree.root().toUri().toString(), sumdb);
    }

    @AfterAll
    void stop() {
        viaHttp.close();
        viaFile.close();
        upstream.close();
    }

    static Stream<String> overlongOrUnstorablePaths() {
        String a300 = "a".repeat(300);
        return Stream.of(
                "/example.com/" + a300 + "/@v/list",
                "/example.com/" + a300 + "/@latest",
                "/example.com/" + a300 + "/@v/v1.0.0.info",
                "/example.com/" + a300 + "/@v/v1.0.0.zip",
                "/example.com/m/@v/v1.0.0-" + a300 + ".info",
                "/example.com/m/@v/v1.0.0-" + a300 + ".mod",
                "/example.com/m/@v/v1.0.0-" + "b".repeat(247) + ".info",
                "/rsc.io/quote/@v/" + "c".repeat(300) + ".info",
                "/rsc.io/quote/@v/" + "!c".repeat(130) + ".info",
                "/example.com/" + "a/".repeat(600) + "@v/list",
                "/example.com/" + "a/".repeat(500) + "@v/v1.0.0.info",
                "/example.com/" + "abcdefghij/".repeat(95) + "@latest",
                "/example.com/" + "x".repeat(250) + "/@v/v1.0.0-" + "y".repeat(5) + ".zip",
                "/example.com/" + "x".repeat(240) + "/@v/v1.0.0-" + "y".repeat(20) + ".zip",
                "/sumdb/sum.golang.org/lookup/example.com/" + a300 + "@v1.0.0",
                "/sumdb/sum.golang.org/lookup/example.com/m@v1.0.0-" + a300,
                "/sumdb/sum.golang.org/lookup/example.com/m",
                "/sumdb/sum.golang.org/lookup/example.com/m@",
                "/sumdb/sum.golang.org/lookup/@v1.0.0",
                "/sumdb/sum.golang.org/lookup/example.com/m@not-a-version",
                "/sumdb/sum.golang.org/tile/8/0/" + "9".repeat(40),
                "/sumdb/sum.golang.org/tile/8/0/x" + "1".repeat(300),
                "/sumdb/sum.golang.org/tile/99999999999/0/000",
                "/sumdb/sum.golang.org/tile/8/-1/000",
                "/sumdb/sum.golang.org/tile/8/0/000.p/0",
                "/sumdb/sum.golang.org/tile/8/0/000.p/999999999999",
                "/sumdb/sum.golang.org/tile/8/0/000.p/",
                "/sumdb/sum.golang.org/tile/8/data/" + "0".repeat(300),
                "/sumdb/sum.golang.org/tile/",
                "/sumdb/sum.golang.org/latest/more",
                "/sumdb/sum.golang.org/supported/x",
                "/sumdb/sum.golang.org/" + a300,
                "/sumdb/" + "s".repeat(300) + "/latest");
    }

    @ParameterizedTest
    @MethodSource("overlongOrUnstorablePaths")
    void unstorableNamesAre404WithAReasonAndNoStackTrace(String path) throws Exception {
        for (TestServers.Running granary : List.of(viaHttp, viaFile)) {
            for (String method : List.of("GET", "HEAD")) {
                try (LogCapture logs = new LogCapture();
                        RawHttp c = RawHttp.connect(granary.address())) {
                    c.send(request(method, path));
                    RawHttp.Response r = c.read(method.equals("HEAD"));
                    assertThat(r.status())
                            .as("%s %s: %s", method, path.length() > 120 ? path.substring(0, 120) + "..." : path, r)
                            .isEqualTo(404);
                    assertThat(r.header("content-type")).isEqualTo("text/plain; charset=utf-8");
                    assertThat(r.header("cache-control")).isEqualTo("no-store");
                    if (method.equals("GET")) {
                        assertThat(r.text().strip()).isNotEmpty();
                    }
                    assertThat(logs.noisy()).isEmpty();
                }
            }
        }
    }

    static Stream<String> oddButHarmlessRequests() {
        List<String> out = new ArrayList<>();
        out.add("/rsc.io/quote/@v/list?" + "q=" + "x".repeat(3000));
        out.add("/rsc.io/quote/@v/list?%zz%00%ff");
        out.add("/rsc.io/quote/@v/list#fragment");
        out.add("/rsc.io/quote/@v/%76%31%2e%35%2e%32.info");
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("oddButHarmlessRequests")
    void oddQueryStringsAndEscapesAreNot5xx(String target) throws Exception {
        try (LogCapture logs = new LogCapture();
                RawHttp c = RawHttp.connect(viaHttp.address())) {
            c.send(request("GET", target));
            RawHttp.Response r = c.read(false);
            assertThat(r.status()).as(r.toString()).isLessThan(500);
            assertThat(logs.noisy()).isEmpty();
        }
    }
}
