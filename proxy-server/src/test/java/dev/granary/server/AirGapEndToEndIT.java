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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The air gap end to end, with every Go toolchain on the machine and checksum verification ON
 * everywhere (GOSUMDB = a real checksum database's key, no GONOSUMDB):
 * a connected Granary serves a program's modules; {@code granary export --gosum} of that program; a
 * second Granary, with no upstream and no route to the database, imports the snapshot; with a fresh
 * module cache, no client checksum-database state and no go.sum, {@code go build} succeeds through it;
 * and again through {@code GOPROXY=file://} of the unpacked snapshot, with no server at all.
 */
class AirGapEndToEndIT {
    @TempDir
    Path tmp;

    static final String MAIN = """
            package main

            import (
            \t"fmt"

            \t"rsc.io/quote"
            \tquotev3 "rsc.io/quote/v3"
            )

            func main() {
            \tfmt.Println(quote.Hello())
            \tfmt.Println(quotev3.HelloV3())
            }
            """;

    static final String GO_MOD = """
            module example.com/hello

            go 1.19

            require (
            \trsc.io/quote v1.5.2
            \trsc.io/quote/v3 v3.0.0
            )
            """;

    @GoToolchains.EachGoToolchain
    void goBuildsInsideTheAirGapWithChecksumVerificationOn(GoToolchain toolchain) throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("main.go"), MAIN);
        Files.writeString(app.resolve("go.mod"), GO_MOD);
        Path connected = tmp.resolve("connected");
        Path inside = tmp.resolve("inside");
        Path snapshot = tmp.resolve("transfer/snapshot.tar.zst");
        AirGap.keys(tmp.resolve("keys"), "Granary Export <export@example.org>");

        String vkey;
        try (TestSumdb db = TestSumdb.start(tree.root());
                TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary = TestServers.start(
                        connected,
                        upstream.uri().toString(),
                        Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            vkey = db.verifierKey();
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go-connected"))
                    .env("GOPROXY", granary.url())
                    .env("GOSUMDB", vkey);
            go.run(app, "build", "-o", "hello", ".").assertSuccess();
            assertThat(Files.readString(app.resolve("go.sum"))).contains("rsc.io/quote v1.5.2 h1:");

            AirGap.granary(
                            "export",
                            "--output",
                            snapshot.toString(),
                            "--gosum",
                            app.resolve("go.sum").toString(),
                            "--sign-key",
                            tmp.resolve("keys/secret.asc").toString(),
                            "--storage",
                            connected.toString(),
                            "--upstream",
                            upstream.uri().toString(),
                            "--sumdb",
                            vkey + " " + db.url())
                    .assertOk();
        }
        // The same modules selected otherwise, from what the connected side stored (no network): the module
        // graph of the go.mod, and everything stored. Both verify against an empty Granary.
        for (String[] selection :
                new String[][] {{"--gomod", app.resolve("go.mod").toString()}, {"--all"}}) {
            Path other = tmp.resolve("transfer/other-" + selection[0].substring(2) + ".tar");
            List<String> args = new ArrayList<>(List.of(
                    "export",
                    "-o",
                    other.toString(),
                    "--offline",
                    "--storage",
                    connected.toString(),
                    "--upstream",
                    "off",
                    "--sumdb",
                    vkey,
                    "-q"));
            args.addAll(List.of(selection));
            AirGap.Run exported = AirGap.granary(args.toArray(String[]::new)).assertOk();
            assertThat(exported.out()).contains("versions: ");
            AirGap.granary(
                            "verify",
                            other.toString(),
                            "--allow-unsigned",
                            "--storage",
                            tmp.resolve("empty").toString(),
                            "--upstream",
                            "off",
                            "--sumdb",
                            vkey,
                            "-q")
                    .assertOk();
            assertThat(SnapshotExporter.Previous.read(other).manifest().versions())
                    .extracting(e -> e.path() + "@" + e.version())
                    .contains("rsc.io/quote@v1.5.2", "rsc.io/quote/v3@v3.0.0", "rsc.io/sampler@v1.3.0");
        }

        // From here on there is no upstream and no checksum database: only the snapshot crosses.
        AirGap.Run imported = AirGap.granary(
                        "import",
                        snapshot.toString(),
                        "--keyring",
                        tmp.resolve("keys/public.asc").toString(),
                        "--storage",
                        inside.toString(),
                        "--upstream",
                        "off",
                        "--sumdb",
                        vkey)
                .assertOk();
        assertThat(imported.out()).contains("Imported snapshot").contains("every record proven");

        Files.delete(app.resolve("go.sum"));
        try (TestServers.Running granary = TestServers.start(inside, "off", Map.of(ConfigKey.SUMDB, vkey))) {
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go-inside"))
                    .env("GOPROXY", granary.url())
                    .env("GOSUMDB", vkey);
            go.run(app, "build", "-o", "hello-inside", ".").assertSuccess();
            assertThat(TestModules.runBinary(app.resolve("hello-inside"))).contains("Hello, world.");
            assertThat(Files.readString(app.resolve("go.sum")))
                    .contains("rsc.io/quote v1.5.2 h1:")
                    .contains("rsc.io/quote/v3 v3.0.0 h1:");
            assertThat(Files.exists(go.home()
                            .resolve("gopath/pkg/sumdb")
                            .resolve(vkey.substring(0, vkey.indexOf('+')))
                            .resolve("latest")))
                    .as("the go command verified a tree head")
                    .isTrue();
            String metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(granary.url() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            assertThat(metrics).containsPattern("granary_snapshot_tree_size\\{db=\"[^\"]+\"\\} [1-9]");
            assertThat(metrics).containsPattern("granary_snapshot_age_seconds [0-9]");
        }

        // The unpacked snapshot, with standard tools and no server at all.
        Path unpacked = Files.createDirectories(tmp.resolve("unpacked"));
        AirGap.exec(unpacked, "tar", "--zstd", "-xf", snapshot.toString()).assertOk();
        assertThat(AirGap.exec(unpacked, "sha256sum", "--quiet", "-c", "SHA256SUMS")
                        .assertOk()
                        .out())
                .isEmpty();
        Files.delete(app.resolve("go.sum"));
        GoCommand go = new GoCommand(toolchain, tmp.resolve("go-file"))
                .env("GOPROXY", unpacked.toUri().toString())
                .env("GOSUMDB", vkey);
        go.run(app, "build", "-o", "hello-file", ".").assertSuccess();
        assertThat(TestModules.runBinary(app.resolve("hello-file"))).contains("Hello, world.");
    }
}
