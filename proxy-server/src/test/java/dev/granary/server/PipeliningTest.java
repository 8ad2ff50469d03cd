package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/1.1 pipelining over raw sockets (RFC 9112 section 9.3.2): answers leave in request order, each
 * with its own body, even when an earlier request is slow (a cold fetch) and a later one is instant;
 * after an answer that closes the connection nothing else is answered.
 */
class PipeliningTest {
    @TempDir
    Path tmp;

    private GoProxyTree tree;
    private TestUpstream upstream;
    private TestServers.Running granary;

    @BeforeEach
    void start() throws Exception {
        tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        upstream = TestUpstream.serve(tree.root());
        // Cold fetches take a while, so a later pipelined /healthz would finish first if answers went out
        // in completion order.
        upstream.delay(150);
        granary = TestServers.start(tmp.resolve("storage"), upstream.uri().toString(), Map.of());
    }

    @AfterEach
    void stop() {
        granary.close();
        upstream.close();
    }

    @Test
    void aSlowGetAndAFastHeadOnOneConnectionAreAnsweredInOrderEachWithItsOwnBody() throws Exception {
        byte[] info = Files.readAllBytes(tree.file("rsc.io/quote", "v1.5.1", ".info"));
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("GET", "/rsc.io/quote/@v/v1.5.1.info")
                    + request("HEAD", "/healthz")
                    + request("GET", "/healthz"));
            RawHttp.Response first = c.read(false);
            assertThat(first.status()).as(first.toString()).isEqualTo(200);
            assertThat(first.body()).isEqualTo(info);
            RawHttp.Response head = c.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.contentLength()).isEqualTo(3);
            RawHttp.Response get = c.read(false);
            assertThat(get.text()).isEqualTo("ok\n");
            // Nothing stray is left on the connection (a HEAD answer with a body would show up here).
            c.send(request("GET", "/rsc.io/quote/@v/v1.5.1.info"));
            assertThat(c.read(false).body()).isEqualTo(info);
        }
    }

    @Test
    void aConnectionCloseAnswerIsTheLastOneAndEarlierRequestsAreStillAnswered() throws Exception {
        byte[] mod = Files.readAllBytes(tree.file("rsc.io/quote", "v1.4.0", ".mod"));
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("GET", "/rsc.io/quote/@v/v1.4.0.mod")
                    + request("GET", "/healthz", "Connection: close")
                    + request("GET", "/healthz"));
            RawHttp.Response first = c.read(false);
            assertThat(first.status()).as(first.toString()).isEqualTo(200);
            assertThat(first.body()).isEqualTo(mod);
            assertThat(first.closes()).isFalse();
            RawHttp.Response second = c.read(false);
            assertThat(second.text()).isEqualTo("ok\n");
            assertThat(second.closes()).isTrue();
            assertThat(c.closedByServer())
                    .as("no answer after Connection: close")
                    .isTrue();
        }
    }

    @Test
    void manyMixedRequestsInOneWriteComeBackInOrder() throws Exception {
        String[][] requests = {
            {"GET", "/rsc.io/sampler/@v/v1.3.0.mod"},
            {"HEAD", "/rsc.io/sampler/@v/v1.3.0.zip"},
            {"GET", "/healthz"},
            {"GET", "/rsc.io/sampler/@v/v1.3.1.info"},
            {"HEAD", "/healthz"},
            {"GET", "/rsc.io/sampler/@v/v1.3.0.zip"},
            {"GET", "/example.com/missing/@v/list"},
            {"GET", "/rsc.io/sampler/@v/v1.3.1.mod"},
        };
        StringBuilder wire = new StringBuilder();
        for (String[] r : requests) {
            wire.append(request(r[0], r[1]));
        }
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(wire.toString());
            assertThat(c.read(false).body())
                    .isEqualTo(Files.readAllBytes(tree.file("rsc.io/sampler", "v1.3.0", ".mod")));
            RawHttp.Response zipHead = c.read(true);
            assertThat(zipHead.contentLength()).isEqualTo(Files.size(tree.file("rsc.io/sampler", "v1.3.0", ".zip")));
            assertThat(c.read(false).text()).isEqualTo("ok\n");
            assertThat(c.read(false).body())
                    .isEqualTo(Files.readAllBytes(tree.file("rsc.io/sampler", "v1.3.1", ".info")));
            assertThat(c.read(true).contentLength()).isEqualTo(3);
            assertThat(c.read(false).body())
                    .isEqualTo(Files.readAllBytes(tree.file("rsc.io/sampler", "v1.3.0", ".zip")));
            assertThat(c.read(false).status()).isEqualTo(404);
            assertThat(c.read(false).body())
                    .isEqualTo(Files.readAllBytes(tree.file("rsc.io/sampler", "v1.3.1", ".mod")));
        }
    }
}
