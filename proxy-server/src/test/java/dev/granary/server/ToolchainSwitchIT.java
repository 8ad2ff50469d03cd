package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoVersion;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * GOTOOLCHAIN switching end to end: the machine's current go command (1.21 or newer) with
 * {@code GOTOOLCHAIN=go1.19.8}, {@code GOPROXY=<Granary>} and {@code GOSUMDB} on (a real checksum
 * database, reached through Granary's {@code /sumdb/}) downloads {@code golang.org/toolchain@v0.0.1-go1.19.8.linux-amd64},
 * verifies it, and runs it; then again with Granary's upstream and the database gone, a fresh module
 * cache and a fresh checksum cache, from Granary's storage alone. The toolchain module is
 * {@link ToolchainModule}'s, built from Debian's Go.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolchainSwitchIT {
    @TempDir
    static Path tmp;
    /** The go command doing the switching: the newest on the machine, which must be 1.21 or newer. */
    private GoToolchain switching;
    /** The Go packaged as a toolchain module. */
    private GoToolchain packaged;

    private String version;
    private ModuleVersion toolchain;
    private Path tree;
    private long zipBytes;

    @BeforeAll
    void buildToolchainModule() throws Exception {
        switching = GoToolchains.all().get(0);
        assertThat(switching.atLeast(21))
                .as("a go command that switches toolchains (1.21 or newer): " + switching)
                .isTrue();
        ToolchainModule module = ToolchainModule.get();
        packaged = module.packaged();
        assertThat(packaged.atLeast(21))
                .as("the packaged Go must predate toolchain switching")
                .isFalse();
        version = module.version();
        toolchain = module.module();
        tree = module.tree();
        zipBytes = module.zipBytes();
    }

    @AfterAll
    void report() {
        System.out.println("toolchain module zip built from " + packaged + ": " + zipBytes + " bytes");
    }

    @Test
    void theGoCommandSwitchesThroughGranaryThenWithItsUpstreamOff() throws Exception {
        Path storage = tmp.resolve("storage-switch");
        TestSumdb db = TestSumdb.start(tree);
        TestUpstream upstream = TestUpstream.serve(tree);
        try (TestServers.Running g = TestServers.start(
                storage, upstream.uri().toString(), Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            Client client = new Client(tmp.resolve("client-1"), g.url(), db.verifierKey());

            // The existence check (what go get toolchain@..., and go.mod toolchain lines, run) asks
            // for the linux-amd64 .info: answered without fetching the 20 MB zip.
            GoCommand.Result exists = client.go("local", "list", "-m", "-json", "toolchain@go" + version);
            assertThat(exists.output()).contains("\"Version\": \"go" + version + "\"");
            assertThat(upstream.hits(StorageLayout.path(toolchain, ".zip"))).isZero();
            assertThat(storage.resolve(StorageLayout.toolchainInfo(toolchain).value()))
                    .exists();

            long start = System.nanoTime();
            GoCommand.Result switched = client.go("go" + version, "version");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(switched.output()).contains("go version go" + version + " linux/amd64");
            assertThat(client.go("go" + version, "env", "GOROOT").output().strip())
                    .isEqualTo(client.modCache()
                            .resolve(toolchain.path().value() + "@" + toolchain.version())
                            .toString());
            assertThat(upstream.hits(StorageLayout.path(toolchain, ".zip"))).isEqualTo(1);
            // Granary verified it against the checksum database before committing it.
            assertThat(storage.resolve(StorageLayout.zip(toolchain).value())).exists();
            assertThat(storage.resolve(
                            StorageLayout.sumdbLookup(db.name(), toolchain).value()))
                    .exists();
            System.out.println("GOTOOLCHAIN=go" + version + " go version through Granary, cold: " + millis + " ms");
            client.clean();
        } finally {
            upstream.close();
            db.close();
        }

        // Upstream and database gone; a new client with an empty module cache and checksum cache.
        try (TestServers.Running g =
                TestServers.start(storage, "off", Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            Client client = new Client(tmp.resolve("client-2"), g.url(), db.verifierKey());
            assertThat(client.go("go" + version, "version").output())
                    .contains("go version go" + version + " linux/amd64");
            assertThat(client.go("local", "list", "-m", "-json", "toolchain@go" + version)
                            .output())
                    .contains("\"Version\": \"go" + version + "\"");
            assertThat(client.sumdbCache()).isDirectory();
            client.clean();
        }
    }

    @Test
    void prefetchedToolchainsSwitchFromStorageAlone() throws Exception {
        Path storage = tmp.resolve("storage-prefetch");
        TestSumdb db = TestSumdb.start(tree);
        TestUpstream upstream = TestUpstream.serve(tree);
        try {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cmd = Main.commandLine();
            cmd.setOut(new PrintWriter(out, true));
            cmd.setErr(new PrintWriter(err, true));
            int exit = cmd.execute(
                    "toolchains",
                    "prefetch",
                    "--versions",
                    GoVersion.lang(version) + ".x",
                    "--platforms",
                    "linux/amd64",
                    "--storage",
                    storage.toString(),
                    "--upstream",
                    upstream.uri().toString(),
                    "--sumdb",
                    db.verifierKey() + " " + db.url(),
                    "--dl-upstream",
                    "off");
            assertThat(exit).as(err.toString()).isZero();
            assertThat(out.toString()).contains("ok " + toolchain + " info").contains("ok " + toolchain + " zip");

            db.close();
            upstream.close();
            try (TestServers.Running g =
                    TestServers.start(storage, "off", Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
                Client client = new Client(tmp.resolve("client-3"), g.url(), db.verifierKey());
                assertThat(client.go("go" + version, "version").output())
                        .contains("go version go" + version + " linux/amd64");
                client.clean();
            }
        } finally {
            upstream.close();
            db.close();
        }
    }

    /** The switching go command, hermetic (GoCommand), with Granary as its proxy and checksum-database proxy. */
    private final class Client {
        private final GoCommand go;
        private final Path work;

        Client(Path home, String proxy, String sumdbKey) throws IOException {
            this.go = new GoCommand(switching, home)
                    .env("GOPROXY", proxy)
                    // Checksum verification on, with no URL: the go command asks the proxy's /sumdb/.
                    .env("GOSUMDB", sumdbKey);
            this.work = Files.createDirectories(home.resolve("work"));
        }

        Path modCache() {
            return go.modCache();
        }

        Path sumdbCache() {
            return go.home().resolve("gopath/pkg/sumdb");
        }

        /** {@code go ARGS} outside any module with {@code GOTOOLCHAIN=gotoolchain}; it must succeed. */
        GoCommand.Result go(String gotoolchain, String... args) throws IOException, InterruptedException {
            return go.env("GOTOOLCHAIN", gotoolchain).run(work, args).assertSuccess();
        }

        /** The module cache is read-only, as the go command leaves it: make it removable. */
        void clean() throws IOException {
            go.cleanModCache();
        }
    }
}
