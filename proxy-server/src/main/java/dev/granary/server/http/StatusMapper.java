package dev.granary.server.http;

import dev.granary.core.ProxyException;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The one place where domain errors become HTTP statuses (go.dev/ref/mod#goproxy-protocol):
 * 404 and 410 tell the go command to try the next proxy in a ',' list, 403 to stop, 5xx that the
 * proxy failed. A refused (unverifiable) artifact is never a 404: the client must not fall through
 * to another source for bytes Granary refused.
 */
public final class StatusMapper {
    private StatusMapper() {
    }

    public static HttpResponseStatus status(ProxyException.Kind kind) {
        return switch (kind) {
            case INVALID, NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case GONE -> HttpResponseStatus.GONE;
            case FORBIDDEN -> HttpResponseStatus.FORBIDDEN;
            case UPSTREAM_FAILED, VERIFICATION_FAILED -> HttpResponseStatus.BAD_GATEWAY;
            case UPSTREAM_TIMEOUT -> HttpResponseStatus.GATEWAY_TIMEOUT;
            case STORAGE_UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case INTERNAL -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
        };
    }
}
