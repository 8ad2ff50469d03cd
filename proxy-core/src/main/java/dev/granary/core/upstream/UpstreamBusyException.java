package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import java.time.Duration;
import java.util.Optional;

/**
 * The upstream answered 429 (Too Many Requests) or 503 (Service Unavailable) and retrying did not
 * help, or it asked for a longer wait than a fetch may spend. A kind of {@code UPSTREAM_FAILED}
 * (502 to the client), with the upstream's {@code Retry-After} when it sent one, so a caller can
 * hold back further requests for that long instead of passing each one on.
 */
public final class UpstreamBusyException extends ProxyException {
    private final int status;
    private final Duration retryAfter;

    public UpstreamBusyException(int status, Duration retryAfter, String message) {
        super(Kind.UPSTREAM_FAILED, message);
        if (status != 429 && status != 503) {
            throw new IllegalArgumentException("not a busy status: " + status);
        }
        this.status = status;
        this.retryAfter = retryAfter;
    }

    /** The upstream's status: 429 or 503. */
    public int status() {
        return status;
    }

    /** How long the upstream asked to be left alone ({@code Retry-After}), if it said. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
