package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 connections at once, each with 50 pipelined requests in one write: GET and HEAD of .info, .mod
 * and .zip (small zips from the hot tier, large ones zero-copy from disk), cold (fetched from a
 * loopback upstream during the test, many connections asking for the same version at once) and hot,
 * plus health checks and not-found paths. Every answer is checked byte for byte, in order.
 */
class PipeliningSoakTest {
    private static final int CONNECTIONS = 200;
    private static final int PIPELINED = 50;

    @TempDir
    Path tmp;

    /** One request and what must come back for it. */
    record Expected(String method, String path, int status, byte[] body) {
        boolean head() {
            return method.equals("HEAD");
        }
    }

    @Test
    void pipelinedMixedRequestsOnManyConnectionsAreAnsweredInOrderByteForByte() throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Random random = new Random(20261127);
        for (int i = 0; i < 24; i++) {
            tree.addSimple("example.com/soak/m" + i, "v1.0." + (i % 3));
        }
        for (int i = 0; i < 3; i++) {
            // Incompressible zips of about 1.5 MiB: above the hot tier's item limit, so sent from disk.
            tree.addIncompressible("example.com/soak/big" + i, "v1.0.0", 3 << 19, random);
        }
        List<Expected> catalogue = new ArrayList<>();
        for (GoProxyTree.Entry e : tree.entries()) {
            for (String ext : new String[] {".info", ".mod", ".zip"}) {
                byte[] body = Files.readAllBytes(tree.file(e.module(), e.version(), ext));
                String path = "/"
                        + tree.root()
                                .relativize(tree.file(e.module(), e.version(), ext))
                                .toString()
                                .replace('\\', '/');
                catalogue.add(new Expected("GET", path, 200, body));
                catalogue.add(new Expected("HEAD", path, 200, body));
            }
        }
        catalogue.add(new Expected("GET", "/healthz", 200, "ok\n".getBytes(StandardCharsets.UTF_8)));
        catalogue.add(new Expected("HEAD", "/healthz", 200, "ok\n".getBytes(StandardCharsets.UTF_8)));
        catalogue.add(new Expected("GET", "/example.com/soak/missing/@v/v1.0.0.info", 404, null));
        catalogue.add(new Expected("GET", "/example.com/soak/m1/@v/v9.9.9.mod", 404, null));

        try (TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary = TestServers.start(
                        tmp.resolve("storage"),
                        upstream.uri().toString(),
                        Map.of(ConfigKey.HOT_MAX_ITEM_BYTES, "256KiB"));
                LogCapture logs = new LogCapture();
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> clients = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                long seed = random.nextLong();
                clients.add(pool.submit(() -> client(granary, catalogue, new Random(seed))));
            }
            int answered = 0;
            for (Future<Integer> f : clients) {
                answered += f.get();
            }
            assertThat(answered).isEqualTo(CONNECTIONS * PIPELINED);
            String metrics = ConnectionLimitsTest.scrape(granary.address());
            assertThat(metrics).doesNotContainPattern("granary_http_requests_seconds_count\\{[^}]*status=\"5");
            assertThat(upstream.hits("example.com/soak/big0/@v/v1.0.0.zip"))
                    .as("one fetch however many asked")
                    .isEqualTo(1);
            assertThat(logs.noisy()).isEmpty();
        }
    }

    /** One connection: all its requests in one write, then every answer read and checked in order. */
    private static int client(TestServers.Running granary, List<Expected> catalogue, Random random) throws Exception {
        List<Expected> mine = new ArrayList<>();
        StringBuilder wire = new StringBuilder();
        for (int i = 0; i < PIPELINED; i++) {
            Expected e = catalogue.get(random.nextInt(catalogue.size()));
            mine.add(e);
            wire.append(request(e.method(), e.path()));
        }
        try (RawHttp c = RawHttp.connect(granary.address())) {
            c.send(wire.toString());
            int i = 0;
            for (Expected e : mine) {
                RawHttp.Response r = c.read(e.head());
                String what = "answer " + i++ + " to " + e.method() + " " + e.path();
                assertThat(r.status()).as(what).isEqualTo(e.status());
                assertThat(r.closes()).as(what).isFalse();
                if (e.body() == null) {
                    continue;
                }
                assertThat(r.contentLength()).as(what).isEqualTo(e.body().length);
                if (e.head()) {
                    assertThat(r.body()).as(what).isEmpty();
                } else {
                    assertThat(r.body()).as(what).isEqualTo(e.body());
                }
            }
            return mine.size();
        }
    }
}
