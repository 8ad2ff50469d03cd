package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.gocache.ClientModule;
import dev.granary.core.gocache.GoTool;
import dev.granary.core.module.GoSum;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.auth.Tokens;
import dev.granary.server.config.ConfigKey;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The remote build cache end to end with Go 1.24+ (GOCACHEPROG) and Granary's own client, installed
 * from Granary with {@code go install}: what one runner built, a second runner with an empty cache
 * does not compile; with Granary unreachable the build still succeeds (one warning); a read-only
 * token ({@code cache-read}) reads but never writes. Reads need a token here ({@code auth.required} is set).
 */
class GocacheRemoteIT {
    private static final String WRITE = Tokens.generate();
    private static final String READ = Tokens.generate();
    private static final Pattern STORED = Pattern.compile("granary_gocache_puts_total\\{result=\"stored\"} (\\d+)");

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.granary.server.GocacheRig#toolchainsWithCacheProg")
    void aSecondRunnerCompilesNothingTheFirstBuiltAndTheBuildSurvivesWithoutGranary(GoToolchain go) throws Exception {
        // As `granary token new --name main-ci --append FILE cache-write` (and pull-requests ... cache-read) write
        // them.
        Path tokens = Files.writeString(
                tmp.resolve("tokens"),
                "main-ci " + Tokens.hash(WRITE) + " cache-write\n" + "pull-requests " + Tokens.hash(READ)
                        + " cache-read\n");
        Path writeToken = Files.writeString(tmp.resolve("write.token"), WRITE);
        Path readToken = Files.writeString(tmp.resolve("read.token"), READ);
        Path project = GocacheRig.project(tmp.resolve("app"));
        Path modcache = tmp.resolve("ci-modcache");

        try (TestUpstream upstream = TestUpstream.serve(
                        GocacheRig.upstream(tmp.resolve("upstream")).root());
                TestServers.Running granary = TestServers.start(
                        tmp.resolve("storage"),
                        upstream.uri().toString(),
                        Map.of(
                                ConfigKey.AUTH_TOKENS_FILE,
                                tokens.toString(),
                                ConfigKey.AUTH_REQUIRED,
                                "corp.example.com",
                                ConfigKey.GOCACHE_CLIENT_MODULE,
                                "true"))) {
            Path client = install(go, granary);

            // Runner A (CI on the main branch) builds with an empty cache and uploads what it built.
            Map<String, String> a = runner(go, "a", granary.url(), granary.url(), modcache, client, writeToken);
            GoTool.Result built = new GoTool(go.go(), a)
                    .run(project, "build", "-x", "-o", tmp.resolve("a.bin").toString(), ".")
                    .orThrow();
            Set<String> compiledByA = GocacheRig.worked(built.stderr());
            assertThat(compiledByA)
                    .contains("rsc.io/quote", "rsc.io/sampler", "golang.org/x/text/language", "fmt", "main");
            long stored = stored(granary);
            assertThat(stored).isGreaterThan(compiledByA.size());

            // Runner B (a pull request, read-only token), empty local cache: nothing A built is compiled again.
            Map<String, String> b = runner(go, "b", granary.url(), granary.url(), modcache, client, readToken);
            GoTool.Result again = new GoTool(go.go(), b)
                    .run(project, "build", "-x", "-o", tmp.resolve("b.bin").toString(), ".")
                    .orThrow();
            Set<String> both = new TreeSet<>(GocacheRig.worked(again.stderr()));
            both.retainAll(compiledByA);
            assertThat(both)
                    .as("packages runner B compiled although runner A had built them")
                    .isEmpty();
            assertThat(granary.server().metrics().scrape())
                    .containsPattern("granary_gocache_lookups_total\\{result=\"hit\"} [1-9]");

            // Granary down: the client says so once and the build goes on with the local cache alone.
            Path tiny = tiny(tmp.resolve("tiny"));
            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort();
            }
            Map<String, String> c =
                    runner(go, "c", granary.url(), "http://127.0.0.1:" + closed, modcache, client, writeToken);
            GoTool.Result alone = new GoTool(go.go(), c)
                    .run(tiny, "build", "-o", tmp.resolve("tiny.bin").toString(), ".");
            assertThat(alone.exit()).as(alone.stderr()).isZero();
            assertThat(alone.stderr().split("granary build cache unavailable", -1))
                    .as(alone.stderr())
                    .hasSize(2);
            assertThat(tmp.resolve("tiny.bin")).exists();

            // A read-only token: what this runner builds (tiny's packages, new to Granary) is never stored.
            long before = stored(granary);
            Map<String, String> d = runner(go, "d", granary.url(), granary.url(), modcache, client, readToken);
            GoTool.Result readOnly = new GoTool(go.go(), d)
                    .run(tiny, "build", "-x", "-o", tmp.resolve("tiny2.bin").toString(), ".")
                    .orThrow();
            assertThat(GocacheRig.worked(readOnly.stderr())).contains("main");
            assertThat(readOnly.stderr()).contains("this token may only read");
            assertThat(stored(granary)).isEqualTo(before);
            assertThat(granary.server().metrics().scrape()).containsPattern("kind=\"gocache-put\",status=\"403\"");
        }
    }

    /** {@code go install granary.dev/gocacheprog@<version>} from Granary, as a runner without a JVM does it. */
    private Path install(GoToolchain go, TestServers.Running granary) throws Exception {
        for (int i = 0; i < 200 && !granary.server().modules().isStored(ClientModule.version()); i++) {
            Thread.sleep(50);
        }
        Map<String, String> env = GocacheRig.env(go, tmp.resolve("installer"), granary.url());
        // Not in any checksum database: GONOSUMDB, while GOSUMDB stays on for everything else.
        env.put("GOSUMDB", "sum.golang.org");
        env.put("GONOSUMDB", ClientModule.PATH);
        env.put("GOBIN", tmp.resolve("bin").toString());
        GoTool tool = new GoTool(go.go(), env);
        tool.run(tmp, "install", ClientModule.PATH + "@" + ClientModule.VERSION).orThrow();
        // The go command's own hashes of what Granary served are the ones Granary committed.
        JsonNode info = new ObjectMapper()
                .readTree(tool.run(tmp, "mod", "download", "-json", ClientModule.PATH + "@" + ClientModule.VERSION)
                        .orThrow()
                        .stdout());
        GoSum committed =
                granary.server().modules().goSum(ClientModule.version()).orElseThrow();
        assertThat(info.path("Sum").asText()).isEqualTo(committed.zipH1());
        assertThat(info.path("GoModSum").asText()).isEqualTo(committed.modH1());
        // Its own tests pass with this Go.
        tool.run(Path.of(info.path("Dir").asText()), "test", "-count=1", ".").orThrow();
        Path client = tmp.resolve("bin/gocacheprog");
        assertThat(client).isExecutable();
        return client;
    }

    /** A runner whose modules come from {@code proxy} and whose GOCACHEPROG client talks to {@code cache}. */
    private Map<String, String> runner(
            GoToolchain go, String name, String proxy, String cache, Path modcache, Path client, Path token)
            throws Exception {
        Map<String, String> env = GocacheRig.env(go, tmp.resolve("runner-" + name), proxy);
        env.put("GOMODCACHE", modcache.toString());
        env.put(
                "GOCACHEPROG",
                client + " -dir " + tmp.resolve("runner-" + name + "/progcache") + " -url " + cache + " -token-file "
                        + token);
        return env;
    }

    private static Path tiny(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("go.mod"), "module example.com/tiny\n\ngo 1.19\n");
        Files.writeString(
                dir.resolve("main.go"), "package main\n\nimport \"errors\"\n\nvar _ = errors.New\n\nfunc main() {}\n");
        return dir;
    }

    private static long stored(TestServers.Running granary) {
        Matcher m = STORED.matcher(granary.server().metrics().scrape().replace(".0\n", "\n"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
