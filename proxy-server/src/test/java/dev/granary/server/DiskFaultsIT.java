package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.LogCapture;
import dev.granary.core.testing.SmallFilesystem;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local disk faults: temporary files of a killed process, a disk with room for one copy of a zip but
 * not two, a disk that fills up during a download. Real processes and real (tmpfs) file systems.
 */
class DiskFaultsIT {
    private static final String MODULE = "example.com/big";

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    /** A module whose zip holds {@code mib} MiB of incompressible data. */
    private GoProxyTree bigModule(int mib) throws IOException {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        byte[] blob = new byte[mib << 20];
        new Random(7).nextBytes(blob);
        Map<String, byte[]> files = new TreeMap<>();
        files.put("go.mod", ("module " + MODULE + "\n").getBytes(StandardCharsets.UTF_8));
        files.put("data.bin", blob);
        tree.add(
                MODULE,
                "v1.0.0",
                "{\"Version\":\"v1.0.0\"}".getBytes(StandardCharsets.UTF_8),
                ("module " + MODULE + "\n").getBytes(StandardCharsets.UTF_8),
                files);
        return tree;
    }

    private static List<Path> tempFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
        }
    }

    private HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void temporaryFilesOfAKilledProcessAreGoneRightAfterTheRestart() throws Exception {
        GoProxyTree tree = bigModule(48);
        Path storage = tmp.resolve("storage");
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            Process p = TestServers.startProcess(
                    List.of("-Xmx256m"),
                    Map.of(),
                    "--listen",
                    "127.0.0.1:0",
                    "--storage",
                    storage.toString(),
                    "--upstream",
                    upstream.uri().toString(),
                    "--sumdb",
                    "off");
            int port = TestServers.awaitPort(p);
            CompletableFuture<HttpResponse<Void>> inFlight = http.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/" + MODULE + "/@v/v1.0.0.zip"))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (tempFiles(storage).stream().noneMatch(DiskFaultsIT::nonEmpty) && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            inFlight.cancel(true);
            assertThat(tempFiles(storage))
                    .as("the kill left a partial download behind")
                    .isNotEmpty();
        }
        // Seconds old, so an age rule would keep them; their owner is gone, so the restart removes them.
        try (TestServers.Running granary = TestServers.start(storage, "off", Map.of())) {
            assertThat(tempFiles(storage)).isEmpty();
            assertThat(get(granary.url() + "/" + MODULE + "/@v/v1.0.0.info").statusCode())
                    .isEqualTo(404);
        }
    }

    private static boolean nonEmpty(Path p) {
        try {
            return Files.size(p) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aVerifiedZipIsRenamedIntoPlaceSoADiskWithRoomForOneCopySuffices() throws Exception {
        GoProxyTree tree = bigModule(20);
        long zip = Files.size(tree.file(MODULE, "v1.0.0", ".zip"));
        try (SmallFilesystem fs = SmallFilesystem.mount(tmp.resolve("small"), "30m");
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary =
                        TestServers.start(fs.dir(), upstream.uri().toString(), Map.of())) {
            assertThat(zip).isGreaterThan(15L << 20).isLessThan(30L << 20);
            HttpResponse<byte[]> rsp = get(granary.url() + "/" + MODULE + "/@v/v1.0.0.zip");
            assertThat(rsp.statusCode())
                    .as(new String(rsp.body(), 0, Math.min(300, rsp.body().length), StandardCharsets.UTF_8))
                    .isEqualTo(200);
            assertThat(rsp.body()).isEqualTo(Files.readAllBytes(tree.file(MODULE, "v1.0.0", ".zip")));
            assertThat(tempFiles(fs.dir())).isEmpty();
        }
    }

    @Test
    void aDiskThatFillsDuringADownloadIsAStorageFaultNotAnUpstreamOne() throws Exception {
        GoProxyTree tree = bigModule(20);
        try (LogCapture logs = new LogCapture();
                SmallFilesystem fs = SmallFilesystem.mount(tmp.resolve("small"), "8m");
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary =
                        TestServers.start(fs.dir(), upstream.uri().toString(), Map.of(ConfigKey.FETCH_RETRIES, "2"))) {
            HttpResponse<byte[]> rsp = get(granary.url() + "/" + MODULE + "/@v/v1.0.0.zip");
            String body = new String(rsp.body(), StandardCharsets.UTF_8);

            assertThat(rsp.statusCode()).isEqualTo(503);
            assertThat(body)
                    .contains("storage")
                    .doesNotContain(upstream.uri().toString())
                    .doesNotContain(fs.dir().toString());
            assertThat(upstream.hits(MODULE + "/@v/v1.0.0.zip"))
                    .as("a local fault is not retried upstream")
                    .isEqualTo(1);
            assertThat(tempFiles(fs.dir())).isEmpty();
            assertThat(Files.exists(fs.dir().resolve(MODULE + "/@v/v1.0.0.info")))
                    .isFalse();
            String metrics = new String(get(granary.url() + "/metrics").body(), StandardCharsets.UTF_8);
            assertThat(metrics)
                    .containsPattern("granary_storage_errors_total\\{operation=\"download\",tier=\"disk\"\\} 1");
            assertThat(logs.lines())
                    .anySatisfy(line -> assertThat(line)
                            .startsWith("ERROR")
                            .contains("storage failure fetching " + MODULE + "@v1.0.0"));
        }
    }
}
