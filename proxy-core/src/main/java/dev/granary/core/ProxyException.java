package dev.granary.core;

/**
 * The one domain error of the proxy. Its {@link Kind} decides the HTTP status in exactly one place
 * (the server's status mapper); its message is the plain-text reason sent to the client.
 */
public class ProxyException extends RuntimeException {

    /** What went wrong, in protocol terms. */
    public enum Kind {
        /** Malformed module path, version or request: answered 404 so the client's fallback still works. */
        INVALID,
        /** Not present here or upstream: 404, "try the next proxy". */
        NOT_FOUND,
        /** Known to be gone (retracted from the origin, removed): 410, "try the next proxy". */
        GONE,
        /** Refused by policy: 403, "stop". */
        FORBIDDEN,
        /** The upstream failed or answered garbage: 502. */
        UPSTREAM_FAILED,
        /** The upstream did not answer in time: 504. */
        UPSTREAM_TIMEOUT,
        /** Content failed verification (zip rules, go.mod mismatch, checksum database): refused, 502-class, never 404. */
        VERIFICATION_FAILED,
        /** Our own storage failed: 503. */
        STORAGE_UNAVAILABLE,
        /** Granary is at one of its own limits (such as upstream fetches at once) and did not get to it: 503, the reason says which. */
        BUSY,
        /** A bug or an unexpected condition: 500. */
        INTERNAL
    }

    private final Kind kind;

    public ProxyException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ProxyException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static ProxyException invalid(String message) {
        return new ProxyException(Kind.INVALID, message);
    }

    public static ProxyException notFound(String message) {
        return new ProxyException(Kind.NOT_FOUND, message);
    }

    /** True when the go command would fall through to the next proxy in a ',' list. */
    public boolean isNotFound() {
        return kind == Kind.NOT_FOUND || kind == Kind.GONE || kind == Kind.INVALID;
    }
}
