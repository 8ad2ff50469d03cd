package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checksum verification against a real checksum database (golang.org/x/mod/sumdb, run as a child
 * process by {@link TestSumdb}). The go command of every Go toolchain on the machine with GOSUMDB on
 * (no GONOSUMDB, no GOSUMDB=off), its sumdb traffic through Granary: a clean build; a tampered zip
 * refused and not cached; then a build with the database and the upstream both gone, still verified,
 * from Granary's caches alone. And what Granary asks the database, and a forked database refused.
 */
class GoSumdbEndToEndIT {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @EachGoToolchain
    void verifiedBuildTamperRefusalAndOfflineVerifiedBuild(GoToolchain toolchain) throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("main.go"), """
                package main

                import (
                \t"fmt"

                \t"rsc.io/quote"
                )

                func main() { fmt.Println(quote.Hello()) }
                """);
        Files.writeString(
                app.resolve("go.mod"), "module example.com/hello\n\ngo 1.19\n\nrequire rsc.io/quote v1.5.2\n");
        Path storage = tmp.resolve("storage");

        TestSumdb db = TestSumdb.start(tree.root());
        TestUpstream upstream = TestUpstream.serve(tree.root());
        try (TestServers.Running granary = TestServers.start(
                storage, upstream.uri().toString(), Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go"))
                    .env("GOPROXY", granary.url())
                    .env("GOSUMDB", db.verifierKey()); // no URL: the go command asks Granary's /sumdb/
            go.run(app, "mod", "download", "all").assertSuccess();
            go.run(app, "build", "-o", "hello", ".").assertSuccess();
            assertThat(TestModules.runBinary(app.resolve("hello"))).contains("Hello, world.");
            assertThat(Files.readString(app.resolve("go.sum"))).contains("rsc.io/quote v1.5.2 h1:");

            String metrics = get(granary.url() + "/metrics").body();
            assertThat(metrics).contains("granary_sumdb_verifications_total{result=\"ok\"}");
            assertThat(metrics).containsPattern("granary_sumdb_served_total\\{cache=\"[a-z]+\",endpoint=\"lookup\"\\}");
            assertThat(metrics).containsPattern("granary_sumdb_served_total\\{cache=\"[a-z]+\",endpoint=\"tile\"\\}");
            assertThat(metrics)
                    .containsPattern(
                            "granary_sumdb_tree_size\\{db=\"" + db.name().replace(".", "\\.") + "\"\\} [1-9]");

            // The upstream now serves a tampered zip for a version nobody fetched yet.
            String zipPath = "rsc.io/quote/@v/v1.5.1.zip";
            upstream.override(
                    zipPath, TestModules.tamper(Files.readAllBytes(tree.root().resolve(zipPath))));
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
            GoCommand.deleteTree(tmp.resolve("go/gopath/pkg/sumdb"));
            Files.delete(app.resolve("go.sum"));
            go.run(app, "mod", "download", "all").assertSuccess();
            go.run(app, "build", "-o", "hello2", ".").assertSuccess();
            assertThat(TestModules.runBinary(app.resolve("hello2"))).contains("Hello, world.");
            assertThat(Files.readString(app.resolve("go.sum"))).contains("rsc.io/quote v1.5.2 h1:");
        } finally {
            db.close();
            upstream.close();
        }
    }

    @EachGoToolchain
    void aDatabaseNamedWithAPathIsProxiedUnderItsWholeName(GoToolchain toolchain) throws Exception {
        // Names are host[/path] (cmd/go/internal/modfetch/sumdb.go), like the go command's own
        // localhost.localdev/sumdb.
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(
                app.resolve("main.go"),
                "package main\n\nimport \"rsc.io/quote\"\n\nfunc main() { println(quote.Hello()) }\n");
        Files.writeString(
                app.resolve("go.mod"), "module example.com/hello\n\ngo 1.19\n\nrequire rsc.io/quote v1.5.2\n");
        Path storage = tmp.resolve("storage");
        try (TestSumdb db = TestSumdb.startNamed(tree.root(), "sumdb.granary.test/checksums/v1");
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary = TestServers.start(
                        storage,
                        upstream.uri().toString(),
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
            assertThat(storage.resolve("sumdb/sumdb.granary.test/checksums/v1/lookup/rsc.io/quote@v1.5.2"))
                    .exists();
            // Another name that only shares the host is not this database.
            assertThat(get(granary.url() + "/sumdb/sumdb.granary.test/latest").statusCode())
                    .isEqualTo(404);

            // The go command, given only the key, finds the database through Granary (no direct fallback: it would
            // fail).
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go"))
                    .env("GOPROXY", granary.url())
                    .env("GOSUMDB", db.verifierKey());
            go.run(app, "mod", "download", "all").assertSuccess();
            assertThat(Files.readString(app.resolve("go.sum"))).contains("rsc.io/quote v1.5.2 h1:");
            assertThat(get(granary.url() + "/metrics").body())
                    .containsPattern("granary_sumdb_served_total\\{cache=\"[a-z]+\",endpoint=\"tile\"\\}");
        }
    }

    @Test
    void aColdFetchLooksEachVersionUpOnceAndProvesItWithTheTilesAlreadyVerified() throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        String[] zips = {
            "rsc.io/quote/@v/v1.5.2.zip",
            "rsc.io/sampler/@v/v1.3.0.zip",
            "golang.org/x/text/@v/v0.0.0-20170915032832-14c0d48ead0c.zip"
        };
        try (TestSumdb db = TestSumdb.start(tree.root());
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running g = TestServers.start(
                        tmp.resolve("storage"),
                        upstream.uri().toString(),
                        Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            // The first verified fetch brings the signed tree head and the tiles that prove records in it.
            assertThat(get(g.url() + "/rsc.io/quote/@v/v1.4.0.zip").statusCode())
                    .isEqualTo(200);
            String before = get(g.url() + "/metrics").body();
            assertThat(sumdbFetches(before, "tile")).isPositive();
            for (String zip : zips) {
                HttpResponse<byte[]> r = http.send(
                        HttpRequest.newBuilder(URI.create(g.url() + "/" + zip)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(Files.readAllBytes(tree.root().resolve(zip)));
            }
            String after = get(g.url() + "/metrics").body();
            // One lookup per version; the database did not grow, so the cached, verified tiles prove every record.
            assertThat(sumdbFetches(after, "lookup") - sumdbFetches(before, "lookup"))
                    .isEqualTo(zips.length);
            assertThat(sumdbFetches(after, "tile") - sumdbFetches(before, "tile"))
                    .isZero();
        }
    }

    private static long sumdbFetches(String metrics, String endpoint) {
        return metrics.lines()
                .filter(l -> l.startsWith("granary_sumdb_fetch_seconds_count")
                        && l.contains("endpoint=\"" + endpoint + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    @Test
    void aForkedDatabaseIsDetectedAndRefused() throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Path storage = tmp.resolve("storage");
        String signer;
        String vkey;
        try (TestSumdb honest = TestSumdb.start(tree.root());
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary = TestServers.start(
                        storage,
                        upstream.uri().toString(),
                        Map.of(ConfigKey.SUMDB, honest.verifierKey() + " " + honest.url()))) {
            signer = honest.signerKey();
            vkey = honest.verifierKey();
            // A .zip answer means the version was verified and committed (an .info may be answered before).
            assertThat(get(granary.url() + "/rsc.io/quote/@v/v1.5.2.zip").statusCode())
                    .isEqualTo(200);
            assertThat(storage.resolve("sumdb/" + honest.name() + "/latest"))
                    .as("the verified tree head, persisted")
                    .exists();
        }
        // Same key, different history; Granary restarts on the same storage, where it persisted the head it verified.
        try (TestSumdb fork = TestSumdb.startFork(tree.root(), signer);
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary = TestServers.start(
                        storage, upstream.uri().toString(), Map.of(ConfigKey.SUMDB, vkey + " " + fork.url()))) {
            HttpResponse<String> latest = get(granary.url() + "/sumdb/" + fork.name() + "/latest");
            assertThat(latest.statusCode()).isEqualTo(502);
            assertThat(latest.body()).contains("SECURITY ERROR");
            // The .info may be answered before verification; the .mod and .zip never are.
            HttpResponse<String> mod = get(granary.url() + "/rsc.io/sampler/@v/v1.3.1.mod");
            assertThat(mod.statusCode()).isEqualTo(502);
            assertThat(get(granary.url() + "/rsc.io/sampler/@v/v1.3.1.zip").statusCode())
                    .isEqualTo(502);
            assertThat(storage.resolve("rsc.io/sampler/@v/v1.3.1.info")).doesNotExist();
            assertThat(get(granary.url() + "/metrics").body())
                    .containsPattern("granary_sumdb_forks_total\\{db=\"[^\"]+\"\\} [1-9]");
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
