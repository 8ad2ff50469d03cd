package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoPlatform;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.TestUpstream;
import dev.granary.core.toolchain.Toolchains;
import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
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
 * cache and a fresh checksum cache, from Granary's storage alone.
 *
 * <p>The toolchain is built here from Debian's Go 1.19.8 ({@code /usr/lib/go-1.19}) in the layout
 * cmd/distpack gives toolchain modules: {@code bin/go}, {@code bin/gofmt}, the build tools distpack keeps
 * under {@code pkg/tool/linux_amd64}, {@code lib/} and {@code VERSION}. Sources ({@code src/}, the largest
 * part) are left out: the switch runs {@code bin/go} and never reads them ({@code go version} and
 * {@code go env} do not). {@code pkg/tool} and {@code lib} must be there: after unpacking, the go command
 * walks both to set execute bits and fails when either is missing (cmd/go/internal/toolchain/select.go,
 * Exec). Debian's tree has no {@code lib/}, so the time zone database of the official tree stands in
 * ({@code lib/time/zoneinfo.zip} of the machine's current Go).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolchainSwitchIT {
    /** The go command doing the switching: the machine's current Go. */
    private static final Path GO = Path.of("/usr/local/go/bin/go");
    private static final Path GO119 = Path.of("/usr/lib/go-1.19");
    private static final String VERSION = "1.19.8";
    private static final ModuleVersion TOOLCHAIN = Toolchains.moduleVersion(VERSION, GoPlatform.LINUX_AMD64);
    private static final List<String> FILES = List.of("VERSION", "bin/go", "bin/gofmt", "pkg/tool/linux_amd64/asm",
            "pkg/tool/linux_amd64/cgo", "pkg/tool/linux_amd64/compile", "pkg/tool/linux_amd64/cover", "pkg/tool/linux_amd64/fix",
            "pkg/tool/linux_amd64/link", "pkg/tool/linux_amd64/vet");

    @TempDir
    static Path tmp;
    private Path tree;
    private long zipBytes;

    @BeforeAll
    void buildToolchainModule() throws Exception {
        assertThat(GO).as("the machine's current Go (1.21 or newer)").isExecutable();
        assertThat(GO119.resolve("bin/go")).as("Debian's Go 1.19 (apt-get install -y golang-go)").isExecutable();
        tree = tmp.resolve("upstream");
        Path dir = Files.createDirectories(tree.resolve("golang.org/toolchain/@v"));
        String prefix = TOOLCHAIN.path().value() + "@" + TOOLCHAIN.version() + "/";
        Path zip = dir.resolve(TOOLCHAIN.version() + ".zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.setLevel(Deflater.BEST_SPEED);
            for (String f : FILES) {
                z.putNextEntry(new ZipEntry(prefix + f));
                Files.copy(GO119.resolve(f), z);
                z.closeEntry();
            }
            z.putNextEntry(new ZipEntry(prefix + "lib/time/zoneinfo.zip"));
            Files.copy(GO.getParent().getParent().resolve("lib/time/zoneinfo.zip"), z);
            z.closeEntry();
        }
        zipBytes = Files.size(zip);
        // What cmd/distpack writes beside the zip.
        Files.writeString(dir.resolve(TOOLCHAIN.version() + ".mod"), "module golang.org/toolchain\n");
        Files.writeString(dir.resolve(TOOLCHAIN.version() + ".info"),
                "{\"Version\":\"" + TOOLCHAIN.version() + "\", \"Time\":\"2023-04-04T17:30:31Z\"}\n");
        Files.writeString(dir.resolve("list"), TOOLCHAIN.version() + "\n");
    }

    @AfterAll
    void report() {
        System.out.println("toolchain module zip built from " + GO119 + ": " + zipBytes + " bytes");
    }

    @Test
    void theGoCommandSwitchesThroughGranaryThenWithItsUpstreamOff() throws Exception {
        Path storage = tmp.resolve("storage-switch");
        TestSumdb db = TestSumdb.start(tree);
        TestUpstream upstream = TestUpstream.serve(tree);
        try (TestServers.Running g = TestServers.start(storage, upstream.uri().toString(),
                Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            Client client = new Client(tmp.resolve("client-1"), g.url(), db.verifierKey());

            // The existence check (what go get toolchain@..., and go.mod toolchain lines, run) asks
            // for the linux-amd64 .info: answered without fetching the 20 MB zip.
            Client.Result exists = client.go("local", "list", "-m", "-json", "toolchain@go" + VERSION);
            assertThat(exists.output()).contains("\"Version\": \"go" + VERSION + "\"");
            assertThat(upstream.hits(StorageLayout.path(TOOLCHAIN, ".zip"))).isZero();
            assertThat(storage.resolve(StorageLayout.toolchainInfo(TOOLCHAIN).value())).exists();

            long start = System.nanoTime();
            Client.Result switched = client.go("go" + VERSION, "version");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(switched.output()).contains("go version go" + VERSION + " linux/amd64");
            assertThat(client.go("go" + VERSION, "env", "GOROOT").output().strip())
                    .isEqualTo(client.modCache().resolve(TOOLCHAIN.path().value() + "@" + TOOLCHAIN.version()).toString());
            assertThat(upstream.hits(StorageLayout.path(TOOLCHAIN, ".zip"))).isEqualTo(1);
            // Granary verified it against the checksum database before committing it.
            assertThat(storage.resolve(StorageLayout.zip(TOOLCHAIN).value())).exists();
            assertThat(storage.resolve(StorageLayout.sumdbLookup(db.name(), TOOLCHAIN).value())).exists();
            System.out.println("GOTOOLCHAIN=go" + VERSION + " go version through Granary, cold: " + millis + " ms");
            client.clean();
        } finally {
            upstream.close();
            db.close();
        }

        // Upstream and database gone; a new client with an empty module cache and checksum cache.
        try (TestServers.Running g = TestServers.start(storage, "off", Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
            Client client = new Client(tmp.resolve("client-2"), g.url(), db.verifierKey());
            assertThat(client.go("go" + VERSION, "version").output()).contains("go version go" + VERSION + " linux/amd64");
            assertThat(client.go("local", "list", "-m", "-json", "toolchain@go" + VERSION).output())
                    .contains("\"Version\": \"go" + VERSION + "\"");
            assertThat(client.sumdbCache()).isDirectory();
            client.clean();
        }
    }

    @Test
    void prefetchedToolchainsSwitchFromStorageAlone() throws Exception {
        Path storage = tmp.resolve("storage-prefetch");
        try (TestSumdb db = TestSumdb.start(tree); TestUpstream upstream = TestUpstream.serve(tree)) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cmd = Main.commandLine();
            cmd.setOut(new PrintWriter(out, true));
            cmd.setErr(new PrintWriter(err, true));
            int exit = cmd.execute("toolchains", "prefetch", "--versions", "1.19.x", "--platforms", "linux/amd64",
                    "--storage", storage.toString(), "--upstream", upstream.uri().toString(),
                    "--sumdb", db.verifierKey() + " " + db.url(), "--dl-upstream", "off");
            assertThat(exit).as(err.toString()).isZero();
            assertThat(out.toString()).contains("ok " + TOOLCHAIN + " info").contains("ok " + TOOLCHAIN + " zip");

            db.close();
            upstream.close();
            try (TestServers.Running g = TestServers.start(storage, "off", Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()))) {
                Client client = new Client(tmp.resolve("client-3"), g.url(), db.verifierKey());
                assertThat(client.go("go" + VERSION, "version").output()).contains("go version go" + VERSION + " linux/amd64");
                client.clean();
            }
        }
    }

    /** The current go command, hermetic: its own HOME, GOPATH, caches; Granary as its proxy and checksum-database proxy. */
    private static final class Client {
        record Result(int exit, String output) {
        }

        private final Path home;
        private final Map<String, String> env = new HashMap<>();

        Client(Path home, String proxy, String sumdbKey) throws IOException {
            this.home = Files.createDirectories(home);
            env.put("PATH", "/usr/bin:/bin");
            env.put("HOME", home.toString());
            env.put("GOPATH", home.resolve("gopath").toString());
            env.put("GOMODCACHE", home.resolve("modcache").toString());
            env.put("GOCACHE", home.resolve("gocache").toString());
            env.put("GOENV", "off");
            env.put("GOFLAGS", "-mod=mod");
            env.put("GOTELEMETRY", "off");
            env.put("CGO_ENABLED", "0");
            env.put("GOPROXY", proxy);
            // Checksum verification on, with no URL: the go command asks the proxy's /sumdb/.
            env.put("GOSUMDB", sumdbKey);
            env.put("GONOSUMDB", "");
            env.put("GOPRIVATE", "");
            env.put("GOINSECURE", "");
        }

        Path modCache() {
            return home.resolve("modcache");
        }

        Path sumdbCache() {
            return home.resolve("gopath/pkg/sumdb");
        }

        /** Runs {@code go ARGS} outside any module with {@code GOTOOLCHAIN=toolchain}; fails the test unless it succeeds. */
        Result go(String toolchain, String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(GO.toString()));
            cmd.addAll(List.of(args));
            Path work = Files.createDirectories(home.resolve("work"));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().putAll(env);
            pb.environment().put("GOTOOLCHAIN", toolchain);
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("go " + String.join(" ", args) + " did not finish");
            }
            Result r = new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
            if (r.exit() != 0) {
                throw new AssertionError("GOTOOLCHAIN=" + toolchain + " go " + String.join(" ", args) + " exited " + r.exit() + ":\n" + r.output());
            }
            return r;
        }

        /** The module cache is read-only: make it removable. */
        void clean() throws IOException {
            try (Stream<Path> s = Files.walk(home)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    p.toFile().setWritable(true);
                }
            }
        }
    }
}
