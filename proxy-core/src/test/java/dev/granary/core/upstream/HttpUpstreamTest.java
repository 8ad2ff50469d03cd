package dev.granary.core.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.testing.LogCapture;
import dev.granary.core.testing.ScriptedUpstream;
import dev.granary.core.testing.ScriptedUpstream.Request;
import dev.granary.core.testing.SmallFilesystem;
import dev.granary.core.upstream.HttpUpstream.Redirects;
import dev.granary.core.upstream.HttpUpstream.Settings;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** HttpUpstream against misbehaving upstreams on loopback: credentials, deadlines, Retry-After, redirects, messages, connections. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpUpstreamTest {
    private static final String TOKEN = "tok-3f9a1c77e2";
    private static final Settings FAST =
            new Settings(Duration.ofSeconds(2), Duration.ofSeconds(20), 2, Duration.ofMillis(10));

    @TempDir
    Path tmp;

    private final List<ScriptedUpstream> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(ScriptedUpstream::close);
    }

    private ScriptedUpstream serve(ScriptedUpstream.Script script) throws Exception {
        return serve("127.0.0.1", script);
    }

    private ScriptedUpstream serve(String host, ScriptedUpstream.Script script) throws Exception {
        ScriptedUpstream s = ScriptedUpstream.start(host, script);
        servers.add(s);
        return s;
    }

    private static HttpUpstream upstream(String url, Settings s) {
        return new HttpUpstream(URI.create(url), HttpUpstream.newClient(s), s);
    }

    private static HttpUpstream upstream(ScriptedUpstream server, Settings s) {
        return upstream(server.uri().toString(), s);
    }

    private static String withUserinfo(ScriptedUpstream server, String userinfo) {
        return "http://" + userinfo + "@" + server.uri().getAuthority() + "/";
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aReleaseListingQueryIsSentAsAQueryUnderTheBasePath() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(200, req.path()));
        HttpUpstream u = upstream(a.uri() + "dl/", FAST);
        assertThat(text(u.fetch("?mode=json&include=all", 100))).isEqualTo("/dl/?mode=json&include=all");
        assertThat(text(u.fetch("go1.26.3.linux-amd64.tar.gz.asc", 100)))
                .isEqualTo("/dl/go1.26.3.linux-amd64.tar.gz.asc");
        assertThat(text(u.fetch("example.com/!a b/@v/list", 100))).isEqualTo("/dl/example.com/!a%20b/@v/list");
    }

    // ---- credentials ----------------------------------------------------------------------------

    @Test
    void userinfoIsSentAsBasicAndNeverShown() throws Exception {
        // The upstream echoes everything it got, as some error pages do.
        ScriptedUpstream a = serve((req, reply) -> {
            String echo = "denied: " + req.header("authorization") + " user:" + TOKEN + " at http://"
                    + req.header("host") + req.path();
            switch (req.path()) {
                case "/m/@v/list" -> reply.send(200, "v1.0.0\n");
                case "/m/@v/v1.0.0.info" -> reply.send(404, echo);
                default -> reply.send(500, echo);
            }
        });
        try (LogCapture logs = new LogCapture()) {
            UpstreamChain chain =
                    UpstreamChain.parse(withUserinfo(a, "user:" + TOKEN), HttpUpstream.newClient(FAST), FAST);
            assertThat(text(chain.fetch("m/@v/list", 1024))).isEqualTo("v1.0.0\n");
            ProxyException notFound =
                    catchThrowableOfType(ProxyException.class, () -> chain.fetch("m/@v/v1.0.0.info", 1024));
            ProxyException failed =
                    catchThrowableOfType(ProxyException.class, () -> chain.fetch("m/@v/v1.0.0.mod", 1024));

            assertThat(a.requests()).extracting(r -> r.header("authorization")).containsOnly(basic("user", TOKEN));
            assertThat(notFound.kind()).isEqualTo(Kind.NOT_FOUND);
            assertThat(failed.kind()).isEqualTo(Kind.UPSTREAM_FAILED);
            assertThat(chain.describe()).isEqualTo("http://user:***@" + a.uri().getAuthority() + "/");
            String encoded = basic("user", TOKEN).substring("Basic ".length());
            for (String shown : List.of(notFound.getMessage(), failed.getMessage(), chain.describe(), logs.text())) {
                assertThat(shown).doesNotContain(TOKEN).doesNotContain(encoded);
            }
            assertThat(notFound.getMessage()).contains("denied: Basic ***").contains("user:***");
            // The internal address goes to the log only.
            assertThat(notFound.getMessage() + failed.getMessage())
                    .doesNotContain(a.uri().getAuthority());
            assertThat(logs.text()).contains("http://user:***@" + a.uri().getAuthority() + "/m/@v/v1.0.0.mod");
        }
    }

    @Test
    void aUserOnlyUserinfoIsATokenAndRedactedWhole() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(200, "ok"));
        HttpUpstream u = upstream(withUserinfo(a, TOKEN), FAST);
        u.fetch("x", 100);
        assertThat(a.requests().get(0).header("authorization")).isEqualTo(basic(TOKEN, ""));
        assertThat(u.describe()).isEqualTo("http://***@" + a.uri().getAuthority() + "/");
    }

    @Test
    void configuredBearerAndBasicCredentialsAreSentToTheirHost() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(200, "ok"));
        ScriptedUpstream b = serve("127.0.0.2", (req, reply) -> reply.send(200, "ok"));
        Path pw = Files.writeString(tmp.resolve("pw"), "hunter2\n");
        UpstreamCredentials creds = UpstreamCredentials.parse(
                a.uri().getAuthority() + "=bearer:env:UPSTREAM_TOKEN, 127.0.0.2=basic:ci:file:" + pw,
                Map.of("UPSTREAM_TOKEN", TOKEN));
        Settings s = FAST.withCredentials(creds);
        upstream(a, s).fetch("x", 100);
        upstream(b, s).fetch("x", 100);
        assertThat(a.requests().get(0).header("authorization")).isEqualTo("Bearer " + TOKEN);
        assertThat(b.requests().get(0).header("authorization")).isEqualTo(basic("ci", "hunter2"));
        assertThat(creds.describe())
                .doesNotContain(TOKEN)
                .doesNotContain("hunter2")
                .contains("env UPSTREAM_TOKEN");
        assertThat(creds.toString()).doesNotContain(TOKEN);
    }

    @Test
    void aSecretFileIsReadAgainWhenItChanges() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(200, "ok"));
        Path file = Files.writeString(tmp.resolve("token"), "first-token\n");
        Settings s = FAST.withCredentials(
                UpstreamCredentials.parse(a.uri().getAuthority() + "=bearer:file:" + file, Map.of()));
        HttpUpstream u = upstream(a, s);
        u.fetch("x", 100);
        Files.writeString(file, "second-token-rotated\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        u.fetch("x", 100);
        assertThat(a.requests())
                .extracting(r -> r.header("authorization"))
                .containsExactly("Bearer first-token", "Bearer second-token-rotated");
    }

    @Test
    void credentialsAreNotSentToARedirectTargetOnAnotherHost() throws Exception {
        ScriptedUpstream b = serve("127.0.0.2", (req, reply) -> reply.send(200, "from b"));
        ScriptedUpstream a = serve((req, reply) -> {
            if (req.path().startsWith("/same/")) {
                reply.send(
                        302,
                        "",
                        "Location",
                        b.uri().resolve(req.path().substring("/same/".length())).toString());
            } else {
                reply.send(302, "", "Location", "/same" + req.path());
            }
        });
        UpstreamCredentials creds =
                UpstreamCredentials.parse("127.0.0.1=bearer:env:T", Map.of("T", "configured-" + TOKEN));
        Settings any = FAST.withRedirects(Redirects.ANY).withCredentials(creds);
        assertThat(text(upstream(withUserinfo(a, "user:" + TOKEN), any).fetch("m/@v/list", 100)))
                .isEqualTo("from b");
        // Both hops on a carried the userinfo; b, another host, got nothing.
        assertThat(a.requests())
                .extracting(r -> r.header("authorization"))
                .containsExactly(basic("user", TOKEN), basic("user", TOKEN));
        assertThat(b.requests()).hasSize(1);
        assertThat(b.requests().get(0).header("authorization")).isNull();
        // Without userinfo, the configured credential of 127.0.0.1 applies there, and still not on 127.0.0.2.
        upstream(a, any).fetch("m/@v/list", 100);
        assertThat(a.requests().get(2).header("authorization")).isEqualTo("Bearer configured-" + TOKEN);
        assertThat(b.requests().get(1).header("authorization")).isNull();
    }

    @Test
    void credentialErrorsNeverEchoTheSecret() {
        assertThatThrownBy(() -> UpstreamCredentials.parse("host=bearer:" + TOKEN, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("env:VAR or file:PATH")
                .hasMessageNotContaining(TOKEN);
        assertThatThrownBy(() -> UpstreamCredentials.parse(TOKEN, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(TOKEN);
        assertThatThrownBy(() -> UpstreamCredentials.parse("host=bearer:env:MISSING", Map.of()))
                .hasMessageContaining("MISSING")
                .hasMessageContaining("not set");
        assertThatThrownBy(() -> UpstreamCredentials.parse("host=bearer:env:T", Map.of("T", "two words " + TOKEN)))
                .hasMessageContaining("whitespace")
                .hasMessageNotContaining(TOKEN);
        assertThatThrownBy(() -> UpstreamCredentials.parse("host=basic:u:file:" + tmp.resolve("absent"), Map.of()))
                .hasMessageContaining("absent");
    }

    @Test
    void upstreamListErrorsRedactPasswords() {
        for (String list :
                List.of("ftp://u:" + TOKEN + "@x/", "http://u:" + TOKEN + "@bad host/", "http://u:" + TOKEN + "@/p")) {
            Throwable t = catchThrowableOfType(
                    IllegalArgumentException.class,
                    () -> UpstreamChain.parse(list, HttpUpstream.newClient(FAST), FAST));
            assertThat(t).as(list).isNotNull().hasMessageContaining("u:***@");
            for (Throwable c = t; c != null; c = c.getCause()) {
                assertThat(c.getMessage()).doesNotContain(TOKEN);
            }
        }
    }

    // ---- deadlines --------------------------------------------------------------------------------

    @Test
    void aTrickledBodyIsCutAtTheDeadline() throws Exception {
        // 200 bytes at 20 per second: 10 s of body, while the fetch may take 1 s and each byte comes well within the
        // idle timeout.
        ScriptedUpstream a = serve((req, reply) -> {
            reply.head(200, 200);
            reply.trickle(new byte[200], 50);
        });
        Settings s = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, Duration.ofMillis(10));
        assertThatThrownBy(() -> upstream(a, s).fetch("m/@v/v1.0.0.info", 1024))
                .isInstanceOfSatisfying(ProxyException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_TIMEOUT);
                    assertThat(e.getMessage()).isEqualTo("upstream timed out for m/@v/v1.0.0.info after 1s");
                });
        // No time was left for another attempt.
        assertThat(a.hits("/m/@v/v1.0.0.info")).isEqualTo(1);
    }

    @Test
    void aBodyThatStallsFailsAfterTheIdleTimeout() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> {
            reply.head(200, 100);
            reply.write(new byte[10]);
            reply.stall();
        });
        Settings s = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(60), 0, Duration.ofMillis(10))
                .withIdleTimeout(Duration.ofMillis(300));
        Path target = tmp.resolve("zip");
        assertThatThrownBy(() -> upstream(a, s).download("m/@v/v1.0.0.zip", target, 1 << 20))
                .isInstanceOfSatisfying(ProxyException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_TIMEOUT);
                    assertThat(e.getMessage()).isEqualTo("upstream stalled for m/@v/v1.0.0.zip: no data for 300ms");
                });
    }

    @Test
    void anUpstreamThatNeverAnswersTimesOut() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.stall());
        Settings s = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(1), 5, Duration.ofMillis(10));
        assertThatThrownBy(() -> upstream(a, s).fetch("m/@v/list", 1024))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_TIMEOUT));
        assertThat(a.hits("/m/@v/list")).isEqualTo(1);
    }

    @Test
    void retriesOfAStalledDownloadEndAtTheDeadline() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> {
            reply.head(200, 1000);
            reply.stall();
        });
        // Without a bound on the whole fetch, 1000 retries of a 200 ms stall would take over three minutes.
        Settings s = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 1000, Duration.ofMillis(10))
                .withIdleTimeout(Duration.ofMillis(200));
        assertThatThrownBy(() -> upstream(a, s).download("m/@v/v1.0.0.zip", tmp.resolve("zip"), 1 << 20))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_TIMEOUT));
        assertThat(a.hits("/m/@v/v1.0.0.zip")).isBetween(1, 1000);
    }

    // ---- Retry-After and backoff ------------------------------------------------------------------

    @Test
    void retryAfterSecondsIsWaitedFor() throws Exception {
        AtomicInteger n = new AtomicInteger();
        ScriptedUpstream a = serve((req, reply) -> {
            if (n.getAndIncrement() == 0) {
                reply.send(503, "busy", "Retry-After", "1");
            } else {
                reply.send(200, "v1.0.0\n");
            }
        });
        assertThat(text(upstream(a, FAST).fetch("m/@v/list", 1024))).isEqualTo("v1.0.0\n");
        List<Request> r = a.requests();
        assertThat(r).hasSize(2);
        // A lower bound only: the wait asked for was made (the backoff alone is 10 ms).
        assertThat(Duration.ofNanos(r.get(1).nanos() - r.get(0).nanos())).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aRetryAfterBeyondTheBoundFailsAtOnceAndSaysWhen() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(429, "slow down", "Retry-After", "120"));
        UpstreamBusyException e = catchThrowableOfType(
                UpstreamBusyException.class, () -> upstream(a, FAST).fetch("m/@v/list", 1024));
        assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED);
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(120));
        assertThat(e.getMessage()).isEqualTo("upstream answered 429 for m/@v/list: slow down (retry after 120s)");
        assertThat(a.hits("/m/@v/list")).isEqualTo(1);
    }

    @Test
    void aRetryAfterPastTheDeadlineIsNotAwaited() throws Exception {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(4));
        ScriptedUpstream a = serve((req, reply) -> reply.send(503, "maintenance", "Retry-After", date));
        Settings s = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 2, Duration.ofMillis(10));
        UpstreamBusyException e = catchThrowableOfType(
                UpstreamBusyException.class, () -> upstream(a, s).fetch("m/@v/list", 1024));
        assertThat(e.status()).isEqualTo(503);
        assertThat(e.retryAfter())
                .hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(4)));
        assertThat(a.hits("/m/@v/list")).isEqualTo(1);
    }

    @Test
    void busyAnswersWithoutRetryAfterAreRetriedWithBackoffThenReported() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(503, "overloaded"));
        UpstreamBusyException e = catchThrowableOfType(
                UpstreamBusyException.class, () -> upstream(a, FAST).fetch("m/@v/list", 1024));
        assertThat(e.retryAfter()).isEmpty();
        assertThat(e.getMessage()).isEqualTo("upstream answered 503 for m/@v/list: overloaded");
        assertThat(a.hits("/m/@v/list")).isEqualTo(1 + FAST.retries());
    }

    @Test
    void otherServerErrorsAreRetriedAndAreNotBusy() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(500, "boom"));
        assertThatThrownBy(() -> upstream(a, FAST).fetch("m/@v/list", 1024))
                .isExactlyInstanceOf(ProxyException.class)
                .hasMessage("upstream answered 500 for m/@v/list: boom");
        assertThat(a.hits("/m/@v/list")).isEqualTo(1 + FAST.retries());
    }

    @Test
    void connectionErrorsAreStillRetried() throws Exception {
        AtomicInteger n = new AtomicInteger();
        ScriptedUpstream a = serve((req, reply) -> {
            if (n.getAndIncrement() == 0) {
                reply.hangUp();
            } else {
                reply.send(200, "ok");
            }
        });
        assertThat(text(upstream(a, FAST).fetch("m/@v/list", 1024))).isEqualTo("ok");
        assertThat(a.hits("/m/@v/list")).isEqualTo(2);
    }

    // ---- local write failures -----------------------------------------------------------------------

    @Test
    void aFullDiskIsAStorageFaultNeverRetriedNorBlamedOnTheUpstream() throws Exception {
        byte[] zip = new byte[1 << 20];
        ScriptedUpstream a = serve((req, reply) -> {
            reply.head(200, zip.length);
            reply.write(zip);
        });
        try (SmallFilesystem small = SmallFilesystem.mount(tmp.resolve("small"), "512k")) {
            Path target = small.dir().resolve(".tmp-fetch.zip");
            ProxyException e = catchThrowableOfType(
                    ProxyException.class, () -> upstream(a, FAST).download("m/@v/v1.0.0.zip", target, 10 << 20));
            assertThat(e.kind()).isEqualTo(Kind.STORAGE_UNAVAILABLE);
            assertThat(e.getMessage()).isEqualTo("storage full");
            assertThat(a.hits("/m/@v/v1.0.0.zip")).isEqualTo(1);

            Path tree = Files.createDirectories(tmp.resolve("tree/m/@v"));
            Files.write(tree.resolve("v1.0.0.zip"), zip);
            ProxyException f = catchThrowableOfType(
                    ProxyException.class,
                    () -> new FileUpstream(tmp.resolve("tree")).download("m/@v/v1.0.0.zip", target, 10 << 20));
            assertThat(f.kind()).isEqualTo(Kind.STORAGE_UNAVAILABLE);
            assertThat(f.getMessage()).isEqualTo("storage full");
        }
    }

    @Test
    void aDeviceThatIsAlwaysFullIsAStorageFault() throws Exception {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.isWritable(full), "/dev/full is not available");
        ScriptedUpstream a = serve((req, reply) -> reply.send(200, "x".repeat(100_000)));
        ScriptedUpstream b = serve((req, reply) -> reply.send(200, "x".repeat(100_000)));
        // Under '|' too: the next upstream would meet the same disk.
        UpstreamChain chain = UpstreamChain.parse(a.uri() + "|" + b.uri(), HttpUpstream.newClient(FAST), FAST);
        ProxyException e =
                catchThrowableOfType(ProxyException.class, () -> chain.download("m/@v/v1.0.0.zip", full, 1 << 20));
        assertThat(e.kind()).isEqualTo(Kind.STORAGE_UNAVAILABLE);
        assertThat(e.getMessage()).isEqualTo("storage full");
        assertThat(a.hits("/m/@v/v1.0.0.zip")).isEqualTo(1);
        assertThat(b.requests()).isEmpty();
    }

    @Test
    void anUnwritableTargetIsAStorageFaultNotANotFound() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(200, "zip bytes"));
        Path target = tmp.resolve("no-such-dir/.tmp-fetch.zip");
        ProxyException e = catchThrowableOfType(
                ProxyException.class, () -> upstream(a, FAST).download("m/@v/v1.0.0.zip", target, 1 << 20));
        assertThat(e.kind()).isEqualTo(Kind.STORAGE_UNAVAILABLE);
        assertThat(e.getMessage())
                .startsWith("storage write failed: NoSuchFileException")
                .doesNotContain(a.uri().getAuthority());
        assertThat(a.hits("/m/@v/v1.0.0.zip")).isEqualTo(1);

        Files.createDirectories(tmp.resolve("tree/m/@v"));
        Files.writeString(tmp.resolve("tree/m/@v/v1.0.0.zip"), "zip bytes");
        ProxyException f = catchThrowableOfType(
                ProxyException.class,
                () -> new FileUpstream(tmp.resolve("tree")).download("m/@v/v1.0.0.zip", target, 1 << 20));
        assertThat(f.kind()).isEqualTo(Kind.STORAGE_UNAVAILABLE);
        assertThat(f.getMessage())
                .startsWith("storage write failed: ")
                .doesNotContain(tmp.resolve("tree").toString());
    }

    // ---- messages ---------------------------------------------------------------------------------

    @Test
    void aNotFoundCarriesTheUpstreamsReasonAsItIsButNotItsUrl() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(404, "404 page not found\n"));
        try (LogCapture logs = new LogCapture()) {
            assertThatThrownBy(() -> upstream(a, FAST).fetch("m/@v/v1.0.0.info", 1024))
                    .isInstanceOfSatisfying(
                            ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND))
                    .hasMessage("404 page not found");
            assertThat(logs.text()).contains(a.uri() + "m/@v/v1.0.0.info").contains("404 page not found");
        }
    }

    @Test
    void upstreamReasonsArePrintableBoundedAndHideTheUpstreamsAddress() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(
                500,
                "\u001b[31mred\u001b[0m\u0000 line\r\nnext\u202e at http://" + req.header("host") + "/m "
                        + "z".repeat(20_000)));
        Settings once = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(20), 0, Duration.ofMillis(10));
        ProxyException e = catchThrowableOfType(
                ProxyException.class, () -> upstream(a, once).fetch("m/@v/list", 1024));
        String m = e.getMessage();
        assertThat(m)
                .startsWith("upstream answered 500 for m/@v/list: [31mred [0m line next at <upstream>/m zzz")
                .endsWith("...");
        assertThat(m.length())
                .isLessThanOrEqualTo("upstream answered 500 for m/@v/list: ".length() + Texts.MAX_REASON_CHARS + 3);
        assertThat(m.chars().filter(c -> Character.isISOControl(c) || c == '\u202e'))
                .isEmpty();
    }

    @Test
    void htmlErrorPagesAreQuotedAsText() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(
                404,
                "<html><head><title>404 Not Found</title><style>h1 {}</style></head>\n<body><h1>Not Found</h1><hr>nginx</body></html>",
                "Content-Type",
                "text/html; charset=utf-8"));
        assertThatThrownBy(() -> upstream(a, FAST).fetch("m/@v/list", 1024))
                .hasMessage("404 Not Found Not Found nginx");
    }

    @Test
    void connectionFailuresNameNoAddress() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(200, "ok"));
        URI gone = a.uri();
        a.close();
        ProxyException e = catchThrowableOfType(
                ProxyException.class, () -> upstream(gone.toString(), FAST).fetch("m/@v/list", 1024));
        assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED);
        assertThat(e.getMessage())
                .startsWith("upstream connection failed for m/@v/list: ")
                .doesNotContain(gone.getAuthority());
    }

    // ---- redirects --------------------------------------------------------------------------------

    @Test
    void sameHostRedirectsAreFollowedByDefault() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> {
            if (req.path().startsWith("/moved/")) {
                reply.send(200, "here");
            } else {
                reply.send(301, "moved", "Location", "/moved" + req.path());
            }
        });
        assertThat(text(upstream(a, FAST).fetch("m/@v/list", 100))).isEqualTo("here");
    }

    @Test
    void redirectsToAnotherHostAreRefusedByDefault() throws Exception {
        ScriptedUpstream b = serve("127.0.0.2", (req, reply) -> reply.send(200, "elsewhere"));
        ScriptedUpstream a =
                serve((req, reply) -> reply.send(302, "", "Location", b.uri() + "secret-path?X-Signature=abc"));
        ProxyException e = catchThrowableOfType(
                ProxyException.class, () -> upstream(a, FAST).fetch("m/@v/list", 100));
        assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED);
        assertThat(e.getMessage())
                .isEqualTo("upstream redirected m/@v/list to another host (only same-host redirects are followed)");
        assertThat(b.requests()).isEmpty();
        assertThat(a.hits("/m/@v/list")).isEqualTo(1);

        assertThat(text(upstream(a, FAST.withRedirects(Redirects.ANY)).fetch("m/@v/list", 100)))
                .isEqualTo("elsewhere");
    }

    @Test
    void noRedirectIsFollowedWhenNoneAreAllowed() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> reply.send(307, "", "Location", "/other"));
        assertThatThrownBy(() -> upstream(a, FAST.withRedirects(Redirects.NONE)).fetch("m/@v/list", 100))
                .isInstanceOf(ProxyException.class)
                .hasMessage("upstream redirected m/@v/list but redirects are not followed");
        assertThat(a.requests()).hasSize(1);
    }

    @Test
    void redirectLoopsEndAfterFiveHops() throws Exception {
        AtomicInteger n = new AtomicInteger();
        ScriptedUpstream a = serve((req, reply) -> reply.send(302, "", "Location", "/loop/" + n.incrementAndGet()));
        assertThatThrownBy(() -> upstream(a, FAST).fetch("m/@v/list", 100))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED))
                .hasMessage("upstream redirected m/@v/list more than 5 times");
        assertThat(a.requests()).hasSize(1 + HttpUpstream.MAX_REDIRECTS);
    }

    @ParameterizedTest(name = "{0} -> {1} ({2}): {3}")
    @CsvSource(
            delimiter = '|',
            nullValues = "-",
            value = {
                "http://a/x  | http://a/y        | SAME_HOST | -",
                "http://a/x  | https://a:8443/y  | SAME_HOST | -",
                "http://a/x  | http://A/y        | SAME_HOST | -",
                "http://a/x  | http://b/y        | SAME_HOST | to another host (only same-host redirects are followed)",
                "http://a/x  | http://b/y        | ANY       | -",
                "https://a/x | http://a/y        | ANY       | from https to http",
                "https://a/x | http://a/y        | SAME_HOST | from https to http",
                "http://a/x  | ftp://a/y         | ANY       | to a location that is not an http(s) URL",
                "http://a/x  | http://a/y        | NONE      | but redirects are not followed",
            })
    void redirectPolicy(String from, String to, Redirects policy, String refusal) {
        assertThat(HttpUpstream.refusal(URI.create("http://a/"), URI.create(from), URI.create(to), policy))
                .isEqualTo(refusal);
    }

    // ---- connections --------------------------------------------------------------------------------

    @Test
    void errorAndRedirectBodiesAreDrainedSoTheConnectionIsReused() throws Exception {
        ScriptedUpstream a = serve((req, reply) -> {
            switch (req.path()) {
                case "/gone" -> reply.send(410, "gone\n");
                case "/missing" -> reply.send(404, "not found: " + "x".repeat(2000));
                case "/moved" -> reply.send(302, "see /ok", "Location", "/ok");
                case "/broken" -> reply.send(500, "boom");
                default -> reply.send(200, "ok");
            }
        });
        Settings s = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(20), 0, Duration.ofMillis(10));
        HttpUpstream u = upstream(a, s);
        for (String p : List.of("ok", "missing", "moved", "gone", "broken", "ok")) {
            try {
                u.fetch(p, 100);
            } catch (ProxyException expected) {
                // the answer is the point, not its content
            }
        }
        assertThat(a.requests())
                .extracting(Request::path)
                .containsExactly("/ok", "/missing", "/moved", "/ok", "/gone", "/broken", "/ok");
        assertThat(a.requests()).extracting(Request::connection).containsOnly(1);
    }

    @Test
    void settingsRefuseNonsense() {
        assertThatThrownBy(() -> new Settings(Duration.ofSeconds(1), Duration.ZERO, 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), -1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Redirects.parse("Same-Host")).isEqualTo(Redirects.SAME_HOST);
        assertThatThrownBy(() -> Redirects.parse("sometimes")).hasMessageContaining("same-host, any or none");
        assertThat(HttpUpstream.newClient(FAST).followRedirects()).isEqualTo(HttpClient.Redirect.NEVER);
    }
}
