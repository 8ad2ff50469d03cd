package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
import dev.granary.core.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real go command, of every Go toolchain on the machine, against Granary, with Go's own test
 * modules behind it: download, build, list versions and resolve @latest, then the same with the
 * upstream gone.
 */
class GoEndToEndIT {
    @TempDir
    Path tmp;

    private static final String MAIN = """
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

    private static final String GO_MOD = """
            module example.com/hello

            go 1.19

            require (
            \trsc.io/quote v1.5.2
            \trsc.io/quote/v3 v3.0.0
            )
            """;

    @EachGoToolchain
    @SuppressWarnings("try") // the upstream is closed inside its try block on purpose: the outage under test
    void goBuildsThroughGranaryAndAgainWithTheUpstreamGone(GoToolchain toolchain) throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("main.go"), MAIN);
        Files.writeString(app.resolve("go.mod"), GO_MOD);
        Path storage = tmp.resolve("storage");

        try (TestUpstream upstream = TestUpstream.serve(tree.root());
                TestServers.Running granary =
                        TestServers.start(storage, upstream.uri().toString(), Map.of())) {
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go")).env("GOPROXY", granary.url());

            go.run(app, "mod", "download", "all").assertSuccess();
            go.run(app, "build", "-o", "hello", ".").assertSuccess();
            assertThat(TestModules.runBinary(app.resolve("hello"))).contains("Hello, world.");
            // A module path with upper-case letters travels case-escaped (rsc.io/!q!u!o!t!e).
            String json = go.run(app, "mod", "download", "-json", "rsc.io/QUOTE@v1.5.2")
                    .assertSuccess()
                    .output();
            assertThat(json).contains("\"Version\": \"v1.5.2\"").doesNotContain("\"Error\"");
            assertThat(upstream.hits("rsc.io/!q!u!o!t!e/@v/v1.5.2.zip")).isEqualTo(1);
            assertThat(Files.exists(storage.resolve("rsc.io/!q!u!o!t!e/@v/v1.5.2.zip")))
                    .isTrue();
            assertThat(Files.exists(storage.resolve("rsc.io/quote/v3/@v/v3.0.0.info")))
                    .isTrue();

            String versions = go.run(app, "list", "-m", "-versions", "rsc.io/quote")
                    .assertSuccess()
                    .output();
            assertThat(versions.strip()).isEqualTo("rsc.io/quote v1.4.0 v1.5.1 v1.5.2");

            go.run(app, "get", "rsc.io/sampler@latest").assertSuccess();
            assertThat(Files.readString(app.resolve("go.mod"))).contains("rsc.io/sampler v1.99.99");
            go.run(app, "build", "-o", "hello", ".").assertSuccess();

            // The upstream goes away; a fresh module cache is filled from Granary alone.
            upstream.close();
            go.cleanModCache();
            go.run(app, "mod", "download", "all").assertSuccess();
            go.run(app, "build", "-o", "hello2", ".").assertSuccess();
            // rsc.io/sampler v1.99.99 (chosen by @latest above) says something else.
            assertThat(TestModules.runBinary(app.resolve("hello2"))).contains("99 bottles of beer");
            String offlineVersions = go.run(app, "list", "-m", "-versions", "rsc.io/sampler")
                    .assertSuccess()
                    .output();
            assertThat(offlineVersions).contains("v1.3.0").contains("v1.99.99");
        }
    }

    @EachGoToolchain
    void aGranaryDiskTreeIsItselfAValidFileProxy(GoToolchain toolchain) throws Exception {
        GoProxyTree tree = TestModules.upstreamTree(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("main.go"), MAIN);
        Files.writeString(app.resolve("go.mod"), GO_MOD);
        Path storage = tmp.resolve("storage");
        try (TestServers.Running granary =
                TestServers.start(storage, tree.root().toUri().toString(), Map.of())) {
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go")).env("GOPROXY", granary.url());
            go.run(app, "mod", "download", "all").assertSuccess();
        }
        // No server at all: the storage root is a GOPROXY=file:// tree.
        GoCommand go = new GoCommand(toolchain, tmp.resolve("go2"))
                .env("GOPROXY", storage.toUri().toString());
        go.run(app, "build", "-o", "hello", ".").assertSuccess();
        assertThat(go.run(app, "list", "-m", "-versions", "rsc.io/quote")
                        .assertSuccess()
                        .output())
                .contains("v1.5.2");
        assertThat(TestModules.runBinary(app.resolve("hello"))).contains("Hello, world.");
    }
}
