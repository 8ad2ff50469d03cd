package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import dev.granary.core.testing.Eventually;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.auth.Tokens;
import dev.granary.server.config.ConfigKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Client authentication as a real server applies it: 401 with the challenges for missing and for
 * unknown credentials, 403 naming what a token lacks, rights per module pattern, open probes,
 * /metrics behind a token, token file reloads; and no secret in any log line (at TRACE), in the
 * metrics or in any answer.
 */
class EdgeAccessTest {
    @TempDir
    Path tmp;

    private final String reader = Tokens.generate();
    private final String team = Tokens.generate();
    private final String prom = Tokens.generate();
    private final String later = Tokens.generate();
    private final List<String> answers = new ArrayList<>();
    private Path tokens;
    private TestUpstream upstream;
    private TestServers.Running granary;
    private LogCapture logs;
    private Level level;

    @BeforeEach
    void setUp() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        level = root.getLevel();
        root.setLevel(Level.TRACE);
        logs = new LogCapture();
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("corp.example.com/team-a/svc", "v1.0.0");
        tree.addSimple("corp.example.com/team-b/svc", "v1.0.0");
        tree.addSimple("example.com/public", "v1.0.0");
        upstream = TestUpstream.serve(tree.root());
        tokens = tmp.resolve("tokens");
        Files.writeString(
                tokens,
                "# granary client tokens\n"
                        + "reader " + Tokens.hash(reader) + " read\n"
                        + "team-a " + Tokens.hash(team) + " read:corp.example.com/team-a\n"
                        + "prom   " + Tokens.hash(prom) + " metrics\n");
        Map<ConfigKey, String> extra = new EnumMap<>(ConfigKey.class);
        extra.put(ConfigKey.AUTH_TOKENS_FILE, tokens.toString());
        extra.put(ConfigKey.AUTH_REQUIRED, "corp.example.com");
        extra.put(ConfigKey.AUTH_METRICS, "true");
        extra.put(ConfigKey.RELOAD_INTERVAL, "100ms");
        granary = TestServers.start(tmp.resolve("storage"), upstream.uri().toString(), extra);
    }

    @AfterEach
    void tearDown() {
        granary.close();
        upstream.close();
        logs.close();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(level);
    }

    private RawHttp.Response get(String path, String... headers) throws Exception {
        try (RawHttp c = RawHttp.connect(granary.address())) {
            RawHttp.Response r = c.send(RawHttp.request("GET", path, headers)).read(false);
            answers.add(r.statusLine() + "\n" + r.headers() + "\n" + r.text());
            return r;
        }
    }

    private static String basic(String login, String password) {
        return "Authorization: Basic "
                + Base64.getEncoder().encodeToString((login + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String bearer(String token) {
        return "Authorization: Bearer " + token;
    }

    @Test
    void modulesMatchingAuthRequiredNeedATokenWithAMatchingReadRight() throws Exception {
        String teamA = "/corp.example.com/team-a/svc/@v/v1.0.0.info";
        String teamB = "/corp.example.com/team-b/svc/@v/v1.0.0.mod";

        assertThat(get("/example.com/public/@v/v1.0.0.info").status()).isEqualTo(200);
        RawHttp.Response anonymous = get(teamA);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.headers().get("www-authenticate"))
                .containsExactly("Basic realm=\"granary\", charset=\"UTF-8\"", "Bearer realm=\"granary\"");
        assertThat(anonymous.text()).startsWith("authentication required: corp.example.com/team-a/svc needs a token");
        assertThat(anonymous.header("cache-control")).isEqualTo("no-store");
        assertThat(anonymous.closes()).isFalse();

        RawHttp.Response wrong = get(teamA, bearer(Tokens.generate()));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.headers().get("www-authenticate"))
                .contains("Bearer realm=\"granary\", error=\"invalid_token\"");
        assertThat(wrong.text()).startsWith("invalid credentials");
        // Wrong credentials are wrong everywhere, even where none are needed...
        assertThat(get("/example.com/public/@v/v1.0.0.info", basic("me", "granary_nope"))
                        .status())
                .isEqualTo(401);
        // ...except on the probes, which never look at them.
        assertThat(get("/healthz", basic("me", "granary_nope")).status()).isEqualTo(200);
        assertThat(get("/readyz", bearer("x")).status()).isEqualTo(200);

        assertThat(get(teamA, basic("anyone", team)).status()).isEqualTo(200);
        assertThat(get(teamA, basic(team, "")).status())
                .as("a token given as the login")
                .isEqualTo(200);
        RawHttp.Response other = get(teamB, basic("anyone", team));
        assertThat(other.status()).isEqualTo(403);
        assertThat(other.text())
                .isEqualTo(
                        "token 'team-a' may not read corp.example.com/team-b/svc (it may read corp.example.com/team-a)\n");
        assertThat(get(teamB, bearer(reader)).status()).isEqualTo(200);
        assertThat(get("/corp.example.com/team-b/svc/@v/list", bearer(reader)).text())
                .isEqualTo("v1.0.0\n");
        assertThat(get("/corp.example.com/team-b/svc/@v/list").status()).isEqualTo(401);

        String metrics = granary.server().metrics().scrape();
        assertThat(metrics)
                .contains("granary_auth_refusals_total{reason=\"missing\"} 2.0")
                .contains("granary_auth_refusals_total{reason=\"invalid\"} 2.0")
                .contains("granary_auth_refusals_total{reason=\"forbidden\"} 1.0")
                .contains("granary_auth_tokens 3.0");
        assertNoSecretAnywhere();
    }

    @Test
    void theCatalogListsModulesOnlyToTokensThatMayReadThemAll() throws Exception {
        // Committed (the zip is answered after the commit), so the catalog knows it.
        assertThat(get("/corp.example.com/team-b/svc/@v/v1.0.0.zip", bearer(reader))
                        .status())
                .isEqualTo(200);
        assertThat(get("/").status()).as("the page itself").isEqualTo(200);
        assertThat(get("/-/api/modules?q=corp").status()).isEqualTo(401);
        RawHttp.Response limited = get("/-/api/modules?q=corp", bearer(team));
        assertThat(limited.status()).isEqualTo(403);
        assertThat(limited.text()).isEqualTo("token 'team-a' may not read the module catalog\n");
        assertThat(get("/-/api/modules?q=corp", bearer(reader)).status()).isEqualTo(200);
        assertThat(get("/-/api/stats").status()).isEqualTo(401);
        // A module's own catalog page is guarded as the module is.
        assertThat(get("/-/api/modules/corp.example.com/team-b/svc", bearer(team))
                        .status())
                .isEqualTo(403);
        assertThat(get("/-/api/modules/corp.example.com/team-b/svc", bearer(reader))
                        .status())
                .isEqualTo(200);
        assertNoSecretAnywhere();
    }

    @Test
    void metricsNeedATokenWithTheMetricsRight() throws Exception {
        assertThat(get("/metrics").status()).isEqualTo(401);
        assertThat(get("/metrics", bearer(reader)).status()).isEqualTo(403);
        RawHttp.Response ok = get("/metrics", basic("prometheus", prom));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.text()).contains("granary_http_requests_seconds");
        assertNoSecretAnywhere();
    }

    @Test
    void theTokenFileIsReloadedWhenItChangesAndABrokenEditChangesNothing() throws Exception {
        String path = "/corp.example.com/team-a/svc/@v/v1.0.0.info";
        assertThat(get(path, bearer(later)).status()).isEqualTo(401);
        Files.writeString(
                tokens, Files.readString(tokens) + "later " + Tokens.hash(later) + " read:corp.example.com\n");
        Eventually.eventually(
                () -> assertThat(get(path, bearer(later)).status()).isEqualTo(200));

        // A line that does not parse: the tokens in force stay, and the failure is counted.
        Files.writeString(tokens, Files.readString(tokens) + "broken sha256:123 read\n");
        Eventually.eventually(() -> assertThat(granary.server().metrics().scrape())
                .contains("granary_reloads_total{file=\"tokens\",result=\"failed\"} 1.0"));
        assertThat(get(path, bearer(later)).status()).isEqualTo(200);

        // Revoked: the line goes, and so does the access.
        Files.writeString(tokens, "reader " + Tokens.hash(reader) + " read\n");
        Eventually.eventually(
                () -> assertThat(get(path, bearer(later)).status()).isEqualTo(401));
        assertNoSecretAnywhere();
    }

    @Test
    void overTlsAndHttp2TheSameRulesHold() throws Exception {
        granary.close();
        TestCa ca = TestCa.create(tmp.resolve("ca"), "Test CA");
        Path cert = tmp.resolve("cert.pem");
        Path key = tmp.resolve("key.pem");
        ca.issue("granary", cert, key, TestCa.KeyForm.PKCS8_EC);
        Map<ConfigKey, String> extra = new EnumMap<>(ConfigKey.class);
        extra.put(ConfigKey.AUTH_TOKENS, "team-a " + Tokens.hash(team) + " read:corp.example.com/team-a");
        extra.put(ConfigKey.AUTH_REQUIRED, "*");
        extra.put(ConfigKey.TLS_CERT, cert.toString());
        extra.put(ConfigKey.TLS_KEY, key.toString());
        granary = TestServers.start(tmp.resolve("storage2"), upstream.uri().toString(), extra);
        String base = "https://127.0.0.1:" + granary.address().getPort();
        try (HttpClient h2 = TestServers.httpsClient(ca.certificate(), HttpClient.Version.HTTP_2)) {
            HttpResponse<String> none = h2.send(
                    HttpRequest.newBuilder(URI.create(base + "/example.com/public/@v/list"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(none.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().allValues("www-authenticate")).hasSize(2);
            HttpResponse<String> ok = h2.send(
                    HttpRequest.newBuilder(URI.create(base + "/corp.example.com/team-a/svc/@v/list"))
                            .header("Authorization", "Bearer " + team)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("v1.0.0\n");
            HttpResponse<String> sumdb = h2.send(
                    HttpRequest.newBuilder(URI.create(base + "/sumdb/sum.golang.org/supported"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sumdb.statusCode())
                    .as("'*' guards the checksum-database proxy too")
                    .isEqualTo(401);
            answers.add(none.body() + ok.body() + sumdb.body() + none.headers() + ok.headers());
        }
        assertNoSecretAnywhere();
    }

    /** No token, no hash of one, no Basic credentials in any log event (TRACE included), metric or answer. */
    private void assertNoSecretAnywhere() {
        List<String> secrets = new ArrayList<>();
        for (String t : List.of(reader, team, prom, later)) {
            secrets.add(t);
            secrets.add(t.substring(Tokens.PREFIX.length(), Tokens.PREFIX.length() + 16));
            secrets.add(Tokens.hash(t));
            secrets.add(Base64.getEncoder().encodeToString(("anyone:" + t).getBytes(StandardCharsets.UTF_8)));
        }
        List<String> texts = new ArrayList<>(answers);
        texts.add(granary.server().metrics().scrape());
        for (ILoggingEvent e : logs.atLeast(Level.TRACE)) {
            texts.add(e.getFormattedMessage()
                    + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy())));
        }
        assertThat(logs.atLeast(Level.TRACE)).as("TRACE logging was captured").isNotEmpty();
        for (String text : texts) {
            for (String s : secrets) {
                assertThat(text).doesNotContain(s);
            }
        }
    }
}
