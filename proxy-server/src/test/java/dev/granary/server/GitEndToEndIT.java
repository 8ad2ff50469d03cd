package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.sumdb.note.Notes;
import dev.granary.core.testing.GitFixtures;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Private modules from git through Granary, with the real go command and a real git server on loopback:
 * go.sum equal to what {@code GOPROXY=direct} writes, builds that survive the git server's disappearance,
 * moved tags refused, wrong credentials reported without the secret, hostile repository URLs refused.
 */
class GitEndToEndIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    private GitFixtures fixtures;
    private TestUpstream publicProxy;
    /** A checksum database that knows nothing and records every request: private modules must never reach it. */
    private TestUpstream publicSumdb;

    private String sumdbKey;

    @BeforeEach
    void start() throws IOException {
        fixtures = GitFixtures.start(tmp.resolve("repos"));
        publicProxy = TestUpstream.serve(new GoProxyTree(tmp.resolve("public")).root());
        publicSumdb = TestUpstream.serve(Files.createDirectories(tmp.resolve("sumdb")));
        sumdbKey = Notes.generateKey("sum.granary.test").verifierKey();
    }

    @AfterEach
    void stop() {
        fixtures.close();
        publicProxy.close();
        publicSumdb.close();
    }

    private String routes(String secretCredentials) {
        return fixtures.host() + "/secret go-get insecure " + secretCredentials + "\n" + fixtures.host()
                + " go-get insecure";
    }

    private TestServers.Running granary(Path storage, String secretCredentials) throws Exception {
        return TestServers.start(
                storage,
                publicProxy.uri() + ",direct",
                Map.of(
                        ConfigKey.GIT_ROUTES,
                        routes(secretCredentials),
                        ConfigKey.GIT_MIRROR_DIR,
                        tmp.resolve("mirrors").toString(),
                        ConfigKey.SUMDB,
                        sumdbKey + " " + publicSumdb.uri(),
                        // Mirrors and list answers are fresh this long: short, so a test sees a moved tag at once.
                        ConfigKey.CACHE_LIST_TTL,
                        "1ms",
                        // Failures are not remembered, so a test sees a repaired credential at once.
                        ConfigKey.CACHE_FAILURE_TTL,
                        "0s"));
    }

    private String netrc() throws IOException {
        Path netrc = tmp.resolve("granary.netrc");
        Files.writeString(
                netrc,
                "machine " + fixtures.host() + " login " + GitFixtures.USER + " password " + GitFixtures.PASSWORD
                        + "\n");
        return "netrc=" + netrc;
    }

    private String mainGo() {
        String h = fixtures.host();
        return """
                package main

                import (
                \t"fmt"

                \t"HOST/incompat"
                \t"HOST/major/v2"
                \t"HOST/mono/sub"
                \t"HOST/plain"
                \t"HOST/secret"
                \t"HOST/untagged"
                )

                func main() {
                \tfmt.Println(plain.Hello(), plain.Dev, sub.Version, major.V, incompat.V, secret.S, untagged.U)
                }
                """.replace("HOST", h);
    }

    @EachGoToolchain
    void goSumThroughGranaryEqualsDirectAndBuildsSurviveTheGitServer(GoToolchain bin) throws Exception {
        String h = fixtures.host();
        List<String> gets = List.of(
                h + "/plain@dev",
                h + "/mono/sub@v1.1.0",
                h + "/major/v2@latest",
                h + "/incompat@v2.1.0+incompatible",
                h + "/secret@v1.0.0",
                h + "/untagged@main");

        // 1. The go command alone, straight from git.
        Path direct = app("direct");
        GoCommand goDirect = new GoCommand(bin, tmp.resolve("go-direct"))
                .env("GOPROXY", "direct")
                .env("GOPRIVATE", h)
                .env("GOINSECURE", h)
                .env("GOVCS", h + ":git")
                .env("GIT_TERMINAL_PROMPT", "0")
                .env("GIT_CONFIG_NOSYSTEM", "1");
        Files.writeString(
                goDirect.home().resolve(".netrc"),
                "machine " + h + " login " + GitFixtures.USER + " password " + GitFixtures.PASSWORD + "\n");
        for (String g : gets) {
            goDirect.run(direct, "get", g).assertSuccess();
        }

        // 2. The same requirements through Granary: no git, no credentials, only GONOSUMDB on the client.
        Path viaGranary = app("granary");
        Files.copy(direct.resolve("go.mod"), viaGranary.resolve("go.mod"), StandardCopyOption.REPLACE_EXISTING);
        try (TestServers.Running granary = granary(tmp.resolve("storage"), netrc())) {
            GoCommand go = new GoCommand(bin, tmp.resolve("go-granary"))
                    .env("GOPROXY", granary.url())
                    .env("GONOSUMDB", h)
                    .env("GIT_TERMINAL_PROMPT", "0");
            go.run(viaGranary, "mod", "download", "all").assertSuccess();
            go.run(viaGranary, "build", "-o", "app", ".").assertSuccess();
            assertThat(sorted(viaGranary.resolve("go.sum"))).isEqualTo(sorted(direct.resolve("go.sum")));
            String out = TestModules.runBinary(viaGranary.resolve("app"));
            assertThat(out).contains("hello v1.1.0 2 1.1.0 21 21 private 2");
            // The public proxy and checksum database never heard of the private modules (routes imply nosumdb).
            assertThat(publicProxy.totalHits()).isZero();
            assertThat(publicSumdb.totalHits()).isZero();

            // 3. The git server disappears, the module cache is cleared: Granary still has every version.
            fixtures.close();
            go.cleanModCache();
            go.run(viaGranary, "build", "-o", "app2", ".").assertSuccess();
            assertThat(TestModules.runBinary(viaGranary.resolve("app2"))).isEqualTo(out);
            assertThat(publicProxy.totalHits()).isZero();
        }
    }

    private Path app(String name) throws IOException {
        Path app = Files.createDirectories(tmp.resolve(name));
        Files.writeString(app.resolve("main.go"), mainGo());
        Files.writeString(app.resolve("go.mod"), "module example.com/app\n\ngo 1.16\n");
        return app;
    }

    private static List<String> sorted(Path file) throws IOException {
        return Arrays.stream(Files.readString(file).split("\n"))
                .filter(l -> !l.isBlank())
                .sorted()
                .toList();
    }

    @Test
    void aMovedTagKeepsServingTheFirstContentAndARefetchIsRefused() throws Exception {
        String h = fixtures.host();
        Path storage = tmp.resolve("storage");
        String path = "/" + h + "/plain/@v/v1.0.0.zip";
        byte[] first;
        try (TestServers.Running granary = granary(storage, netrc())) {
            first = get(granary, path).body();
            assertThat(get(granary, path).statusCode()).isEqualTo(200);
            // Someone moves the tag to another commit.
            fixtures.repo("plain").git("tag", "-f", "v1.0.0", fixtures.commits.get("plain-dev-1"));
            assertThat(status(granary, "/" + h + "/plain/@v/list"))
                    .isEqualTo(200); // fetches the mirror: the move is seen
            assertThat(get(granary, "/metrics").body()).asString().contains("granary_git_moved_tags_total 1.0");
            assertThat(get(granary, path).body()).isEqualTo(first);
        }
        // The stored version is lost (say, pruned by an operator); its pin is not. A refetch gets the moved tag.
        for (String ext : List.of(".info", ".mod", ".zip", ".sum")) {
            Files.delete(storage.resolve(h + "/plain/@v/v1.0.0" + ext));
        }
        try (TestServers.Running granary = granary(storage, netrc())) {
            HttpResponse<byte[]> r = get(granary, path);
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(new String(r.body())).contains("private module changed since it was first fetched");
            assertThat(Files.exists(storage.resolve(h + "/plain/@v/v1.0.0.zip")))
                    .isFalse();
        }
    }

    @Test
    void wrongCredentialsGiveAClearErrorWithoutTheSecret() throws Exception {
        Path token = tmp.resolve("token");
        String wrong = "wr0ng-t0ken-" + System.nanoTime();
        Files.writeString(token, wrong + "\n");
        try (TestServers.Running granary =
                granary(tmp.resolve("storage"), "user=" + GitFixtures.USER + " token-file=" + token)) {
            HttpResponse<byte[]> r = get(granary, "/" + fixtures.host() + "/secret/@v/v1.0.0.info");
            String body = new String(r.body());
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(body)
                    .contains("authentication failed")
                    .contains("token for gopher from file")
                    .doesNotContain(wrong)
                    .doesNotContain(GitFixtures.PASSWORD);
            assertThat(new String(get(granary, "/metrics").body())).doesNotContain(wrong);
            // The right token works, read from the same file at the next fetch.
            Files.writeString(token, GitFixtures.PASSWORD + "\n");
            assertThat(status(granary, "/" + fixtures.host() + "/secret/@v/v1.0.0.zip"))
                    .isEqualTo(200);
        }
    }

    @Test
    void hostileRepositoryUrlsAndPathsAreRefused() throws Exception {
        try (TestServers.Running granary = granary(tmp.resolve("storage"), netrc())) {
            for (String evil : List.of("evil-ext", "evil-dots", "evil-file", "evil-userinfo")) {
                HttpResponse<byte[]> r = get(granary, "/" + fixtures.host() + "/" + evil + "/@v/list");
                assertThat(r.statusCode())
                        .as(evil + ": " + new String(r.body()))
                        .isEqualTo(403);
                assertThat(new String(r.body())).as(evil).contains("refused");
            }
            assertThat(TestServers.rawStatus(
                            granary.address(), "GET", "/" + fixtures.host() + "/plain/../secret/@v/list"))
                    .isEqualTo(404);
            assertThat(Files.exists(Path.of("/tmp/granary-pwned"))).isFalse();
            assertThat(fixtures.server().gitRequests()).isZero();
        }
    }

    @Test
    void directWithoutRoutesFailsAtStart() {
        Map<ConfigKey, String> flags = Map.of(
                ConfigKey.LISTEN,
                "127.0.0.1:0",
                ConfigKey.STORAGE,
                tmp.resolve("s").toString(),
                ConfigKey.UPSTREAM,
                "https://proxy.example,direct",
                ConfigKey.SUMDB,
                "off");
        assertThatThrownBy(() -> new GranaryServer(GranaryConfig.load(flags, Map.of(), Optional.empty()), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("git.routes");
    }

    private static HttpResponse<byte[]> get(TestServers.Running g, String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(g.url() + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static int status(TestServers.Running g, String path) throws Exception {
        return get(g, path).statusCode();
    }
}
