package dev.granary.server.http;

import dev.granary.server.Metrics;
import dev.granary.server.auth.Access;
import dev.granary.server.auth.ClientToken;
import dev.granary.server.auth.Decision;
import dev.granary.server.auth.Need;
import java.net.InetAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the edge checks about a routed request before computing its answer, cheapest first:
 * <ol>
 *   <li>the client address's request rate ({@code limits.client-rate}; the address from
 *       {@code X-Forwarded-For} when the connection comes from a trusted proxy): 429;</li>
 *   <li>its credentials against what the route {@linkplain Router.Route#need needs}
 *       ({@link Access}): 401 with the challenges, or 403;</li>
 *   <li>the token's request rate ({@code limits.token-rate}): 429.</li>
 * </ol>
 * A PUT's credentials are also checked on its head, before its body is read ({@link #authorize}).
 * Open routes (health, readiness, the index) and {@code /metrics} are never rate limited: probes
 * and scrapers must get through to a busy server. Refusals are counted and logged at debug level;
 * credentials are never logged.
 */
public final class Admission {
    private static final Logger log = LoggerFactory.getLogger(Admission.class);

    /**
     * @param clientRate     requests per second per client address, 0 for no limit
     * @param clientBurst    requests at once above that rate
     * @param tokenRate      requests per second per token, 0 for no limit
     * @param tokenBurst     requests at once above that rate
     * @param trustedProxies addresses and CIDR ranges whose X-Forwarded-For is believed
     */
    public record Settings(int clientRate, int clientBurst, int tokenRate, int tokenBurst, String trustedProxies) {
        public static final Settings NONE = new Settings(0, 0, 0, 0, "");
    }

    private final Access access;
    private final Settings settings;
    private final Metrics metrics;
    private final RateLimiter<InetAddress> clients;
    private final RateLimiter<String> tokens;
    private final TrustedProxies proxies;

    /** @throws IllegalArgumentException for trusted proxies that are not addresses or ranges */
    public Admission(Access access, Settings settings, Metrics metrics) {
        this.access = access;
        this.settings = settings;
        this.metrics = metrics;
        this.clients =
                settings.clientRate() > 0 ? new RateLimiter<>(settings.clientRate(), settings.clientBurst()) : null;
        this.tokens = settings.tokenRate() > 0 ? new RateLimiter<>(settings.tokenRate(), settings.tokenBurst()) : null;
        this.proxies = TrustedProxies.parse(settings.trustedProxies());
    }

    /** No authentication, no rate limits. */
    public static Admission open(Metrics metrics) {
        return new Admission(Access.open(), Settings.NONE, metrics);
    }

    public Access access() {
        return access;
    }

    /** @return null when the request may be answered, else the refusal to answer instead */
    Answer admit(Exchange ex, Router.Route route) {
        boolean limited = !route.need().isOpen() && !route.kind().equals("metrics");
        if (limited && clients != null) {
            InetAddress client = proxies.client(ex.peer(), ex.forwardedFor());
            long wait = client == null ? 0 : clients.acquire(client);
            if (wait > 0) {
                metrics.limitRefused("client-rate");
                log.debug("rate limited {} from {}", ex, client.getHostAddress());
                return tooMany(
                        "too many requests from your address: more than " + settings.clientRate()
                                + " per second (limits.client-rate)",
                        wait);
            }
        }
        Decision d = access.check(ex.authorization().orElse(null), route.need());
        Answer.Refusal refused = refusal(ex, d);
        if (refused != null) {
            return refused;
        }
        if (limited
                && tokens != null
                && d instanceof Decision.Allowed a
                && a.client().isPresent()) {
            ClientToken c = a.client().get();
            long wait = tokens.acquire(c.name());
            if (wait > 0) {
                metrics.limitRefused("token-rate");
                log.debug("rate limited {} with token '{}'", ex, c.name());
                return tooMany(
                        "too many requests with token '" + c.name() + "': more than " + settings.tokenRate()
                                + " per second (limits.token-rate)",
                        wait);
            }
        }
        return null;
    }

    /**
     * Checks a request's credentials against {@code need} on its head, before it is routed, exactly as
     * {@link #admit} does (the same refusals, counted and logged the same): for a PUT whose body is
     * not to be read unless the client may write it. No rate is charged here: the request is admitted
     * again, rates included, once its body is in.
     *
     * @return null when the request may go on, else its refusal
     */
    Answer.Refusal authorize(Exchange ex, Need need) {
        return refusal(ex, access.check(ex.authorization().orElse(null), need));
    }

    /** The edge's answer to an access decision: null to answer, 401 with the challenges, or 403. */
    private Answer.Refusal refusal(Exchange ex, Decision d) {
        return switch (d) {
            case Decision.Allowed a -> null;
            case Decision.Unauthenticated u -> {
                metrics.authRefused(u.reason());
                log.debug("refused {} from {}: {} credentials", ex, address(ex), u.reason());
                yield new Answer.Refusal(
                        u.reason().equals(Decision.INVALID)
                                ? ResponsePolicy.Refusal.BAD_CREDENTIALS
                                : ResponsePolicy.Refusal.UNAUTHORIZED,
                        u.detail());
            }
            case Decision.Forbidden f -> {
                metrics.authRefused(Decision.FORBIDDEN);
                log.debug(
                        "refused {} from {}: token '{}' lacks the right",
                        ex,
                        address(ex),
                        f.client().name());
                yield new Answer.Refusal(ResponsePolicy.Refusal.FORBIDDEN, f.detail());
            }
        };
    }

    private static Answer tooMany(String why, long waitNanos) {
        Duration retry = Duration.ofSeconds(Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L));
        return new Answer.Refusal(
                ResponsePolicy.Refusal.TOO_MANY_REQUESTS, why + "; retry in " + retry.toSeconds() + " s", retry);
    }

    private static String address(Exchange ex) {
        InetAddress a = ex.peer();
        return a == null ? "?" : a.getHostAddress();
    }
}
