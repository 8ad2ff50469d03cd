package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Granary process killed with SIGKILL while committing versions: after a restart (with the
 * upstream gone), every version it serves is whole and byte-identical to the upstream's, and the
 * others are simply absent.
 */
class CrashSafetyIT {
    private static final int VERSIONS = 16;

    @TempDir
    Path tmp;

    @Test
    void sigkillMidCommitNeverLeavesAHalfVersionServed() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        Random random = new Random(42);
        for (int i = 0; i < VERSIONS; i++) {
            // Incompressible 4 MiB bodies so that committing takes long enough to be interrupted.
            tree.addIncompressible("example.com/crash", "v1.0." + i, 4 << 20, random);
        }
        Path storage = tmp.resolve("storage");
        HttpClient http = HttpClient.newHttpClient();

        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            Process p = startGranary(storage, upstream.uri().toString());
            int port = awaitPort(p);
            List<CompletableFuture<HttpResponse<Void>>> inFlight = new ArrayList<>();
            for (int i = 0; i < VERSIONS; i++) {
                inFlight.add(http.sendAsync(
                        HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + port + "/example.com/crash/@v/v1.0." + i + ".zip"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding()));
            }
            // Kill once the first version is committed: the others are mid-fetch or mid-commit.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!anyInfo(storage) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            inFlight.forEach(f -> f.cancel(true));
        }

        // Restart with the upstream gone: only committed versions may be served, and they must be whole.
        try (TestServers.Running granary = TestServers.start(storage, "off", Map.of())) {
            int served = 0;
            for (int i = 0; i < VERSIONS; i++) {
                String base = granary.url() + "/example.com/crash/@v/v1.0." + i;
                HttpResponse<byte[]> info = http.send(
                        HttpRequest.newBuilder(URI.create(base + ".info")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (info.statusCode() == 404) {
                    continue;
                }
                assertThat(info.statusCode()).isEqualTo(200);
                HttpResponse<byte[]> zip = http.send(
                        HttpRequest.newBuilder(URI.create(base + ".zip")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                HttpResponse<byte[]> mod = http.send(
                        HttpRequest.newBuilder(URI.create(base + ".mod")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(zip.statusCode()).isEqualTo(200);
                assertThat(mod.statusCode()).isEqualTo(200);
                assertThat(zip.body())
                        .isEqualTo(Files.readAllBytes(tree.file("example.com/crash", "v1.0." + i, ".zip")));
                served++;
            }
            assertThat(served)
                    .as("versions committed before the kill")
                    .isGreaterThan(0)
                    .isLessThan(VERSIONS);
            String list = new String(
                    http.send(
                                    HttpRequest.newBuilder(URI.create(granary.url() + "/example.com/crash/@v/list"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofByteArray())
                            .body(),
                    StandardCharsets.UTF_8);
            assertThat(list.lines().count()).isEqualTo(served);
        }
        // No temporary file of the killed process is ever listed or served; the restart swept or ignored them.
        try (Stream<Path> s = Files.walk(storage)) {
            assertThat(s.filter(f -> f.getFileName().toString().endsWith(".info"))
                            .count())
                    .isLessThanOrEqualTo(VERSIONS);
        }
    }

    @Test
    void sigkillAfterEarlyAnswersNeverLeavesAHalfVersionServed() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        Random random = new Random(7);
        for (int i = 0; i < VERSIONS; i++) {
            tree.addIncompressible("example.com/crash", "v1.0." + i, 4 << 20, random);
        }
        Path storage = tmp.resolve("storage");
        HttpClient http = HttpClient.newHttpClient();
        int early = 0;

        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            Process p = startGranary(storage, upstream.uri().toString());
            int port = awaitPort(p);
            String base = "http://127.0.0.1:" + port + "/example.com/crash/@v/v1.0.";
            // The go command loads the module graph first: .info and .mod of every version, answered before commit.
            List<CompletableFuture<HttpResponse<byte[]>>> mods = new ArrayList<>();
            for (int i = 0; i < VERSIONS; i++) {
                http.sendAsync(
                        HttpRequest.newBuilder(URI.create(base + i + ".info")).build(),
                        HttpResponse.BodyHandlers.discarding());
                mods.add(http.sendAsync(
                        HttpRequest.newBuilder(URI.create(base + i + ".mod")).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            // Kill as soon as the first .mod is answered: its version is being committed, the others are mid-fetch.
            CompletableFuture.anyOf(mods.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            for (CompletableFuture<HttpResponse<byte[]>> m : mods) {
                if (m.isDone() && !m.isCompletedExceptionally() && m.join().statusCode() == 200) {
                    assertThat(m.join().body())
                            .isEqualTo("module example.com/crash\n".getBytes(StandardCharsets.UTF_8));
                    early++;
                }
                m.cancel(true);
            }
        }
        assertThat(early).as(".mod answers before the kill").isPositive();

        // Restarted with the upstream gone: a version is whole (all three files as the upstream had them) or absent.
        try (TestServers.Running granary = TestServers.start(storage, "off", Map.of())) {
            for (int i = 0; i < VERSIONS; i++) {
                String base = granary.url() + "/example.com/crash/@v/v1.0." + i;
                int info = http.send(
                                HttpRequest.newBuilder(URI.create(base + ".info"))
                                        .build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode();
                HttpResponse<byte[]> mod = http.send(
                        HttpRequest.newBuilder(URI.create(base + ".mod")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                HttpResponse<byte[]> zip = http.send(
                        HttpRequest.newBuilder(URI.create(base + ".zip")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (info == 404) {
                    assertThat(mod.statusCode())
                            .as("v1.0." + i + ".mod of a version not committed")
                            .isEqualTo(404);
                    assertThat(zip.statusCode())
                            .as("v1.0." + i + ".zip of a version not committed")
                            .isEqualTo(404);
                    continue;
                }
                assertThat(info).isEqualTo(200);
                assertThat(mod.statusCode()).isEqualTo(200);
                assertThat(zip.statusCode()).isEqualTo(200);
                assertThat(mod.body())
                        .isEqualTo(Files.readAllBytes(tree.file("example.com/crash", "v1.0." + i, ".mod")));
                assertThat(zip.body())
                        .isEqualTo(Files.readAllBytes(tree.file("example.com/crash", "v1.0." + i, ".zip")));
            }
        }
    }

    @Test
    void sigtermFinishesInFlightResponsesAndLeavesNoTemporaryFiles() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("example.com/slow", "v1.0.0");
        Path storage = tmp.resolve("storage");
        HttpClient http = HttpClient.newHttpClient();
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            upstream.delay(1500);
            Process p = startGranary(storage, upstream.uri().toString());
            int port = awaitPort(p);
            CompletableFuture<HttpResponse<byte[]>> inFlight = http.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/example.com/slow/@v/v1.0.0.zip"))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            while (upstream.totalHits() == 0) {
                Thread.sleep(10);
            }
            p.destroy(); // SIGTERM
            HttpResponse<byte[]> r = inFlight.get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(Files.readAllBytes(tree.file("example.com/slow", "v1.0.0", ".zip")));
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isIn(0, 143);
            // One fetch of each artifact: the shutdown did not cut the fetch short and retry it.
            assertThat(upstream.totalHits()).isEqualTo(3);
        }
        try (Stream<Path> s = Files.walk(storage)) {
            assertThat(s.filter(f -> f.getFileName().toString().startsWith(".tmp-"))
                            .toList())
                    .isEmpty();
        }
    }

    private static boolean anyInfo(Path storage) {
        Path dir = storage.resolve("example.com/crash/@v");
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(f -> f.getFileName().toString().endsWith(".info"));
        } catch (IOException e) {
            return false;
        }
    }

    static Process startGranary(Path storage, String upstream) throws IOException {
        return TestServers.startProcess(
                List.of("-Xmx256m"),
                Map.of(),
                "--listen",
                "127.0.0.1:0",
                "--storage",
                storage.toString(),
                "--upstream",
                upstream,
                "--sumdb",
                "off");
    }

    static int awaitPort(Process p) throws IOException {
        return TestServers.awaitPort(p);
    }
}
