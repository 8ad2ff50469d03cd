package dev.granary.server.http;

import dev.granary.storage.Blob;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A decided response, what {@link ResponseWriter} puts on the wire: status line and headers (with
 * Content-Length always set), then a body, and whether the connection goes on after it.
 */
record Response(HttpResponseStatus status, HttpHeaders headers, Body body, boolean keepAlive) {

    /** The bytes after the head. */
    sealed interface Body {
        /** No body: HEAD, 304, redirects; Content-Length may still announce the GET body's length. */
        record None() implements Body {}

        /** Bytes in memory (small answers, hot-tier artifacts): written whole. */
        record Bytes(byte[] bytes, int offset, int length) implements Body {}

        /** A range of a blob the response owns and closes once written: zero-copy from a file, else a paced stream. */
        record Part(Blob blob, long offset, long length) implements Body {}
    }

    static final Body NONE = new Body.None();

    static Body bytes(byte[] b) {
        return new Body.Bytes(b, 0, b.length);
    }
}
