package dev.granary.server.http;

import dev.granary.core.ProxyException;
import dev.granary.core.dl.DlRequest;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.protocol.ProxyRequest;
import dev.granary.server.auth.Access;
import dev.granary.storage.Blob;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides what goes on the wire for an {@link Answer}:
 * <ul>
 *   <li>the status: domain errors by kind (go.dev/ref/mod#goproxy-protocol: 404 and 410 tell the go
 *       command to try the next proxy in a ',' list, 403 to stop, 5xx that the proxy failed; an
 *       artifact refused as unverifiable is never a 404, so the client does not fall through to
 *       another source for bytes Granary refused), HTTP-level refusals, 304 for a matching
 *       If-None-Match, 206 and 416 for ranges;</li>
 *   <li>Content-Type by artifact kind; Cache-Control: committed versions and verified release archives
 *       for a year, mutable answers (list, @latest, queries, the release listing) 60 s, everything else
 *       {@code no-store};</li>
 *   <li>Allow on every 405, WWW-Authenticate on every 401, Retry-After on 429 and 503, Connection,
 *       Content-Length (on HEAD the GET body's), ETag, Accept-Ranges, Content-Range;</li>
 *   <li>the body: none, bytes, or a range of a blob;</li>
 *   <li>what error texts say: storage and internal failures are not described to clients (the log
 *       has them); other reasons pass through {@link Redaction}.</li>
 * </ul>
 */
public final class ResponsePolicy {
    private static final Logger log = LoggerFactory.getLogger(ResponsePolicy.class);

    /** Committed versions never change: cache for a year. */
    public static final String IMMUTABLE = "public, max-age=31536000, immutable";
    /** list, @latest and queries change when a version is tagged upstream. */
    public static final String SHORT = "public, max-age=60";
    /** Errors, health and metrics are never cached. */
    public static final String NO_STORE = "no-store";

    public static final String TEXT = "text/plain; charset=utf-8";
    /** Catalog files: cached, but revalidated (by ETag) before each use. */
    public static final String REVALIDATE = "no-cache";

    public static final String JSON = "application/json; charset=utf-8";
    /**
     * The catalog page runs only its own script and style, loads nothing from elsewhere, and may not be
     * framed: even a module path that slipped past escaping could not run or fetch anything.
     */
    public static final String PAGE_POLICY =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                    + "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    /** The only methods served: every 405 says so (RFC 9110 section 15.5.6). */
    public static final String ALLOW = "GET, HEAD";

    /** Refusals at the HTTP level: their status, and whether the connection must end after them. */
    public enum Refusal {
        /** Malformed request line, headers or framing: nothing after it on the connection can be trusted (RFC 9112 section 6.3). */
        BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, true),
        /** An HTTP/1.1 request without exactly one Host header (RFC 9112 section 3.2); its framing is sound. */
        BAD_HOST(HttpResponseStatus.BAD_REQUEST, false),
        METHOD_NOT_ALLOWED(HttpResponseStatus.METHOD_NOT_ALLOWED, false),
        /** A request head that did not arrive before the header deadline. */
        REQUEST_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, true),
        /** A body of unknown length (chunked): it is not read, so nothing after it can be found. */
        LENGTH_REQUIRED(HttpResponseStatus.LENGTH_REQUIRED, true),
        /** A declared body larger than a GET may carry: it is not read. */
        CONTENT_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, true),
        URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, true),
        HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, true),
        /** Any HTTP major version but 1 (RFC 9110 section 15.6.6). */
        VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, true),
        /** Over a connection limit, too many pipelined requests, or shutting down. */
        UNAVAILABLE(HttpResponseStatus.SERVICE_UNAVAILABLE, true),
        /** No credentials where a token is needed: 401 with the Basic and Bearer challenges. */
        UNAUTHORIZED(HttpResponseStatus.UNAUTHORIZED, false),
        /** Credentials that are not a known token: 401, the Bearer challenge saying invalid_token (RFC 6750 section 3.1). */
        BAD_CREDENTIALS(HttpResponseStatus.UNAUTHORIZED, false),
        /** Over a request rate: 429 with Retry-After (RFC 6585 section 4). */
        TOO_MANY_REQUESTS(HttpResponseStatus.TOO_MANY_REQUESTS, false),
        /** Credentials that do not carry the right asked for (a read-only token that writes). */
        FORBIDDEN(HttpResponseStatus.FORBIDDEN, false),
        /** A request body that fails its check (a build cache output whose SHA-256 is not its ID, a damaged bundle). */
        BAD_CONTENT(HttpResponseStatus.BAD_REQUEST, false),
        /** A request for something that cannot exist here (a malformed build cache ID); not the GOPROXY 404 fallback. */
        NOT_FOUND(HttpResponseStatus.NOT_FOUND, false);

        private final HttpResponseStatus status;
        private final boolean closes;

        Refusal(HttpResponseStatus status, boolean closes) {
            this.status = status;
            this.closes = closes;
        }

        public HttpResponseStatus status() {
            return status;
        }

        /** True when the connection ends after this answer. */
        public boolean closes() {
            return closes;
        }
    }

    private final Redaction redaction;

    public ResponsePolicy(Redaction redaction) {
        this.redaction = redaction;
    }

    /** The response to {@code a} for {@code ex}. Takes over the artifact of a {@link Answer.Content}. */
    Response decide(Exchange ex, Answer a) {
        return switch (a) {
            case Answer.Text t -> text(ex, t.status(), t.contentType(), t.body(), ex.keepAlive());
            case Answer.Content c -> content(ex, contentType(c.request()), c.artifact(), Map.of());
            case Answer.Download d -> content(ex, contentType(d.request()), d.artifact(), Map.of());
            case Answer.Asset s -> asset(ex, s);
            case Answer.Stored st -> content(ex, st.contentType(), st.artifact(), st.headers());
            case Answer.NoContent n -> {
                boolean keepAlive = ex.keepAlive();
                HttpHeaders h = headers(ex.version(), keepAlive);
                h.set(HttpHeaderNames.CACHE_CONTROL, NO_STORE);
                yield new Response(HttpResponseStatus.NO_CONTENT, h, Response.NONE, keepAlive);
            }
            case Answer.Redirect r -> {
                boolean keepAlive = ex.keepAlive();
                HttpHeaders h = headers(ex.version(), keepAlive);
                // Temporary: the presigned URL expires.
                h.set(HttpHeaderNames.LOCATION, r.location().toString());
                h.set(HttpHeaderNames.CACHE_CONTROL, NO_STORE);
                h.set(HttpHeaderNames.CONTENT_LENGTH, 0);
                yield new Response(HttpResponseStatus.TEMPORARY_REDIRECT, h, Response.NONE, keepAlive);
            }
            case Answer.Failure f -> {
                Response r = text(ex, status(f.error().kind()), TEXT, line(reason(f.error())), ex.keepAlive());
                if (f.error().kind() == ProxyException.Kind.BUSY) {
                    r.headers().set(HttpHeaderNames.RETRY_AFTER, "5");
                }
                yield r;
            }
            case Answer.Refusal r -> {
                Response rsp = refusal(
                        ex.version(), ex.head(), ex.keepAlive() && !r.why().closes(), r.why(), r.detail());
                if (r.retryAfter() != null) {
                    rsp.headers()
                            .set(
                                    HttpHeaderNames.RETRY_AFTER,
                                    Long.toString(Math.max(1, r.retryAfter().toSeconds())));
                }
                yield rsp;
            }
        };
    }

    /** The answer on a connection that has no request to answer (over a limit, a head that never came); it closes. */
    Response connectionRefusal(Refusal why, String detail) {
        return refusal(HttpVersion.HTTP_1_1, false, false, why, detail);
    }

    /** go.dev/ref/mod#goproxy-protocol, see the class comment. */
    public static HttpResponseStatus status(ProxyException.Kind kind) {
        return switch (kind) {
            case INVALID, NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case GONE -> HttpResponseStatus.GONE;
            case FORBIDDEN -> HttpResponseStatus.FORBIDDEN;
            case UPSTREAM_FAILED, VERIFICATION_FAILED -> HttpResponseStatus.BAD_GATEWAY;
            case UPSTREAM_TIMEOUT -> HttpResponseStatus.GATEWAY_TIMEOUT;
            case STORAGE_UNAVAILABLE, BUSY -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case INTERNAL -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
        };
    }

    static String contentType(ProxyRequest pr) {
        return switch (pr) {
            case ProxyRequest.Latest l -> "application/json";
            case ProxyRequest.Info i -> "application/json";
            case ProxyRequest.Query q -> "application/json";
            case ProxyRequest.Zip z -> "application/zip";
            case ProxyRequest.Sumdb s -> s.path().startsWith("tile/") ? "application/octet-stream" : TEXT;
            case ProxyRequest.ListVersions l -> TEXT;
            case ProxyRequest.GoMod m -> TEXT;
        };
    }

    /** Release site answers: JSON listing, archives as their kind, checksum and armored signature as text. */
    static String contentType(DlRequest r) {
        return switch (r) {
            case DlRequest.Listing l -> "application/json";
            case DlRequest.File f ->
                switch (f.part()) {
                    case SHA256, SIGNATURE -> TEXT;
                    case ARCHIVE ->
                        f.filename().endsWith(".zip")
                                ? "application/zip"
                                : f.filename().endsWith(".tar.gz") ? "application/gzip" : "application/octet-stream";
                };
        };
    }

    /** What a client is told about a domain error: storage and internal details stay in the log. */
    private String reason(ProxyException e) {
        return switch (e.kind()) {
            case STORAGE_UNAVAILABLE -> "storage unavailable; the server log has the details";
            case INTERNAL -> "internal error";
            default -> redaction.apply(e.getMessage());
        };
    }

    private Response refusal(HttpVersion version, boolean head, boolean keepAlive, Refusal why, String detail) {
        Response r = text(version, head, why.status(), TEXT, line(redaction.apply(detail)), keepAlive);
        if (why == Refusal.METHOD_NOT_ALLOWED) {
            r.headers().set(HttpHeaderNames.ALLOW, ALLOW);
        }
        if (why == Refusal.UNAVAILABLE) {
            r.headers().set(HttpHeaderNames.RETRY_AFTER, "5");
        }
        // RFC 9110 section 11.6.1: a 401 carries the challenges; the go command hands them to a GOAUTH command.
        if (why == Refusal.UNAUTHORIZED) {
            r.headers().add(HttpHeaderNames.WWW_AUTHENTICATE, Access.BASIC_CHALLENGE);
            r.headers().add(HttpHeaderNames.WWW_AUTHENTICATE, Access.BEARER_CHALLENGE);
        }
        if (why == Refusal.BAD_CREDENTIALS) {
            r.headers().add(HttpHeaderNames.WWW_AUTHENTICATE, Access.BASIC_CHALLENGE);
            r.headers().add(HttpHeaderNames.WWW_AUTHENTICATE, Access.BEARER_INVALID_CHALLENGE);
        }
        return r;
    }

    private static Response text(
            Exchange ex, HttpResponseStatus status, String contentType, String body, boolean keepAlive) {
        return text(ex.version(), ex.head(), status, contentType, body, keepAlive);
    }

    private static Response text(
            HttpVersion version,
            boolean head,
            HttpResponseStatus status,
            String contentType,
            String body,
            boolean keepAlive) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpHeaders h = headers(version, keepAlive);
        h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
        h.set(HttpHeaderNames.CACHE_CONTROL, NO_STORE);
        h.set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (contentType.startsWith("application/json")) {
            h.set("X-Content-Type-Options", "nosniff");
        }
        return new Response(status, h, head ? Response.NONE : Response.bytes(bytes), keepAlive);
    }

    private static Response asset(Exchange ex, Answer.Asset s) {
        boolean keepAlive = ex.keepAlive();
        HttpHeaders h = headers(ex.version(), keepAlive);
        h.set(HttpHeaderNames.CACHE_CONTROL, REVALIDATE);
        h.set(HttpHeaderNames.ETAG, s.etag());
        h.set("X-Content-Type-Options", "nosniff");
        if (s.contentType().startsWith("text/html")) {
            h.set("Content-Security-Policy", PAGE_POLICY);
            h.set("Referrer-Policy", "no-referrer");
            h.set("X-Frame-Options", "DENY");
        }
        if (matches(ex.ifNoneMatch(), s.etag())) {
            return new Response(HttpResponseStatus.NOT_MODIFIED, h, Response.NONE, keepAlive);
        }
        h.set(HttpHeaderNames.CONTENT_TYPE, s.contentType());
        h.set(HttpHeaderNames.CONTENT_LENGTH, s.body().length);
        return new Response(HttpResponseStatus.OK, h, ex.head() ? Response.NONE : Response.bytes(s.body()), keepAlive);
    }

    private static Response content(Exchange ex, String contentType, Artifact a, Map<String, String> extra) {
        Blob blob = a.blob();
        boolean owned = false;
        try {
            boolean keepAlive = ex.keepAlive();
            HttpHeaders h = headers(ex.version(), keepAlive);
            h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
            h.set(HttpHeaderNames.CACHE_CONTROL, a.immutable() ? IMMUTABLE : SHORT);
            // After the default: an answer's own Cache-Control (private, no-store) is the one that goes out.
            extra.forEach(h::set);
            if (a.etag() != null) {
                h.set(HttpHeaderNames.ETAG, a.etag());
                if (matches(ex.ifNoneMatch(), a.etag())) {
                    // RFC 9110 section 15.4.5: a 304 has no body and no Content-Length unless it is the 200's.
                    h.remove(HttpHeaderNames.CONTENT_TYPE);
                    return new Response(HttpResponseStatus.NOT_MODIFIED, h, Response.NONE, keepAlive);
                }
            }
            long size = blob.size();
            ByteRange range = null;
            if (a.immutable()) {
                h.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
                // RFC 9110 section 14.2: ranges are defined for GET only; an If-Range that does not match asks for the
                // whole.
                if (!ex.head() && ex.range() != null && ifRangeHolds(ex.ifRange(), a.etag())) {
                    try {
                        range = ByteRange.parse(ex.range(), size).orElse(null);
                    } catch (ByteRange.Unsatisfiable e) {
                        Response r = text(
                                ex,
                                HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                                TEXT,
                                "range not satisfiable: the content is " + size + " bytes\n",
                                keepAlive);
                        r.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
                        return r;
                    }
                }
            }
            long offset = range == null ? 0 : range.offset();
            long length = range == null ? size : range.length();
            HttpResponseStatus status = range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT;
            if (range != null) {
                h.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + offset + "-" + (offset + length - 1) + "/" + size);
            }
            h.set(HttpHeaderNames.CONTENT_LENGTH, length);
            if (ex.head() || length == 0) {
                return new Response(status, h, Response.NONE, keepAlive);
            }
            Optional<byte[]> heap = blob.heapBytes();
            if (heap.isPresent()) {
                return new Response(
                        status, h, new Response.Body.Bytes(heap.get(), (int) offset, (int) length), keepAlive);
            }
            owned = true;
            return new Response(status, h, new Response.Body.Part(blob, offset, length), keepAlive);
        } finally {
            if (!owned) {
                closeQuietly(blob);
            }
        }
    }

    private static HttpHeaders headers(HttpVersion version, boolean keepAlive) {
        HttpHeaders h = new DefaultHttpHeaders();
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!version.isKeepAliveDefault()) {
            // An HTTP/1.0 client that asked to keep the connection is told it is kept.
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return h;
    }

    private static String line(String reason) {
        return reason.endsWith("\n") ? reason : reason + "\n";
    }

    /** RFC 9110 section 13.1.2: a list of tags or '*', compared weakly. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        String tag = etag.startsWith("W/") ? etag.substring(2) : etag;
        for (String t : ifNoneMatch.split(",")) {
            String s = t.strip();
            if (s.equals("*")) {
                return true;
            }
            if (s.startsWith("W/")) {
                s = s.substring(2);
            }
            if (s.equals(tag)) {
                return true;
            }
        }
        return false;
    }

    /** RFC 9110 section 13.1.5: the range applies when If-Range is absent or strongly matches the entity tag. */
    static boolean ifRangeHolds(String ifRange, String etag) {
        return ifRange == null
                || (etag != null && !etag.startsWith("W/") && ifRange.strip().equals(etag));
    }

    static void closeQuietly(Blob blob) {
        try {
            blob.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing blob: {}", e.toString());
        }
    }
}
