package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.upstream.UpstreamCredentials.Authorization;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Another GOPROXY over HTTP(S).
 *
 * <p>Implementation notes:
 * <ul>
 *   <li><b>Time.</b> One fetch, retries included, ends {@code timeout} after it starts. Each
 *       request's own timeout (which the JDK client applies to connect and headers only) is what is
 *       left of that; a {@link BodyWatchdog} cuts the body at the same deadline, or after
 *       {@code idleTimeout} without a byte. Both are {@code UPSTREAM_TIMEOUT}.</li>
 *   <li><b>Retries.</b> Connection errors, stalled bodies, 429 and 5xx are retried up to
 *       {@code retries} times, after the upstream's {@code Retry-After} when it sent one, else after
 *       a jittered exponential backoff. A wait longer than {@code maxRetryAfter}, or past the
 *       deadline, is not made: the fetch fails at once, and for 429/503 the
 *       {@link UpstreamBusyException} carries the wait asked for. 404 and 410 are answers, never
 *       retried; so are failures of the local file a download writes ({@link TargetFile}).</li>
 *   <li><b>Credentials.</b> The base URL's userinfo becomes HTTP Basic for requests to the same
 *       origin (scheme, host, port); {@link UpstreamCredentials} add Basic or Bearer per host. Every
 *       request, redirect hops included, carries only the credential of the host it goes to.
 *       Secrets are scrubbed from whatever the upstream echoes back; {@link #describe()} and the log
 *       show the URL with its password redacted.</li>
 *   <li><b>Redirects</b> are followed here rather than by the client (whose NORMAL policy follows
 *       any host): by {@link Redirects} policy, at most {@value #MAX_REDIRECTS} hops, never from
 *       https to http.</li>
 *   <li><b>Messages.</b> A failure's message reaches the go command's user: it says what the upstream
 *       answered (status and its reason, sanitized and bounded) and never the upstream's URL, which
 *       is internal; the log line beside it has the (redacted) URL.</li>
 *   <li><b>Connections.</b> The client is shared and pools connections (HTTP/2 where ALPN or h2c
 *       offers it). Every body is read to its end or closed; short error and redirect bodies are
 *       drained, so their connection goes back to the pool instead of being dropped.</li>
 * </ul>
 */
public final class HttpUpstream implements Upstream {
    private static final Logger log = LoggerFactory.getLogger(HttpUpstream.class);

    /** Most redirect hops followed for one request. */
    public static final int MAX_REDIRECTS = 5;
    /** Error and redirect bodies are read this far: enough to quote, and to free the connection. */
    private static final int DRAIN_BYTES = 16 << 10;

    private static final Pattern MARKUP = Pattern.compile("(?s)<(script|style)\\b.*?</\\1\\s*>|<[^>]*>");

    /** Which redirects an upstream may send us to. https to http is refused under every policy. */
    public enum Redirects {
        /** Redirects fail the fetch. */
        NONE("none"),
        /** Only to the upstream's own host name (any port; http to https allowed). */
        SAME_HOST("same-host"),
        /** To any host (a CDN or object store serving the bytes). */
        ANY("any");

        private final String value;

        Redirects(String value) {
            this.value = value;
        }

        /** The configuration spelling: {@code none}, {@code same-host}, {@code any}. */
        public String value() {
            return value;
        }

        public static Redirects parse(String s) {
            for (Redirects r : values()) {
                if (r.value.equalsIgnoreCase(s == null ? "" : s.strip())) {
                    return r;
                }
            }
            throw new IllegalArgumentException(
                    "expected same-host, any or none, got '" + Texts.printable(String.valueOf(s)) + "'");
        }
    }

    /**
     * How upstream requests behave.
     *
     * @param connectTimeout to open a connection (the client's)
     * @param timeout the whole fetch: every attempt's connect, headers and body, and the waits between
     * @param idleTimeout a body that delivers nothing for this long fails
     * @param retries how many times a transient failure is retried
     * @param backoff the first wait between attempts; it doubles, jittered
     * @param maxRetryAfter the longest {@code Retry-After} honoured; a longer one fails the fetch at once
     * @param redirects which redirects are followed
     * @param credentials per-host credentials, besides the URL's own userinfo
     */
    public record Settings(
            Duration connectTimeout,
            Duration timeout,
            Duration idleTimeout,
            int retries,
            Duration backoff,
            Duration maxRetryAfter,
            Redirects redirects,
            UpstreamCredentials credentials) {
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(5);
        public static final Settings DEFAULT =
                new Settings(Duration.ofSeconds(10), Duration.ofMinutes(5), 2, Duration.ofMillis(200));

        public Settings {
            Objects.requireNonNull(redirects, "redirects");
            Objects.requireNonNull(credentials, "credentials");
            if (!positive(connectTimeout) || !positive(timeout) || !positive(idleTimeout)) {
                throw new IllegalArgumentException("upstream timeouts must be positive");
            }
            if (retries < 0
                    || backoff == null
                    || backoff.isNegative()
                    || maxRetryAfter == null
                    || maxRetryAfter.isNegative()) {
                throw new IllegalArgumentException("upstream retries, backoff and maxRetryAfter must not be negative");
            }
        }

        /** Timeouts and retries; the defaults for the rest: 30 s idle, 5 s Retry-After, same-host redirects, no credentials. */
        public Settings(Duration connectTimeout, Duration timeout, int retries, Duration backoff) {
            this(
                    connectTimeout,
                    timeout,
                    DEFAULT_IDLE_TIMEOUT,
                    retries,
                    backoff,
                    DEFAULT_MAX_RETRY_AFTER,
                    Redirects.SAME_HOST,
                    UpstreamCredentials.NONE);
        }

        public Settings withIdleTimeout(Duration d) {
            return new Settings(connectTimeout, timeout, d, retries, backoff, maxRetryAfter, redirects, credentials);
        }

        public Settings withRedirects(Redirects r) {
            return new Settings(connectTimeout, timeout, idleTimeout, retries, backoff, maxRetryAfter, r, credentials);
        }

        public Settings withCredentials(UpstreamCredentials c) {
            return new Settings(connectTimeout, timeout, idleTimeout, retries, backoff, maxRetryAfter, redirects, c);
        }

        public Settings withMaxRetryAfter(Duration d) {
            return new Settings(connectTimeout, timeout, idleTimeout, retries, backoff, d, redirects, credentials);
        }

        private static boolean positive(Duration d) {
            return d != null && !d.isNegative() && !d.isZero();
        }
    }

    private final URI base;
    private final String shown;
    private final Authorization userinfo;
    private final HttpClient client;
    private final Settings settings;

    /**
     * @param base the upstream's URL; a userinfo in it ({@code https://user:token@host}) is sent as
     *     HTTP Basic to that origin and shown redacted
     * @param client a client from {@link #newClient}: it must not follow redirects itself
     */
    public HttpUpstream(URI base, HttpClient client, Settings settings) {
        String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || base.getHost() == null) {
            throw new IllegalArgumentException("not an http(s) URL with a host: " + Texts.redact(base.toString()));
        }
        String path = base.getRawPath() == null || base.getRawPath().isEmpty() ? "/" : base.getRawPath();
        path = path.endsWith("/") ? path : path + "/";
        this.base = URI.create(scheme + "://" + Texts.hostPort(base) + path);
        String s = base.toString();
        this.shown = Texts.redact(s.endsWith("/") ? s : s + "/");
        this.userinfo = base.getRawUserInfo() == null ? null : userinfoAuthorization(base);
        this.client = client;
        this.settings = settings;
    }

    private static Authorization userinfoAuthorization(URI uri) {
        String info = uri.getUserInfo();
        int c = info.indexOf(':');
        String user = c < 0 ? info : info.substring(0, c);
        String password = c < 0 ? "" : info.substring(c + 1);
        Authorization basic = UpstreamCredentials.basic(user, password);
        List<String> secrets = new ArrayList<>(basic.secrets());
        String raw = uri.getRawUserInfo();
        int rc = raw.indexOf(':');
        // Everything after the colon, decoded and raw; a user-only userinfo may itself be a token.
        secrets.add(rc < 0 ? raw : raw.substring(rc + 1));
        if (c < 0) {
            secrets.add(user);
        }
        return new Authorization(basic.header(), secrets);
    }

    /** A shared client suitable for all HTTP upstreams of one process. Redirects are left to {@link HttpUpstream}. */
    public static HttpClient newClient(Settings settings) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.connectTimeout())
                .build();
    }

    @Override
    public byte[] fetch(String path, long maxBytes) {
        return exchange(path, (rsp, body) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            receive(path, rsp, body, maxBytes, out);
            return out.toByteArray();
        });
    }

    @Override
    public long download(String path, Path target, long maxBytes) {
        return exchange(path, (rsp, body) -> {
            try (TargetFile out = TargetFile.open(target)) {
                return receive(path, rsp, body, maxBytes, out);
            }
        });
    }

    /** What to do with a 200 answer's body. */
    private interface Receiver<T> {
        T receive(HttpResponse<InputStream> rsp, InputStream body) throws IOException;
    }

    /** Copies a 200 body within the bound and checks it against the announced length. */
    private static long receive(
            String path, HttpResponse<InputStream> rsp, InputStream body, long maxBytes, OutputStream out)
            throws IOException {
        String what = "upstream body for " + path;
        OptionalLong len = rsp.headers().firstValueAsLong("content-length");
        if (len.isPresent() && len.getAsLong() > maxBytes) {
            throw Limits.tooLarge(what, maxBytes);
        }
        long n = Limits.copy(body, out, maxBytes, what);
        if (len.isPresent() && len.getAsLong() != n) {
            throw new ProxyException(
                    Kind.UPSTREAM_FAILED, what + " truncated: got " + n + " of " + len.getAsLong() + " bytes");
        }
        return n;
    }

    /** One attempt's failure, before it becomes the exception the caller sees. */
    private static final class Failure extends Exception {
        final Kind kind;
        final boolean retryable;
        final int status;
        final Duration retryAfter;
        final String detail;

        Failure(
                Kind kind,
                boolean retryable,
                int status,
                Duration retryAfter,
                String message,
                String detail,
                Throwable cause) {
            super(message, cause, false, false);
            this.kind = kind;
            this.retryable = retryable;
            this.status = status;
            this.retryAfter = retryAfter;
            this.detail = detail;
        }

        static Failure of(Kind kind, boolean retryable, String message, String detail, Throwable cause) {
            return new Failure(kind, retryable, 0, null, message, detail, cause);
        }
    }

    /** Attempts, waits and retries within the fetch's deadline. */
    private <T> T exchange(String path, Receiver<T> receiver) {
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        for (int attempt = 0; ; attempt++) {
            Failure f;
            try {
                return attempt(path, deadline, receiver);
            } catch (Failure e) {
                f = e;
            } catch (ProxyException e) {
                // Final by nature: an oversized or truncated body, unreadable credentials, a local write failure
                // (which TargetFile has logged).
                if (e.kind() != Kind.STORAGE_UNAVAILABLE) {
                    log.warn("upstream {}{}: {}", shown, path, e.getMessage());
                }
                throw e;
            }
            Duration wait = null;
            if (f.retryable
                    && attempt < settings.retries()
                    && (f.retryAfter == null || f.retryAfter.compareTo(settings.maxRetryAfter()) <= 0)) {
                wait = f.retryAfter != null ? f.retryAfter : backoff(attempt);
                if (System.nanoTime() + wait.toNanos() - deadline >= 0) {
                    wait = null;
                }
            }
            if (wait == null) {
                throw fail(path, f);
            }
            log.debug("retrying {}{} in {} ms after {}", shown, path, wait.toMillis(), f.detail);
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw interrupted(path, e);
            }
        }
    }

    /** Jittered exponential backoff: half the doubled delay, plus up to as much again at random. */
    private Duration backoff(int attempt) {
        long d = settings.backoff().toNanos() << Math.min(attempt, 16);
        long half = d / 2;
        return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(half + 1));
    }

    private ProxyException fail(String path, Failure f) {
        if (f.kind == Kind.NOT_FOUND || f.kind == Kind.GONE) {
            log.debug("upstream {}{}: {}", shown, path, f.detail);
        } else {
            log.warn("upstream {}{}: {}", shown, path, f.detail);
        }
        String msg = f.getMessage();
        if (f.status == 429 || f.status == 503) {
            if (f.retryAfter != null) {
                msg += " (retry after " + Math.max(1, (f.retryAfter.toMillis() + 999) / 1000) + "s)";
            }
            return new UpstreamBusyException(f.status, f.retryAfter, msg);
        }
        return new ProxyException(f.kind, msg, f.getCause());
    }

    /** One GET, following redirects: the receiver's result, or why not. */
    private <T> T attempt(String path, long deadline, Receiver<T> receiver) throws Failure {
        URI uri = target(path);
        for (int hop = 0; ; hop++) {
            Authorization auth = authorization(uri);
            HttpResponse<InputStream> rsp = send(path, uri, auth, deadline);
            BodyWatchdog body = new BodyWatchdog(
                    rsp.body(), deadline, settings.idleTimeout().toNanos());
            try (body) {
                int code = rsp.statusCode();
                if (code == 200) {
                    return receiver.receive(rsp, body);
                }
                byte[] text = body.readNBytes(DRAIN_BYTES);
                if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
                    uri = redirect(path, uri, rsp, hop);
                    continue;
                }
                throw statusFailure(path, uri, rsp, text, auth);
            } catch (IOException e) {
                throw readFailure(path, uri, body.expired(), e, auth);
            }
        }
    }

    private HttpResponse<InputStream> send(String path, URI uri, Authorization auth, long deadline) throws Failure {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw timedOut(path, null);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofNanos(remaining))
                .header("User-Agent", "granary")
                .GET();
        if (auth != null) {
            b.header("Authorization", auth.header());
        }
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw Failure.of(
                    Kind.UPSTREAM_TIMEOUT,
                    true,
                    "upstream connect timed out for " + path,
                    "connect timed out" + hop(path, uri),
                    e);
        } catch (HttpTimeoutException e) {
            // The request timeout is what was left of the deadline.
            throw timedOut(path, e);
        } catch (IOException e) {
            throw connectionFailure(path, uri, e, auth);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(path, e);
        }
    }

    private Failure readFailure(String path, URI uri, BodyWatchdog.Limit limit, IOException e, Authorization auth) {
        if (limit == BodyWatchdog.Limit.DEADLINE) {
            return timedOut(path, e);
        }
        if (limit == BodyWatchdog.Limit.IDLE) {
            return Failure.of(
                    Kind.UPSTREAM_TIMEOUT,
                    true,
                    "upstream stalled for " + path + ": no data for " + Texts.human(settings.idleTimeout()),
                    "body stalled for " + Texts.human(settings.idleTimeout()) + hop(path, uri),
                    e);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(path, e);
        }
        return connectionFailure(path, uri, e, auth);
    }

    private Failure timedOut(String path, IOException e) {
        return Failure.of(
                Kind.UPSTREAM_TIMEOUT,
                false,
                "upstream timed out for " + path + " after " + Texts.human(settings.timeout()),
                "timed out after " + Texts.human(settings.timeout()),
                e);
    }

    private Failure connectionFailure(String path, URI uri, IOException e, Authorization auth) {
        String reason = Texts.reason(Texts.ioReason(e), scrub(auth), internal(uri));
        return Failure.of(
                Kind.UPSTREAM_FAILED,
                true,
                "upstream connection failed for " + path + ": " + reason,
                e + hop(path, uri),
                e);
    }

    private static ProxyException interrupted(String path, Exception e) {
        return new ProxyException(Kind.UPSTREAM_FAILED, "interrupted fetching " + path + " from upstream", e);
    }

    private Failure statusFailure(
            String path, URI uri, HttpResponse<InputStream> rsp, byte[] text, Authorization auth) {
        int code = rsp.statusCode();
        String raw = new String(text, StandardCharsets.UTF_8);
        if (rsp.headers()
                .firstValue("content-type")
                .orElse("")
                .toLowerCase(Locale.ROOT)
                .startsWith("text/html")) {
            // A web server's stock error page: its text, not its markup.
            raw = MARKUP.matcher(raw).replaceAll(" ");
        }
        String reason = Texts.reason(raw, scrub(auth), internal(uri));
        // A not-found answer passes the upstream's own reason on, as a proxy in a chain should: the go command
        // prints it ("server response: ...") exactly as it would print the origin's. Other failures say whose.
        String msg = (code == 404 || code == 410) && !reason.isEmpty()
                ? reason
                : "upstream answered " + code + " for " + path + (reason.isEmpty() ? "" : ": " + reason);
        Duration retryAfter = RetryAfter.parse(
                        rsp.headers().firstValue("retry-after").orElse(null), Instant.now())
                .orElse(null);
        String detail = code + (reason.isEmpty() ? "" : " " + reason) + hop(path, uri);
        return switch (code) {
            case 404 -> new Failure(Kind.NOT_FOUND, false, code, null, msg, detail, null);
            case 410 -> new Failure(Kind.GONE, false, code, null, msg, detail, null);
            case 429, 500, 502, 503, 504 ->
                new Failure(Kind.UPSTREAM_FAILED, true, code, retryAfter, msg, detail, null);
            default -> new Failure(Kind.UPSTREAM_FAILED, false, code, null, msg, detail, null);
        };
    }

    /** The next hop of a redirect, when the policy allows it. */
    private URI redirect(String path, URI from, HttpResponse<InputStream> rsp, int hop) throws Failure {
        int code = rsp.statusCode();
        if (settings.redirects() == Redirects.NONE) {
            throw refusedRedirect(path, "but redirects are not followed", from, null);
        }
        if (hop >= MAX_REDIRECTS) {
            throw refusedRedirect(path, "more than " + MAX_REDIRECTS + " times", from, null);
        }
        String location = rsp.headers().firstValue("location").orElse("");
        if (location.isBlank()) {
            throw Failure.of(
                    Kind.UPSTREAM_FAILED,
                    false,
                    "upstream answered " + code + " for " + path + " without a Location",
                    code + " without a Location" + hop(path, from),
                    null);
        }
        URI to;
        try {
            to = withoutUserInfo(from.resolve(new URI(location.strip())));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw refusedRedirect(path, "to an invalid location", from, null);
        }
        String refusal = refusal(base, from, to, settings.redirects());
        if (refusal != null) {
            throw refusedRedirect(path, refusal, from, to);
        }
        log.debug("upstream {}{}: {} redirect to {}", shown, path, code, loggable(to));
        return to;
    }

    private Failure refusedRedirect(String path, String why, URI from, URI to) {
        return Failure.of(
                Kind.UPSTREAM_FAILED,
                false,
                "upstream redirected " + path + " " + why,
                "redirected " + why + hop(path, from) + (to == null ? "" : " to " + loggable(to)),
                null);
    }

    /**
     * Why a redirect from {@code from} to {@code to} is not followed, or null when it is. Under every
     * policy only http(s) is followed and https never leads to http.
     */
    static String refusal(URI base, URI from, URI to, Redirects policy) {
        String scheme = to.getScheme() == null ? "" : to.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || to.getHost() == null) {
            return "to a location that is not an http(s) URL";
        }
        if ("https".equalsIgnoreCase(from.getScheme()) && scheme.equals("http")) {
            return "from https to http";
        }
        return switch (policy) {
            case NONE -> "but redirects are not followed";
            case SAME_HOST ->
                to.getHost().equalsIgnoreCase(base.getHost())
                        ? null
                        : "to another host (only same-host redirects are followed)";
            case ANY -> null;
        };
    }

    /** For the log: the URL a redirect took the request to, when it is not the request's own. */
    private String hop(String path, URI uri) {
        return uri.equals(target(path)) ? "" : " (at " + loggable(uri) + ")";
    }

    private static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        String s = uri.getScheme() + "://" + Texts.hostPort(uri) + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return URI.create(s);
    }

    /** The URL's credential for {@code target}: the userinfo for its own origin, else the configured one for the host. */
    private Authorization authorization(URI target) {
        if (userinfo != null && sameOrigin(base, target)) {
            return userinfo;
        }
        return settings.credentials().authorization(target).orElse(null);
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost().equalsIgnoreCase(b.getHost())
                && UpstreamCredentials.effectivePort(a) == UpstreamCredentials.effectivePort(b);
    }

    private List<String> scrub(Authorization auth) {
        List<String> out = new ArrayList<>();
        if (auth != null) {
            out.addAll(auth.secrets());
        }
        if (userinfo != null) {
            out.addAll(userinfo.secrets());
        }
        return out;
    }

    private List<String> internal(URI uri) {
        return List.of(Texts.origin(base), Texts.origin(uri));
    }

    /** A URL for the log: no userinfo, no query (a presigned redirect target carries its signature there). */
    private static String loggable(URI uri) {
        return uri.getScheme() + "://" + Texts.hostPort(uri) + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    /**
     * The URL of {@code path} under the base. GOPROXY paths never hold a {@code ?}; a release listing
     * asks with a query ({@code ?mode=json&include=all}), which is kept as a query.
     */
    private URI target(String path) {
        int q = path.indexOf('?');
        return q < 0
                ? base.resolve(encodePath(path))
                : base.resolve(encodePath(path.substring(0, q)) + "?" + encodePath(path.substring(q + 1)));
    }

    /** Percent-encodes what a URI path may not carry literally; '/' stays a separator. */
    static String encodePath(String path) {
        StringBuilder b = new StringBuilder(path.length() + 8);
        for (byte x : path.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || "/-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
                b.append((char) c);
            } else {
                b.append('%')
                        .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    /** The base URL, its password (or user-only token) redacted: {@code http://user:***@host/}. */
    @Override
    public String describe() {
        return shown;
    }
}
