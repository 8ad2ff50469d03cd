package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Smaller HTTP/1.1 conformance points (RFC 9110, RFC 9112) and what error bodies may show, over raw sockets. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtocolEdgesTest {
    @TempDir
    static Path tmp;

    private GoProxyTree tree;
    private TestUpstream upstream;
    private TestServers.Running granary;

    @BeforeAll
    void start() throws Exception {
        tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        upstream = TestUpstream.serve(tree.root());
        granary = TestServers.start(tmp.resolve("storage"), upstream.uri().toString(), Map.of());
    }

    @AfterAll
    void stop() {
        granary.close();
        upstream.close();
    }

    private RawHttp.Response exchange(String raw, boolean head) throws Exception {
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(raw);
            return c.read(head);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "get", "BREW"})
    void otherMethodsAre405AndNameTheAllowedOnes(String method) throws Exception {
        RawHttp.Response r = exchange(request(method, "/rsc.io/quote/@v/list"), false);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.header("allow")).isEqualTo("GET, HEAD");
        assertThat(r.header("cache-control")).isEqualTo("no-store");
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/9.9", "HTTP/2.0", "HTTP/0.9", "HTTP/3.0"})
    void unsupportedHttpVersionsAre505AndClose(String version) throws Exception {
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send("GET /healthz " + version + "\r\nHost: x\r\n\r\n" + request("GET", "/healthz"));
            RawHttp.Response r = c.read(false);
            assertThat(r.status()).as(r.toString()).isEqualTo(505);
            assertThat(r.closes()).isTrue();
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void http10IsServedAndClosedUnlessKeptAlive() throws Exception {
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send("GET /healthz HTTP/1.0\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertThat(r.text()).isEqualTo("ok\n");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertThat(r.header("connection")).isEqualToIgnoringCase("keep-alive");
            assertThat(c.read(false).text()).isEqualTo("ok\n");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void absoluteFormTargetsAreServedByTheirPath() throws Exception {
        byte[] list = exchange(request("GET", "/rsc.io/quote/@v/list"), false).body();
        RawHttp.Response r = exchange(
                request("GET", "http://127.0.0.1:" + granary.address().getPort() + "/rsc.io/quote/@v/list"), false);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(list);
        assertThat(exchange(request("GET", "HTTP://proxy.example/healthz?x=1"), false)
                        .text())
                .isEqualTo("ok\n");
        assertThat(exchange(request("HEAD", "https://proxy.example/rsc.io/quote/@v/v1.5.2.info"), true)
                        .status())
                .isEqualTo(200);
        assertThat(exchange(request("GET", "http://proxy.example"), false).status())
                .isEqualTo(200);
    }

    @Test
    void clientsThatLeaveMidHeaderAreNotCountedAsRequests() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (RawHttp c = RawHttp.connect(granary.address())) {
                c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Unfinished: ");
            }
        }
        String metrics = "";
        for (int attempt = 0;
                attempt < 100 && !metrics.contains("granary_http_connections_aborted_total 3.0");
                attempt++) {
            Thread.sleep(20);
            metrics = ConnectionLimitsTest.scrape(granary.address());
        }
        assertThat(metrics).contains("granary_http_connections_aborted_total 3.0");
        assertThat(metrics).doesNotContain("status=\"400\"");
    }

    @Test
    void errorBodiesNeverShowStoragePathsOrTemporaryFiles() throws Exception {
        Path storage = tmp.resolve("storage");
        // A symbolic link that leads a module's directory out of the storage root: storage refuses it.
        Path outside = Files.createDirectories(tmp.resolve("outside/@v"));
        Files.writeString(outside.resolve("v1.0.0.info"), "{\"Version\":\"v1.0.0\"}");
        Files.createDirectories(storage.resolve("example.com"));
        Files.createSymbolicLink(storage.resolve("example.com/escape"), outside.getParent());
        for (String path : new String[] {
            "/example.com/escape/@v/v1.0.0.info",
            "/example.com/escape/@v/v1.0.0.zip",
            "/example.com/escape/@v/list",
            "/example.com/escape/@latest"
        }) {
            RawHttp.Response r = exchange(request("GET", path), false);
            assertThat(r.status()).as(r.toString()).isBetween(500, 599);
            assertThat(r.text())
                    .isNotBlank()
                    .doesNotContain(storage.toString())
                    .doesNotContain(tmp.toString())
                    .doesNotContain(".tmp-");
        }
        RawHttp.Response ready = exchange(request("GET", "/readyz"), false);
        assertThat(ready.text()).doesNotContain(storage.toString());
    }
}
