package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.auth.Tokens;
import dev.granary.server.config.ConfigKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real go command, once per Go toolchain on the machine, against Granary over TLS with a test
 * CA ({@code SSL_CERT_FILE}; the go command negotiates HTTP/2): client tokens from {@code .netrc}
 * and from {@code GOAUTH} (Go 1.24+: a command that answers the 401's challenge, and git's
 * credential helper), missing and wrong tokens, rights per module pattern, versions refused by the
 * deny list and by the quarantine with the reason printed and no fall-through to the next proxy,
 * and a rate limit answered 429.
 */
class GoSecurityIT {
    private static final String APP_GO_MOD = "module example.com/app\n\ngo 1.19\n";

    @TempDir
    Path tmp;

    private final String dev = Tokens.generate();
    private final String team = Tokens.generate();
    private TestCa ca;
    private GoProxyTree tree;
    private TestUpstream upstream;
    private TestServers.Running granary;
    private Path app;

    static List<Path> toolchains() {
        return GoToolchainRun.toolchains();
    }

    @BeforeEach
    void setUp() throws Exception {
        ca = TestCa.create(tmp.resolve("ca"), "Granary Test CA");
        tree = new GoProxyTree(tmp.resolve("upstream"));
        for (String m : List.of("corp.example.com/team-a/lib", "corp.example.com/team-b/lib", "example.com/public")) {
            tree.addSimple(m, "v1.0.0");
        }
        tree.addSimple("example.com/bad", "v1.0.0");
        tree.addSimple("example.com/bad", "v1.1.0");
        addPublishedAt(tree, "example.com/fresh", "v1.0.0", Instant.now().minus(1, ChronoUnit.HOURS));
        upstream = TestUpstream.serve(tree.root());
        app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("go.mod"), APP_GO_MOD);
    }

    private static void addPublishedAt(GoProxyTree tree, String module, String version, Instant time) throws Exception {
        String info = "{\"Version\":\"" + version + "\",\"Time\":\"" + time.truncatedTo(ChronoUnit.SECONDS) + "\"}";
        byte[] mod = ("module " + module + "\n").getBytes(StandardCharsets.UTF_8);
        tree.add(module, version, info.getBytes(StandardCharsets.UTF_8), mod,
                Map.of("go.mod", mod, "fresh.go", "package fresh\n".getBytes(StandardCharsets.UTF_8)));
    }

    @AfterEach
    void tearDown() {
        if (granary != null) {
            granary.close();
        }
        upstream.close();
    }

    /** Granary over TLS with tokens, guarded corp modules, a deny rule and a 72h quarantine. */
    private void startSecured(Map<ConfigKey, String> more) throws Exception {
        Path cert = tmp.resolve("tls/cert.pem");
        Path key = tmp.resolve("tls/key.pem");
        Files.createDirectories(cert.getParent());
        ca.issue("granary", cert, key, TestCa.KeyForm.PKCS8_EC);
        Map<ConfigKey, String> extra = new EnumMap<>(ConfigKey.class);
        extra.put(ConfigKey.TLS_CERT, cert.toString());
        extra.put(ConfigKey.TLS_KEY, key.toString());
        extra.put(ConfigKey.AUTH_TOKENS, "dev " + Tokens.hash(dev) + " read; team-a " + Tokens.hash(team) + " read:corp.example.com/team-a");
        extra.put(ConfigKey.AUTH_REQUIRED, "corp.example.com");
        extra.put(ConfigKey.POLICY_DENY, "example.com/bad <v1.1.0 # CVE-TEST-1");
        extra.put(ConfigKey.POLICY_MIN_AGE, "72h");
        extra.put(ConfigKey.POLICY_MIN_AGE_EXEMPT, "corp.example.com");
        extra.putAll(more);
        granary = TestServers.start(tmp.resolve("storage"), upstream.uri().toString(), extra);
    }

    private String proxy() {
        return "https://127.0.0.1:" + granary.address().getPort();
    }

    /** A go command that trusts the test CA and talks to Granary, with a home of its own. */
    private GoToolchainRun go(Path binary, String name) throws Exception {
        return GoToolchainRun.of(binary, tmp.resolve("go-" + name))
                .with("GOPROXY", proxy())
                .with("SSL_CERT_FILE", ca.caFile().toString());
    }

    /** A .netrc for Granary's host, written as both Go generations need it (golang/go#81253: Go 1.24+ matches host:port). */
    private Path netrc(String name, String token) throws Exception {
        Path f = tmp.resolve(name + ".netrc");
        int port = granary.address().getPort();
        Files.writeString(f, "machine 127.0.0.1:" + port + " login ci password " + token + "\n"
                + "machine 127.0.0.1 login ci password " + token + "\n");
        return f;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("toolchains")
    void goWorksThroughTlsWithTheTestCaAndOnlyWithIt(Path binary) throws Exception {
        startSecured(Map.of());
        GoToolchainRun go = go(binary, "tls");
        String json = go.run(app, "mod", "download", "-json", "example.com/public@v1.0.0").assertSuccess().output();
        assertThat(json).contains("\"Version\": \"v1.0.0\"").doesNotContain("\"Error\"");

        GoToolchainRun untrusting = go.with("SSL_CERT_FILE", tmp.resolve("ca/none.pem").toString());
        Files.writeString(tmp.resolve("ca/none.pem"), "");
        untrusting.cleanModCache();
        String out = untrusting.run(app, "mod", "download", "example.com/public@v1.0.0").assertFailure().output();
        assertThat(out).containsAnyOf("certificate signed by unknown authority", "x509:");

        // A go command pointed at the TLS port with http:// is told what is wrong.
        GoToolchainRun plain = go.with("GOPROXY", "http://127.0.0.1:" + granary.address().getPort()).with("GOINSECURE", "*");
        plain.cleanModCache();
        assertThat(plain.run(app, "mod", "download", "example.com/public@v1.0.0").assertFailure().output())
                .contains("400 Bad Request").contains("this port speaks HTTPS: use https://");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("toolchains")
    void netrcTokensMissingAndWrongTokensAndRightsPerPattern(Path binary) throws Exception {
        startSecured(Map.of());
        GoToolchainRun anonymous = go(binary, "anonymous");
        String refused = anonymous.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0").assertFailure().output();
        assertThat(refused).contains("401 Unauthorized").contains("authentication required: corp.example.com/team-a/lib needs a token");

        GoToolchainRun wrong = go(binary, "wrong").with("NETRC", netrc("wrong", Tokens.generate()).toString());
        assertThat(wrong.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0").assertFailure().output())
                .contains("401 Unauthorized").contains("invalid credentials: the token is not known here");

        GoToolchainRun devGo = go(binary, "dev").with("NETRC", netrc("dev", dev).toString());
        devGo.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0", "corp.example.com/team-b/lib@v1.0.0").assertSuccess();

        GoToolchainRun teamGo = go(binary, "team").with("NETRC", netrc("team", team).toString());
        teamGo.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0").assertSuccess();
        assertThat(teamGo.run(app, "mod", "download", "corp.example.com/team-b/lib@v1.0.0").assertFailure().output())
                .contains("403 Forbidden").contains("token 'team-a' may not read corp.example.com/team-b/lib");
        // Public modules need no token, and a valid token does not get in their way.
        teamGo.run(app, "mod", "download", "example.com/public@v1.0.0").assertSuccess();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("toolchains")
    void goauthCommandsAnswerTheChallengeAndGitCredentialHelpersWork(Path binary) throws Exception {
        startSecured(Map.of());
        GoToolchainRun probe = go(binary, "probe");
        if (!probe.hasGoAuth()) {
            // Go before 1.24 has no GOAUTH: .netrc is its only way (the test above).
            assertThat(probe.minor()).isLessThan(24);
            return;
        }
        // A GOAUTH command that gives a Bearer token only once it has seen the 401 (the go command
        // runs it again with the URL and the response on stdin), and keeps what it was shown.
        Path seen = tmp.resolve("goauth-stdin.txt");
        Path helper = tmp.resolve("goauth-helper.sh");
        Files.writeString(helper, "#!/bin/sh\n"
                + "[ -n \"$1\" ] || exit 0\n"
                + "cat > " + seen + "\n"
                + "printf '%s\\n\\n%s\\n\\n' 'https://127.0.0.1:" + granary.address().getPort() + "' 'Authorization: Bearer " + team + "'\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
        GoToolchainRun viaCommand = go(binary, "goauth-cmd").with("GOAUTH", helper.toString());
        viaCommand.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0").assertSuccess();
        String stdin = Files.readString(seen);
        assertThat(stdin).startsWith("HTTP/2.0 401 Unauthorized").contains("Www-Authenticate: Basic realm=\"granary\"")
                .contains("Bearer realm=\"granary\"");
        assertThat(viaCommand.run(app, "mod", "download", "corp.example.com/team-b/lib@v1.0.0").assertFailure().output())
                .contains("403 Forbidden").contains("token 'team-a' may not read corp.example.com/team-b/lib");

        // GOAUTH=git: git's credential helper (here the store helper) answers, sent as Basic.
        Path repo = Files.createDirectories(tmp.resolve("creds-repo"));
        Path store = tmp.resolve("git-credentials");
        Files.writeString(store, "https://ci:" + dev + "@127.0.0.1%3a" + granary.address().getPort() + "\n");
        GoToolchainRun viaGit = go(binary, "goauth-git").with("GOAUTH", "git " + repo)
                .with("GIT_CONFIG_GLOBAL", tmp.resolve("gitconfig").toString())
                .with("GIT_CONFIG_NOSYSTEM", "1").with("GIT_TERMINAL_PROMPT", "0");
        Files.writeString(tmp.resolve("gitconfig"), "[credential]\n\thelper = store --file=" + store + "\n");
        viaGit.run(app, "mod", "download", "corp.example.com/team-b/lib@v1.0.0").assertSuccess();

        // GOAUTH=netrc, said outright.
        go(binary, "goauth-netrc").with("GOAUTH", "netrc").with("NETRC", netrc("dev2", dev).toString())
                .run(app, "mod", "download", "corp.example.com/team-b/lib@v1.0.0").assertSuccess();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("toolchains")
    void deniedAndQuarantinedVersionsAre403WithTheReasonAndNoFallThrough(Path binary) throws Exception {
        startSecured(Map.of());
        // After Granary, a file:// proxy that has every version: falling through to it would succeed.
        GoToolchainRun go = go(binary, "policy").with("GOPROXY", proxy() + "," + tree.root().toUri());

        String denied = go.run(app, "mod", "download", "example.com/bad@v1.0.0").assertFailure().output();
        assertThat(denied).contains("403 Forbidden")
                .contains("policy: example.com/bad@v1.0.0 is denied (rule 'example.com/bad <v1.1.0': CVE-TEST-1)");
        go.run(app, "mod", "download", "example.com/bad@v1.1.0").assertSuccess();

        String quarantined = go.run(app, "mod", "download", "example.com/fresh@v1.0.0").assertFailure().output();
        assertThat(quarantined).contains("403 Forbidden").contains("policy: example.com/fresh@v1.0.0 is quarantined until ")
                .contains("versions are served once they are 72h old");
        assertThat(go.run(app, "get", "example.com/fresh@latest").assertFailure().output()).contains("is quarantined until");
        assertThat(Files.exists(tmp.resolve("storage/example.com/fresh/@v/v1.0.0.zip"))).as("never downloaded").isFalse();
        assertThat(upstream.hits("example.com/fresh/@v/v1.0.0.zip")).isZero();

        // The list is left as it is: the user sees the version, and why it is refused.
        assertThat(go.run(app, "list", "-m", "-versions", "example.com/bad").assertSuccess().output().strip())
                .isEqualTo("example.com/bad v1.0.0 v1.1.0");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("toolchains")
    void aClientOverItsRateIsAnswered429AndTheGoCommandSaysWhy(Path binary) throws Exception {
        startSecured(Map.of(ConfigKey.LIMITS_CLIENT_RATE, "1", ConfigKey.LIMITS_CLIENT_BURST, "2"));
        GoToolchainRun go = go(binary, "limited");
        // Five modules, several requests each, within a moment: more than two at once and one per second.
        String out = go.run(app, "mod", "download", "example.com/public@v1.0.0", "example.com/bad@v1.1.0",
                "corp.example.com/team-a/lib@v1.0.0", "corp.example.com/team-b/lib@v1.0.0", "example.com/fresh@v1.0.0").assertFailure().output();
        assertThat(out).contains("429 Too Many Requests").contains("too many requests from your address");
        assertThat(granary.server().metrics().scrape()).contains("granary_limits_refusals_total{limit=\"client-rate\"}");
    }
}
