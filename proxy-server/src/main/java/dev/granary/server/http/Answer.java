package dev.granary.server.http;

import dev.granary.core.ProxyException;
import dev.granary.core.dl.DlRequest;
import dev.granary.core.protocol.Artifact;
import dev.granary.core.protocol.ProxyRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * What a request is answered with, before any HTTP detail: routes return these, and
 * {@link ResponsePolicy} alone turns them into status, headers and body.
 */
public sealed interface Answer {

    /** Operational text (health, readiness, index, metrics); never cached. */
    record Text(HttpResponseStatus status, String contentType, String body) implements Answer {
        public static Text plain(HttpResponseStatus status, String body) {
            return new Text(status, ResponsePolicy.TEXT, body);
        }
    }

    /**
     * A file of the catalog page (HTML, script, style): served with its ETag and revalidated on each
     * use, so a new release is picked up at once and an unchanged one costs a 304.
     */
    record Asset(String contentType, byte[] body, String etag) implements Answer {}

    /** An artifact for a parsed GOPROXY or checksum-database request; the answer owns it until it is written. */
    record Content(ProxyRequest request, Artifact artifact) implements Answer {}

    /**
     * Stored content outside the GOPROXY protocol (build cache objects, pre-warm bundles): its media
     * type and the protocol's own headers ({@code Go-Output-Id}); the answer owns the artifact.
     */
    record Stored(String contentType, Artifact artifact, Map<String, String> headers) implements Answer {
        public Stored {
            headers = Map.copyOf(headers);
        }
    }

    /** Done, nothing to say: 204 (a stored build cache entry). */
    record NoContent() implements Answer {}

    /** A release archive, its checksum or signature, or the release listing ({@code /dl/}); owned until written. */
    record Download(DlRequest request, Artifact artifact) implements Answer {}

    /** Where to fetch a request's content instead (a presigned storage URL). */
    record Redirect(ProxyRequest request, URI location) implements Answer {}

    /** A domain error; its kind decides the status. */
    record Failure(ProxyException error) implements Answer {}

    /** A request refused at the HTTP level, with what was wrong, and when to come back (null: not said). */
    record Refusal(ResponsePolicy.Refusal why, String detail, Duration retryAfter) implements Answer {
        public Refusal(ResponsePolicy.Refusal why, String detail) {
            this(why, detail, null);
        }
    }
}
