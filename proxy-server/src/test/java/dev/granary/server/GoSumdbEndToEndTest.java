package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The go command with checksum verification ON (GOSUMDB = a real checksum database built from
 * golang.org/x/mod/sumdb, no GONOSUMDB, no GOSUMDB=off), its sumdb traffic through Granary:
 * a clean build; a tampered zip refused and not cached; then a build with the database and the
 * upstream both gone, still verified, from Granary's caches alone.
 */
class GoSumdbEndToEndTest {
    @TempDir
    Path tmp;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void verifiedBuildTamperRefusalAndOfflineVerifiedBuild() throws Exception {
        GoProxyTree tree = GoEndToEndTest.upstreamTree(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("main.go"), """
                package main

                import (
                \t"fmt"

                \t"rsc.io/quote"
                )

                func main() { fmt.Println(quote.Hello()) }
                """);
        Files.writeString(app.resolve("go.mod"), "module example.com/hello\n\ngo 1.19\n\nrequire rsc.io/quote v1.5.2\n");
        Path storage = tmp.resolve("storage");

        TestSumdb db = TestSumdb.start(tree.root());
        TestUpstream upstream = TestUpstream.serve(tree.root());
        try (TestServers.Running granary = TestServers.start(storage, upstream.uri().toString(),
                Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            GoCommand go = new GoCommand(tmp.resolve("go"))
                    .env("GOPROXY", granary.url())
                    .env("GOSUMDB", db.verifierKey()); // no URL: the go command asks Granary's /sumdb/
            long start = System.nanoTime();
            go.run(app, "mod", "download", "all").assertSuccess();
            long coldMillis = (System.nanoTime() - start) / 1_000_000;
            go.run(app, "build", "-o", "hello", ".").assertSuccess();
            assertThat(GoEndToEndTest.runBinary(app.resolve("hello"))).contains("Hello, world.");
            assertThat(Files.readString(app.resolve("go.sum"))).contains("rsc.io/quote v1.5.2 h1:");

            String metrics = get(granary.url() + "/metrics").body();
            assertThat(metrics).contains("granary_sumdb_verifications_total{result=\"ok\"}");
            assertThat(metrics).containsPattern("granary_sumdb_served_total\\{cache=\"[a-z]+\",endpoint=\"lookup\"\\}");
            assertThat(metrics).containsPattern("granary_sumdb_served_total\\{cache=\"[a-z]+\",endpoint=\"tile\"\\}");
            assertThat(metrics).containsPattern("granary_sumdb_tree_size\\{db=\"" + db.name().replace(".", "\\.") + "\"\\} [1-9]");
            System.out.println("cold go mod download with verification through Granary: " + coldMillis + " ms; upstream requests "
                    + upstream.totalHits() + "; checksum database requests by Granary:");
            metrics.lines().filter(l -> l.startsWith("granary_sumdb_fetch_seconds_count")).forEach(System.out::println);

            // The upstream now serves a tampered zip for a version nobody fetched yet.
            String zipPath = "rsc.io/quote/@v/v1.5.1.zip";
            upstream.override(zipPath, tamper(Files.readAllBytes(tree.root().resolve(zipPath))));
            GoCommand.Result tampered = go.run(app, "mod", "download", "-json", "rsc.io/quote@v1.5.1");
            assertThat(tampered.exit()).isNotZero();
            assertThat(tampered.output()).contains("checksum mismatch");
            assertThat(storage.resolve("rsc.io/quote/@v/v1.5.1.info")).doesNotExist();
            assertThat(storage.resolve("rsc.io/quote/@v/v1.5.1.zip")).doesNotExist();
            HttpResponse<String> direct = get(granary.url() + "/" + zipPath);
            assertThat(direct.statusCode()).isEqualTo(502);
            assertThat(direct.body()).contains("checksum mismatch").contains("rsc.io/quote@v1.5.1");
            assertThat(get(granary.url() + "/metrics").body())
                    .contains("granary_verification_failures_total{reason=\"checksum-mismatch\"}");

            // Database and upstream both gone; the client forgets everything it knew.
            db.close();
            upstream.close();
            go.cleanModCache();
            deleteTree(tmp.resolve("go/gopath/pkg/sumdb"));
            Files.delete(app.resolve("go.sum"));
            go.run(app, "mod", "download", "all").assertSuccess();
            go.run(app, "build", "-o", "hello2", ".").assertSuccess();
            assertThat(GoEndToEndTest.runBinary(app.resolve("hello2"))).contains("Hello, world.");
            assertThat(Files.readString(app.resolve("go.sum"))).contains("rsc.io/quote v1.5.2 h1:");
        } finally {
            db.close();
            upstream.close();
        }
    }

    @Test
    void aDatabaseNamedWithAPathIsProxiedUnderItsWholeName() throws Exception {
        // Names are host[/path] (cmd/go/internal/modfetch/sumdb.go), like the go command's own localhost.localdev/sumdb.
        GoProxyTree tree = GoEndToEndTest.upstreamTree(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("main.go"), "package main\n\nimport \"rsc.io/quote\"\n\nfunc main() { println(quote.Hello()) }\n");
        Files.writeString(app.resolve("go.mod"), "module example.com/hello\n\ngo 1.19\n\nrequire rsc.io/quote v1.5.2\n");
        Path storage = tmp.resolve("storage");
        try (TestSumdb db = TestSumdb.startNamed(tree.root(), "sumdb.granary.test/checksums/v1");
             TestUpstream upstream = TestUpstream.serve(tree.root());
             TestServers.Running granary = TestServers.start(storage, upstream.uri().toString(),
                     Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            assertThat(db.name()).isEqualTo("sumdb.granary.test/checksums/v1");
            String base = granary.url() + "/sumdb/" + db.name();
            assertThat(get(base + "/supported").statusCode()).isEqualTo(200);
            HttpResponse<String> latest = get(base + "/latest");
            assertThat(latest.statusCode()).isEqualTo(200);
            assertThat(latest.body()).startsWith("go.sum database tree\n").contains("\n\u2014 " + db.name() + " ");
            HttpResponse<String> lookup = get(base + "/lookup/rsc.io/quote@v1.5.2");
            assertThat(lookup.statusCode()).isEqualTo(200);
            assertThat(lookup.body()).contains("rsc.io/quote v1.5.2 h1:");
            assertThat(storage.resolve("sumdb/sumdb.granary.test/checksums/v1/lookup/rsc.io/quote@v1.5.2")).exists();
            // Another name that only shares the host is not this database.
            assertThat(get(granary.url() + "/sumdb/sumdb.granary.test/latest").statusCode()).isEqualTo(404);

            // The go command, given only the key, finds the database through Granary (no direct fallback: it would fail).
            GoCommand go = new GoCommand(tmp.resolve("go"))
                    .env("GOPROXY", granary.url())
                    .env("GOSUMDB", db.verifierKey());
            go.run(app, "mod", "download", "all").assertSuccess();
            assertThat(Files.readString(app.resolve("go.sum"))).contains("rsc.io/quote v1.5.2 h1:");
            assertThat(get(granary.url() + "/metrics").body())
                    .containsPattern("granary_sumdb_served_total\\{cache=\"[a-z]+\",endpoint=\"tile\"\\}");
        }
    }

    @Test
    void whatVerificationCostsOnAColdFetch() throws Exception {
        GoProxyTree tree = GoEndToEndTest.upstreamTree(tmp.resolve("upstream"));
        String[] versions = {"rsc.io/quote/@v/v1.5.2.zip", "rsc.io/sampler/@v/v1.3.0.zip", "golang.org/x/text/@v/v0.0.0-20170915032832-14c0d48ead0c.zip"};
        try (TestSumdb db = TestSumdb.start(tree.root()); TestUpstream upstream = TestUpstream.serve(tree.root())) {
            long[] nanos = new long[2];
            long lookups = 0;
            long tiles = 0;
            for (int round = 0; round < 2; round++) {
                boolean verify = round == 1;
                Map<ConfigKey, String> config = verify ? Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()) : Map.of();
                try (TestServers.Running g = TestServers.start(tmp.resolve("storage-" + round), upstream.uri().toString(), config)) {
                    // Warm-up (JIT, connections, the first tree head) on another version, outside the measurement.
                    assertThat(get(g.url() + "/rsc.io/quote/@v/v1.4.0.zip").statusCode()).isEqualTo(200);
                    String before = get(g.url() + "/metrics").body();
                    long start = System.nanoTime();
                    for (String v : versions) {
                        assertThat(get(g.url() + "/" + v).statusCode()).isEqualTo(200);
                    }
                    nanos[round] = System.nanoTime() - start;
                    if (verify) {
                        String after = get(g.url() + "/metrics").body();
                        lookups = sumdbFetches(after, "lookup") - sumdbFetches(before, "lookup");
                        tiles = sumdbFetches(after, "tile") - sumdbFetches(before, "tile");
                    }
                }
            }
            assertThat(lookups).isEqualTo(versions.length);
            assertThat(tiles).isGreaterThanOrEqualTo(0);
            System.out.printf("cold fetch of %d versions: %.1f ms unverified, %.1f ms verified; database requests: %d lookups, %d tiles%n",
                    versions.length, nanos[0] / 1e6, nanos[1] / 1e6, lookups, tiles);
        }
    }

    private static long sumdbFetches(String metrics, String endpoint) {
        return metrics.lines()
                .filter(l -> l.startsWith("granary_sumdb_fetch_seconds_count") && l.contains("endpoint=\"" + endpoint + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    @Test
    void aForkedDatabaseIsDetectedAndRefused() throws Exception {
        GoProxyTree tree = GoEndToEndTest.upstreamTree(tmp.resolve("upstream"));
        Path storage = tmp.resolve("storage");
        String signer;
        String vkey;
        try (TestSumdb honest = TestSumdb.start(tree.root());
             TestUpstream upstream = TestUpstream.serve(tree.root());
             TestServers.Running granary = TestServers.start(storage, upstream.uri().toString(),
                     Map.of(ConfigKey.SUMDB, honest.verifierKey() + " " + honest.url()))) {
            signer = honest.signerKey();
            vkey = honest.verifierKey();
            // A .zip answer means verified and committed, so the database's tree head is persisted.
            assertThat(get(granary.url() + "/rsc.io/quote/@v/v1.5.2.zip").statusCode()).isEqualTo(200);
        }
        // Same key, different history; Granary restarts on the same storage, where it persisted the head it verified.
        try (TestSumdb fork = TestSumdb.startFork(tree.root(), signer);
             TestUpstream upstream = TestUpstream.serve(tree.root());
             TestServers.Running granary = TestServers.start(storage, upstream.uri().toString(),
                     Map.of(ConfigKey.SUMDB, vkey + " " + fork.url()))) {
            HttpResponse<String> latest = get(granary.url() + "/sumdb/" + fork.name() + "/latest");
            assertThat(latest.statusCode()).isEqualTo(502);
            assertThat(latest.body()).contains("SECURITY ERROR");
            // The .info may be answered before verification; the .mod and .zip never are.
            HttpResponse<String> mod = get(granary.url() + "/rsc.io/sampler/@v/v1.3.1.mod");
            assertThat(mod.statusCode()).isEqualTo(502);
            assertThat(get(granary.url() + "/rsc.io/sampler/@v/v1.3.1.zip").statusCode()).isEqualTo(502);
            assertThat(storage.resolve("rsc.io/sampler/@v/v1.3.1.info")).doesNotExist();
            assertThat(get(granary.url() + "/metrics").body()).containsPattern("granary_sumdb_forks_total\\{db=\"[^\"]+\"\\} [1-9]");
        }
    }

    @Test
    void aPrivateModuleIsPinnedAndARetaggedVersionRefused() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("git.corp.example/team/lib", "v1.0.0");
        Path storage = tmp.resolve("storage");
        try (TestUpstream upstream = TestUpstream.serve(tree.root());
             TestServers.Running granary = TestServers.start(storage, upstream.uri().toString(),
                     Map.of(ConfigKey.SUMDB, "sum.golang.org", ConfigKey.NOSUMDB, "git.corp.example"))) {
            // Never looked up in sum.golang.org (unreachable here): pinned on first fetch.
            assertThat(get(granary.url() + "/git.corp.example/team/lib/@v/v1.0.0.zip").statusCode()).isEqualTo(200);
            assertThat(storage.resolve("pins/git.corp.example/team/lib/@v/v1.0.0.sum")).exists();

            // The version is lost from the cache and the tag is moved upstream.
            for (String ext : new String[] {".info", ".mod", ".zip", ".sum"}) {
                Files.delete(storage.resolve("git.corp.example/team/lib/@v/v1.0.0" + ext));
            }
            String zipPath = "git.corp.example/team/lib/@v/v1.0.0.zip";
            upstream.override(zipPath, tamper(Files.readAllBytes(tree.root().resolve(zipPath))));
            HttpResponse<String> again = get(granary.url() + "/git.corp.example/team/lib/@v/v1.0.0.zip");
            assertThat(again.statusCode()).isEqualTo(502);
            assertThat(again.body()).contains("changed since it was first fetched");
            assertThat(storage.resolve("git.corp.example/team/lib/@v/v1.0.0.info")).doesNotExist();
            assertThat(get(granary.url() + "/metrics").body()).contains("granary_verification_failures_total{reason=\"pin-mismatch\"}");
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The same zip with one extra line in its first .go file: valid, but a different h1. */
    static byte[] tamper(byte[] zip) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean done = false;
        try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(zip)); ZipOutputStream z = new ZipOutputStream(out)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                byte[] body = in.readAllBytes();
                if (!done && e.getName().endsWith(".go")) {
                    body = (new String(body, StandardCharsets.UTF_8) + "\n// injected\n").getBytes(StandardCharsets.UTF_8);
                    done = true;
                }
                z.putNextEntry(new ZipEntry(e.getName()));
                z.write(body);
                z.closeEntry();
            }
        }
        assertThat(done).isTrue();
        return out.toByteArray();
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true);
                Files.delete(p);
            }
        }
    }
}
