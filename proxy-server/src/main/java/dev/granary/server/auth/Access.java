package dev.granary.server.auth;

import dev.granary.core.module.ModulePatterns;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Client authentication and rights: decides, from a request's {@code Authorization} header and what
 * it {@link Need}s, whether to answer it. Off by default: with no {@code auth.required} patterns
 * every module, and the build cache, is readable without credentials; writing to the build cache
 * always needs a token with {@code cache-write} (so with no tokens nothing can be written).
 *
 * <p>Credentials, as the go command sends them (only over https): HTTP Basic with the token as the
 * password (what a {@code .netrc} line {@code machine <host> login <anything> password <token>}
 * and {@code GOAUTH=netrc} or {@code GOAUTH=git} send; the login is not checked, and a token given
 * as the login with an empty password is taken too), or {@code Bearer <token>} (what a
 * {@code GOAUTH} command may print). Once tokens are configured, credentials that are sent must be
 * valid wherever they are sent, even to a module anyone may read: a revoked token should be
 * noticed, not ignored.
 *
 * <table>
 *   <caption>What each need requires</caption>
 *   <tr><th>need</th><th>anonymous</th><th>with a token</th></tr>
 *   <tr><td>{@link Need#OPEN} (/healthz, /readyz, /)</td><td>yes</td><td>credentials not looked at</td></tr>
 *   <tr><td>{@link Need#read} of a module matching {@code auth.required}</td><td>401</td><td>{@code read} or a matching {@code read:}</td></tr>
 *   <tr><td>{@link Need#read} of any other module</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@link Need#sumdb} of a database whose name matches {@code auth.required}</td><td>401</td><td>any read right</td></tr>
 *   <tr><td>{@link Need#catalog} with {@code auth.required} set</td><td>401</td><td>{@code read} (every module)</td></tr>
 *   <tr><td>{@link Need#metrics} with {@code auth.metrics} on</td><td>401</td><td>{@code metrics}</td></tr>
 *   <tr><td>{@link Need#cacheRead} with {@code auth.required} set (whatever its patterns)</td><td>401</td><td>{@code cache-read} or {@code cache-write}</td></tr>
 *   <tr><td>{@link Need#cacheRead} otherwise</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@link Need#cacheWrite} (with no tokens configured: always 401)</td><td>401</td><td>{@code cache-write}</td></tr>
 *   <tr><td>{@link Need#admin}</td><td>401</td><td>{@code admin}</td></tr>
 * </table>
 * ({@code admin} holds every right.) Refusal texts name the token's name and what it lacks, never
 * a credential. Thread-safe; the token table may be replaced at any time (reloads).
 */
public final class Access {
    /** Challenges for a 401: Basic (what .netrc and GOAUTH=git answer) and Bearer (GOAUTH commands). */
    public static final String BASIC_CHALLENGE = "Basic realm=\"granary\", charset=\"UTF-8\"";

    public static final String BEARER_CHALLENGE = "Bearer realm=\"granary\"";
    /** RFC 6750 section 3.1: the Bearer challenge after an unknown token. */
    public static final String BEARER_INVALID_CHALLENGE = "Bearer realm=\"granary\", error=\"invalid_token\"";

    private final Supplier<TokenTable> tokens;
    private final String required;
    private final boolean metricsNeedToken;

    /**
     * @param tokens           the current token table
     * @param required         GOPRIVATE-style patterns of modules (and checksum databases) that need a token
     * @param metricsNeedToken whether /metrics needs a token with the metrics right
     */
    public Access(Supplier<TokenTable> tokens, String required, boolean metricsNeedToken) {
        this.tokens = tokens;
        this.required = required == null ? "" : required.replace(" ", "");
        this.metricsNeedToken = metricsNeedToken;
    }

    /** No tokens and nothing guarded: the edge without authentication (presented credentials are ignored). */
    public static Access open() {
        return new Access(() -> TokenTable.EMPTY, "", false);
    }

    /**
     * True when client authentication is in use: modules (and with them the build cache's reads) or
     * /metrics are guarded, or tokens are configured. Without any of these only build cache writes and
     * administration need a token, and with no token to present every one of them is refused.
     */
    public boolean enabled() {
        return !required.isEmpty() || metricsNeedToken || tokens.get().size() > 0;
    }

    /**
     * True when {@code need} is never answered without a valid token, whoever asks (the table above);
     * for example whether build cache outputs may be cached by shared caches ({@link Need#cacheRead}).
     */
    public boolean needsToken(Need need) {
        return !need.isOpen() && guarded(need);
    }

    /**
     * Decides on a request.
     *
     * @param authorization the request's {@code Authorization} header, or null
     */
    public Decision check(String authorization, Need need) {
        if (need.isOpen()) {
            return new Decision.Allowed(Optional.empty());
        }
        Optional<ClientToken> client = Optional.empty();
        TokenTable table = tokens.get();
        // With no tokens configured, credentials a client sends anyway (a .netrc line for the host) mean nothing here.
        if (authorization != null && (table.size() > 0 || guarded(need))) {
            Optional<String> token = token(authorization);
            client = token.flatMap(table::lookup);
            if (client.isEmpty()) {
                return new Decision.Unauthenticated(
                        Decision.INVALID,
                        token.isEmpty()
                                ? "invalid credentials: send the token as the password of Basic authentication or as a Bearer token"
                                : "invalid credentials: the token is not known here (mistyped, or revoked)");
            }
        }
        if (!guarded(need)) {
            return new Decision.Allowed(client);
        }
        if (client.isEmpty()) {
            return new Decision.Unauthenticated(
                    Decision.MISSING,
                    "authentication required: " + what(need)
                            + " needs a token (in .netrc as the password for this host, from GOAUTH, or as a Bearer token)");
        }
        ClientToken c = client.get();
        if (allows(c.grants(), need)) {
            return new Decision.Allowed(client);
        }
        return new Decision.Forbidden(
                c,
                "token '" + c.name() + "' may not " + verb(need)
                        + (need.right() == Right.READ && !need.anyRead() && need.subject() != null
                                ? " (it may read " + c.grants().describeReads() + ")"
                                : ""));
    }

    private boolean guarded(Need need) {
        return switch (need.right()) {
            case READ ->
                need.subject() == null
                        ? !required.isEmpty()
                        : ModulePatterns.matchPrefixPatterns(required, need.subject());
            case METRICS -> metricsNeedToken;
            case CACHE_READ -> !required.isEmpty();
            case CACHE_WRITE, ADMIN -> true;
        };
    }

    private static boolean allows(Grants g, Need need) {
        if (g.has(Right.ADMIN)) {
            return true;
        }
        return switch (need.right()) {
            case READ ->
                need.subject() == null
                        ? g.has(Right.READ)
                        : need.anyRead() ? g.readsAnything() : g.mayRead(need.subject());
            default -> g.has(need.right());
        };
    }

    private static String what(Need need) {
        return switch (need.right()) {
            case READ ->
                need.subject() == null
                        ? "the module catalog"
                        : need.anyRead() ? "the checksum database " + need.subject() : need.subject();
            case METRICS -> "/metrics";
            case CACHE_READ, CACHE_WRITE -> "the build cache";
            case ADMIN -> "administration";
        };
    }

    private static String verb(Need need) {
        return switch (need.right()) {
            case READ -> "read " + what(need);
            case METRICS -> "read /metrics";
            case CACHE_READ -> "read the build cache";
            case CACHE_WRITE -> "write to the build cache";
            case ADMIN -> "administer this server";
        };
    }

    /** The token in an Authorization header: a Bearer token, or Basic's password (else its login); empty when malformed. */
    static Optional<String> token(String authorization) {
        String h = authorization.strip();
        int sp = h.indexOf(' ');
        if (sp < 0) {
            return Optional.empty();
        }
        String scheme = h.substring(0, sp).toLowerCase(Locale.ROOT);
        String value = h.substring(sp + 1).strip();
        switch (scheme) {
            case "bearer" -> {
                return value.isEmpty() ? Optional.empty() : Optional.of(value);
            }
            case "basic" -> {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return Optional.empty();
                }
                int colon = decoded.indexOf(':');
                if (colon < 0) {
                    return Optional.empty();
                }
                String password = decoded.substring(colon + 1);
                String login = decoded.substring(0, colon);
                String token = password.isEmpty() ? login : password;
                return token.isEmpty() ? Optional.empty() : Optional.of(token);
            }
            default -> {
                return Optional.empty();
            }
        }
    }
}
