package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.Eventually;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.auth.Tokens;
import dev.granary.server.config.ConfigKey;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limits beyond the connection caps: request rates per client address and per token (429 with
 * Retry-After and the reason, while other clients go on being served; probes never limited), the
 * client address behind a trusted proxy, and the bound on upstream fetches at once (503 with the
 * reason for a request that waited too long for one).
 */
class EdgeLimitsTest {
    private static final String PATH = "/example.com/m/@v/v1.0.0.info";

    @TempDir
    Path tmp;

    private TestUpstream upstream;
    private TestServers.Running granary;

    @BeforeEach
    void setUp() throws Exception {
        GoProxyTree tree = new GoProxyTree(tmp.resolve("upstream"));
        tree.addSimple("example.com/m", "v1.0.0");
        tree.addSimple("example.com/slow", "v1.0.0");
        tree.addSimple("example.com/other", "v1.0.0");
        upstream = TestUpstream.serve(tree.root());
    }

    @AfterEach
    void tearDown() {
        if (granary != null) {
            granary.close();
        }
        upstream.close();
    }

    private void start(Map<ConfigKey, String> extra) throws Exception {
        granary = TestServers.start(tmp.resolve("storage"), upstream.uri().toString(), extra);
    }

    private RawHttp.Response get(InetAddress from, String path, String... headers) throws Exception {
        try (RawHttp c = RawHttp.connect(granary.address(), from)) {
            return c.send(RawHttp.request("GET", path, headers)).read(false);
        }
    }

    /** Requests until the first 429 (at most 100); returns it, after checking how many were served before. */
    private RawHttp.Response untilLimited(InetAddress from, int burst, String... headers) throws Exception {
        for (int i = 0; i < 100; i++) {
            RawHttp.Response r = get(from, PATH, headers);
            if (r.status() == 429) {
                assertThat(i).as("requests served before the first 429").isGreaterThanOrEqualTo(burst);
                return r;
            }
            assertThat(r.status()).isEqualTo(200);
        }
        throw new AssertionError("never limited");
    }

    @Test
    void aClientOverItsRateGets429WhileAnotherClientIsStillServed() throws Exception {
        start(Map.of(ConfigKey.LIMITS_CLIENT_RATE, "1", ConfigKey.LIMITS_CLIENT_BURST, "3"));
        InetAddress first = InetAddress.getByName("127.0.0.1");
        InetAddress second = InetAddress.getByName("127.0.0.2");

        RawHttp.Response limited = untilLimited(first, 3);
        assertThat(limited.text())
                .startsWith(
                        "too many requests from your address: more than 1 per second (limits.client-rate); retry in");
        assertThat(Integer.parseInt(limited.header("retry-after"))).isBetween(1, 2);
        assertThat(limited.header("cache-control")).isEqualTo("no-store");
        assertThat(limited.closes()).isFalse();

        // Another address has its own budget; probes and metrics are never limited.
        assertThat(get(second, PATH).status()).isEqualTo(200);
        assertThat(get(first, "/healthz").status()).isEqualTo(200);
        assertThat(get(first, "/readyz").status()).isEqualTo(200);
        assertThat(get(first, "/metrics").text()).contains("granary_limits_refusals_total{limit=\"client-rate\"}");
    }

    @Test
    void aTokenOverItsRateGets429WhileAnotherTokenIsStillServed() throws Exception {
        String a = Tokens.generate();
        String b = Tokens.generate();
        start(Map.of(
                ConfigKey.AUTH_TOKENS,
                "a " + Tokens.hash(a) + " read; b " + Tokens.hash(b) + " read",
                ConfigKey.LIMITS_TOKEN_RATE,
                "1",
                ConfigKey.LIMITS_TOKEN_BURST,
                "2"));
        InetAddress local = InetAddress.getByName("127.0.0.1");
        RawHttp.Response limited = untilLimited(local, 2, "Authorization: Bearer " + a);
        assertThat(limited.text())
                .startsWith("too many requests with token 'a': more than 1 per second (limits.token-rate)");
        assertThat(limited.text()).doesNotContain(a);
        assertThat(get(local, PATH, "Authorization: Bearer " + b).status()).isEqualTo(200);
        assertThat(get(local, PATH).status())
                .as("anonymous requests are not a token's")
                .isEqualTo(200);
    }

    @Test
    void behindATrustedProxyTheForwardedClientIsLimitedAndNotTheProxy() throws Exception {
        start(Map.of(
                ConfigKey.LIMITS_CLIENT_RATE,
                "1",
                ConfigKey.LIMITS_CLIENT_BURST,
                "2",
                ConfigKey.LIMITS_TRUSTED_PROXIES,
                "127.0.0.1/32, 10.1.0.0/16"));
        InetAddress proxy = InetAddress.getByName("127.0.0.1");
        untilLimited(proxy, 2, "X-Forwarded-For: 192.0.2.7, 10.1.2.3");
        // Another client through the same proxy is served...
        assertThat(get(proxy, PATH, "X-Forwarded-For: 192.0.2.8").status()).isEqualTo(200);
        // ...and the same one is still limited, whatever it claims further left.
        assertThat(get(proxy, PATH, "X-Forwarded-For: 203.0.113.1, 192.0.2.7").status())
                .isEqualTo(429);
        // An untrusted peer's X-Forwarded-For is not believed: it cannot spread itself over addresses.
        InetAddress untrusted = InetAddress.getByName("127.0.0.3");
        untilLimited(untrusted, 2, "X-Forwarded-For: 198.51.100.1");
        assertThat(get(untrusted, PATH, "X-Forwarded-For: 198.51.100.2").status())
                .isEqualTo(429);
    }

    @Test
    void aRequestThatWaitsTooLongForAnUpstreamSlotGets503WithTheReason() throws Exception {
        Map<ConfigKey, String> extra = new EnumMap<>(ConfigKey.class);
        extra.put(ConfigKey.FETCH_MAX_CONCURRENT, "1");
        extra.put(ConfigKey.FETCH_QUEUE_TIMEOUT, "300ms");
        start(extra);
        upstream.delay(3000);
        InetAddress local = InetAddress.getByName("127.0.0.1");
        CompletableFuture<RawHttp.Response> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return get(local, "/example.com/slow/@v/v1.0.0.info");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Eventually.eventually(
                () -> assertThat(granary.server().metrics().scrape()).contains("granary_upstream_in_flight 1.0"));

        RawHttp.Response busy = get(local, "/example.com/other/@v/v1.0.0.info");
        assertThat(busy.status()).isEqualTo(503);
        assertThat(busy.text())
                .isEqualTo(
                        "too many upstream fetches: all 1 are in progress and none ended within 300 ms; try again shortly\n");
        assertThat(busy.header("retry-after")).isEqualTo("5");
        assertThat(granary.server().metrics().scrape())
                .contains("granary_limits_refusals_total{limit=\"upstream-concurrency\"} 1.0");

        assertThat(slow.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
        upstream.delay(0);
        // Once the slow version's downloads have given the slot back, the refusal is not remembered: the next request
        // fetches.
        Eventually.eventually(
                () -> assertThat(granary.server().metrics().scrape()).contains("granary_upstream_in_flight 0.0"));
        assertThat(get(local, "/example.com/other/@v/v1.0.0.info").status()).isEqualTo(200);
    }
}
