package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.snapshot.SnapshotExporter;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental snapshots: a second export with {@code --since} the first carries only the module added
 * since, plus the tiles that prove the first snapshot's tree a prefix of its own; importing it moves the
 * inside Granary's tree head forward, and a go client that verified the first head accepts the second
 * without a fork alarm. Before that, a client that saw the newer head online gets a clear 404 naming
 * both tree sizes from the inside Granary, and the metric counts it.
 */
class AirGapIncrementalIT {
    @TempDir
    Path tmp;

    @GoToolchains.EachGoToolchain
    void aSecondSnapshotSinceTheFirstMovesTheHeadForward(GoToolchain toolchain) throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("main.go"), AirGapEndToEndIT.MAIN);
        Files.writeString(app.resolve("go.mod"), AirGapEndToEndIT.GO_MOD);
        Path connected = tmp.resolve("connected");
        Path inside = tmp.resolve("inside");
        Path first = tmp.resolve("transfer/first.tar");
        Path second = tmp.resolve("transfer/second.tar.zst");
        AirGap.keys(tmp.resolve("keys"), "Granary Export <export@example.org>");
        String secret = tmp.resolve("keys/secret.asc").toString();
        String keyring = tmp.resolve("keys/public.asc").toString();
        String insideUrl;

        try (TestSumdb db = TestSumdb.start(tree.root());
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running online = TestServers.start(
                        connected,
                        upstream.uri().toString(),
                        Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            String vkey = db.verifierKey();
            String name = db.name();
            String[] connectedFlags = {
                "--storage",
                connected.toString(),
                "--upstream",
                upstream.uri().toString(),
                "--sumdb",
                vkey + " " + db.url()
            };
            GoCommand onlineGo = new GoCommand(toolchain, tmp.resolve("go-online"))
                    .env("GOPROXY", online.url())
                    .env("GOSUMDB", vkey);
            onlineGo.run(app, "build", "-o", "hello", ".").assertSuccess();
            AirGap.granary(concat(
                            new String[] {
                                "export",
                                "-o",
                                first.toString(),
                                "--gosum",
                                app.resolve("go.sum").toString(),
                                "--sign-key",
                                secret
                            },
                            connectedFlags))
                    .assertOk();
            AirGap.granary(
                            "import",
                            first.toString(),
                            "--keyring",
                            keyring,
                            "--storage",
                            inside.toString(),
                            "--upstream",
                            "off",
                            "--sumdb",
                            vkey)
                    .assertOk();
            long firstSize = treeSize(inside, name);

            try (TestServers.Running offline = TestServers.start(inside, "off", Map.of(ConfigKey.SUMDB, vkey))) {
                insideUrl = offline.url();
                // An inside client verifies the first head.
                GoCommand insideGo = new GoCommand(toolchain, tmp.resolve("go-inside"))
                        .env("GOPROXY", insideUrl)
                        .env("GOSUMDB", vkey);
                Files.delete(app.resolve("go.sum"));
                insideGo.run(app, "build", "-o", "hello", ".").assertSuccess();

                // Upstream, a new module appears and the program starts using it: the database's tree grows.
                tree.addSimple("example.com/greeting", "v1.0.0");
                Files.writeString(
                        app.resolve("go.mod"),
                        AirGapEndToEndIT.GO_MOD.replace(")", "\texample.com/greeting v1.0.0\n)"));
                Files.writeString(app.resolve("greet.go"), "package main\n\nimport _ \"example.com/greeting\"\n");
                onlineGo.run(app, "build", "-o", "hello", ".").assertSuccess();

                // A client that saw that newer head online is told, by size, why the inside cannot serve it.
                onlineGo.cleanModCache();
                Files.delete(app.resolve("go.sum"));
                Files.writeString(app.resolve("go.mod"), AirGapEndToEndIT.GO_MOD);
                Files.delete(app.resolve("greet.go"));
                GoCommand.Result ahead = onlineGo.env("GOPROXY", insideUrl).run(app, "build", "-o", "hello", ".");
                assertThat(ahead.exit()).isNotZero();
                assertThat(ahead.output())
                        .contains("tree#" + firstSize)
                        .contains("at least " + (firstSize + 1) + " records");
                assertThat(metrics(insideUrl))
                        .containsPattern("granary_sumdb_client_ahead_total\\{db=\"[^\"]+\"\\} [1-9]");
                onlineGo.env("GOPROXY", online.url());
                Files.writeString(
                        app.resolve("go.mod"),
                        AirGapEndToEndIT.GO_MOD.replace(")", "\texample.com/greeting v1.0.0\n)"));
                Files.writeString(app.resolve("greet.go"), "package main\n\nimport _ \"example.com/greeting\"\n");
                onlineGo.run(app, "build", "-o", "hello", ".").assertSuccess();

                AirGap.granary(concat(
                                new String[] {
                                    "export",
                                    "-o",
                                    second.toString(),
                                    "--gosum",
                                    app.resolve("go.sum").toString(),
                                    "--since",
                                    first.toString(),
                                    "--sign-key",
                                    secret
                                },
                                connectedFlags))
                        .assertOk();
                SnapshotExporter.Previous s1 = SnapshotExporter.Previous.read(first);
                SnapshotExporter.Previous s2 = SnapshotExporter.Previous.read(second);
                assertThat(s2.manifest().previous()).isEqualTo(s1.id());
                assertThat(s2.manifest().versions())
                        .extracting(e -> e.path() + "@" + e.version())
                        .containsExactly("example.com/greeting@v1.0.0");

                AirGap.Run verified = AirGap.granary(
                                "verify",
                                second.toString(),
                                "--keyring",
                                keyring,
                                "--storage",
                                inside.toString(),
                                "--upstream",
                                "off",
                                "--sumdb",
                                vkey)
                        .assertOk();
                assertThat(verified.out()).contains("consistent with tree#" + firstSize + " held here");
                AirGap.granary(
                                "import",
                                second.toString(),
                                "--keyring",
                                keyring,
                                "--storage",
                                inside.toString(),
                                "--upstream",
                                "off",
                                "--sumdb",
                                vkey)
                        .assertOk();
                long secondSize = treeSize(inside, name);
                assertThat(secondSize).as("the inside head moved forward").isGreaterThan(firstSize);

                // The client that verified the first head now meets the second: consistency is proven, no fork alarm.
                insideGo.cleanModCache();
                Files.delete(app.resolve("go.sum"));
                GoCommand.Result both = insideGo.run(app, "build", "-o", "hello2", ".");
                both.assertSuccess();
                assertThat(TestModules.runBinary(app.resolve("hello2"))).contains("Hello, world.");
                assertThat(Files.readString(insideGo.home()
                                .resolve("gopath/pkg/sumdb")
                                .resolve(name)
                                .resolve("latest")))
                        .contains("\n" + secondSize + "\n");
            }
        }
    }

    private static long treeSize(Path storage, String db) throws Exception {
        return Long.parseLong(
                Files.readString(storage.resolve("sumdb").resolve(db).resolve("latest"))
                        .split("\n")[1]);
    }

    private static String metrics(String url) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
