package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
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
        tree.add(
                module,
                version,
                info.getBytes(StandardCharsets.UTF_8),
                mod,
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
        extra.put(
                ConfigKey.AUTH_TOKENS,
                "dev " + Tokens.hash(dev) + " read; team-a " + Tokens.hash(team) + " read:corp.example.com/team-a");
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

    /**
     * A go command that trusts the test CA and talks to Granary, with a home of its own, no .netrc
     * and (Go 1.24+) GOAUTH=off until a test gives it credentials.
     */
    private GoCommand go(GoToolchain toolchain, String name) throws Exception {
        return new GoCommand(toolchain, tmp.resolve("go-" + name))
                .env("GOPROXY", proxy())
                .env("SSL_CERT_FILE", ca.caFile().toString());
    }

    /** The same with a .netrc holding {@code token} (GOAUTH=netrc: Go 1.19 ignores the variable and reads it anyway). */
    private GoCommand goWithNetrc(GoToolchain toolchain, String name, String token) throws Exception {
        return go(toolchain, name)
                .env("GOAUTH", "netrc")
                .env("NETRC", netrc(name, token).toString());
    }

    private static String fails(GoCommand.Result r) {
        if (r.exit() == 0) {
            throw new AssertionError(r.command() + " succeeded where it must fail:\n" + r.output());
        }
        return r.output();
    }

    /** A .netrc for Granary's host, written as both Go generations need it (golang/go#81253: Go 1.24+ matches host:port). */
    private Path netrc(String name, String token) throws Exception {
        Path f = tmp.resolve(name + ".netrc");
        int port = granary.address().getPort();
        Files.writeString(
                f,
                "machine 127.0.0.1:" + port + " login ci password " + token + "\n"
                        + "machine 127.0.0.1 login ci password " + token + "\n");
        return f;
    }

    @EachGoToolchain
    void goWorksThroughTlsWithTheTestCaAndOnlyWithIt(GoToolchain toolchain) throws Exception {
        startSecured(Map.of());
        String json = go(toolchain, "tls")
                .run(app, "mod", "download", "-json", "example.com/public@v1.0.0")
                .assertSuccess()
                .output();
        assertThat(json).contains("\"Version\": \"v1.0.0\"").doesNotContain("\"Error\"");

        Path none = Files.writeString(tmp.resolve("ca/none.pem"), "");
        GoCommand untrusting = go(toolchain, "untrusting").env("SSL_CERT_FILE", none.toString());
        assertThat(fails(untrusting.run(app, "mod", "download", "example.com/public@v1.0.0")))
                .containsAnyOf("certificate signed by unknown authority", "x509:");

        // A go command pointed at the TLS port with http:// is told what is wrong.
        GoCommand plain = go(toolchain, "plain")
                .env("GOPROXY", "http://127.0.0.1:" + granary.address().getPort());
        assertThat(fails(plain.run(app, "mod", "download", "example.com/public@v1.0.0")))
                .contains("400 Bad Request")
                .contains("this port speaks HTTPS: use https://");
    }

    @EachGoToolchain
    void netrcTokensMissingAndWrongTokensAndRightsPerPattern(GoToolchain toolchain) throws Exception {
        startSecured(Map.of());
        GoCommand anonymous = go(toolchain, "anonymous")
                .env("GOAUTH", "netrc")
                .env("NETRC", Files.writeString(tmp.resolve("empty.netrc"), "").toString());
        assertThat(fails(anonymous.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0")))
                .contains("401 Unauthorized")
                .contains("authentication required: corp.example.com/team-a/lib needs a token");

        GoCommand wrong = goWithNetrc(toolchain, "wrong", Tokens.generate());
        assertThat(fails(wrong.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0")))
                .contains("401 Unauthorized")
                .contains("invalid credentials: the token is not known here");

        GoCommand devGo = goWithNetrc(toolchain, "dev", dev);
        devGo.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0", "corp.example.com/team-b/lib@v1.0.0")
                .assertSuccess();

        GoCommand teamGo = goWithNetrc(toolchain, "team", team);
        teamGo.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0").assertSuccess();
        assertThat(fails(teamGo.run(app, "mod", "download", "corp.example.com/team-b/lib@v1.0.0")))
                .contains("403 Forbidden")
                .contains("token 'team-a' may not read corp.example.com/team-b/lib");
        // Public modules need no token, and a valid token does not get in their way.
        teamGo.run(app, "mod", "download", "example.com/public@v1.0.0").assertSuccess();
    }

    @EachGoToolchain
    void goauthCommandsAnswerTheChallengeAndGitCredentialHelpersWork(GoToolchain toolchain) throws Exception {
        startSecured(Map.of());
        // A GOAUTH command that gives a Bearer token only once it has seen the 401 (the go command
        // runs it again with the URL and the response on stdin), and keeps what it was shown.
        Path seen = tmp.resolve("goauth-stdin.txt");
        Path helper = tmp.resolve("goauth-helper.sh");
        Files.writeString(
                helper,
                "#!/bin/sh\n"
                        + "[ -n \"$1\" ] || exit 0\n"
                        + "cat > " + seen + "\n"
                        + "printf '%s\\n\\n%s\\n\\n' 'https://127.0.0.1:"
                        + granary.address().getPort() + "' 'Authorization: Bearer " + team + "'\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
        GoCommand viaCommand = go(toolchain, "goauth-cmd").env("GOAUTH", helper.toString());
        if (!toolchain.atLeast(24)) {
            // Go before 1.24 has no GOAUTH: the command is never run, and .netrc is the only way (the test above).
            assertThat(fails(viaCommand.run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0")))
                    .contains("401 Unauthorized");
            assertThat(seen).doesNotExist();
            return;
        }
        viaCommand
                .run(app, "mod", "download", "corp.example.com/team-a/lib@v1.0.0")
                .assertSuccess();
        String stdin = Files.readString(seen);
        assertThat(stdin)
                .startsWith("HTTP/2.0 401 Unauthorized")
                .contains("Www-Authenticate: Basic realm=\"granary\"")
                .contains("Bearer realm=\"granary\"");
        assertThat(fails(viaCommand.run(app, "mod", "download", "corp.example.com/team-b/lib@v1.0.0")))
                .contains("403 Forbidden")
                .contains("token 'team-a' may not read corp.example.com/team-b/lib");

        // GOAUTH=git: git's credential helper (here the store helper) answers, sent as Basic.
        Path repo = Files.createDirectories(tmp.resolve("creds-repo"));
        Path store = tmp.resolve("git-credentials");
        Files.writeString(
                store, "https://ci:" + dev + "@127.0.0.1%3a" + granary.address().getPort() + "\n");
        Path gitconfig =
                Files.writeString(tmp.resolve("gitconfig"), "[credential]\n\thelper = store --file=" + store + "\n");
        GoCommand viaGit = go(toolchain, "goauth-git")
                .env("GOAUTH", "git " + repo)
                .env("GIT_CONFIG_GLOBAL", gitconfig.toString())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_TERMINAL_PROMPT", "0");
        viaGit.run(app, "mod", "download", "corp.example.com/team-b/lib@v1.0.0").assertSuccess();
    }

    @EachGoToolchain
    void deniedAndQuarantinedVersionsAre403WithTheReasonAndNoFallThrough(GoToolchain toolchain) throws Exception {
        startSecured(Map.of());
        // After Granary, a file:// proxy that has every version: falling through to it would succeed.
        GoCommand go = go(toolchain, "policy")
                .env("GOPROXY", proxy() + "," + tree.root().toUri());

        assertThat(fails(go.run(app, "mod", "download", "example.com/bad@v1.0.0")))
                .contains("403 Forbidden")
                .contains("policy: example.com/bad@v1.0.0 is denied (rule 'example.com/bad <v1.1.0': CVE-TEST-1)");
        go.run(app, "mod", "download", "example.com/bad@v1.1.0").assertSuccess();

        assertThat(fails(go.run(app, "mod", "download", "example.com/fresh@v1.0.0")))
                .contains("403 Forbidden")
                .contains("policy: example.com/fresh@v1.0.0 is quarantined until ")
                .contains("versions are served once they are 72h old");
        assertThat(fails(go.run(app, "get", "example.com/fresh@latest"))).contains("is quarantined until");
        assertThat(Files.exists(tmp.resolve("storage/example.com/fresh/@v/v1.0.0.zip")))
                .as("never downloaded")
                .isFalse();
        assertThat(upstream.hits("example.com/fresh/@v/v1.0.0.zip")).isZero();

        // The list is left as it is: the user sees the version, and why it is refused.
        assertThat(go.run(app, "list", "-m", "-versions", "example.com/bad")
                        .assertSuccess()
                        .output()
                        .strip())
                .isEqualTo("example.com/bad v1.0.0 v1.1.0");
    }

    @EachGoToolchain
    void aClientOverItsRateIsAnswered429AndTheGoCommandSaysWhy(GoToolchain toolchain) throws Exception {
        startSecured(Map.of(ConfigKey.LIMITS_CLIENT_RATE, "1", ConfigKey.LIMITS_CLIENT_BURST, "2"));
        // Five modules, several requests each, within a moment: more than two at once and one per second.
        String out = fails(go(toolchain, "limited")
                .run(
                        app,
                        "mod",
                        "download",
                        "example.com/public@v1.0.0",
                        "example.com/bad@v1.1.0",
                        "corp.example.com/team-a/lib@v1.0.0",
                        "corp.example.com/team-b/lib@v1.0.0",
                        "example.com/fresh@v1.0.0"));
        assertThat(out).contains("429 Too Many Requests").contains("too many requests from your address");
        assertThat(granary.server().metrics().scrape())
                .contains("granary_limits_refusals_total{limit=\"client-rate\"}");
    }
}
