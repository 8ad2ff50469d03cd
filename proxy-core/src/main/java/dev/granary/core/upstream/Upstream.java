package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import java.nio.file.Path;

/**
 * A source of GOPROXY artifacts: another proxy over HTTP, a {@code file://} tree, or (later) a VCS.
 *
 * <p>Paths are GOPROXY request paths relative to the proxy root, already case-escaped, such as
 * {@code rsc.io/quote/@v/v1.5.2.info} or {@code sumdb/sum.golang.org/latest}.
 *
 * <p>Every failure is a {@link ProxyException}: {@code NOT_FOUND} and {@code GONE} for the
 * protocol's "not here" answers, {@code UPSTREAM_FAILED} or {@code UPSTREAM_TIMEOUT} for everything
 * else the upstream does, and {@code STORAGE_UNAVAILABLE} when {@link #download} cannot write its
 * local target. Messages go to clients: they carry the upstream's reason but never its URL or any
 * credential. Implementations are thread-safe.
 */
public interface Upstream {

    /**
     * Fetches a small artifact into memory.
     *
     * @param maxBytes the largest body accepted; a larger one fails with {@code UPSTREAM_FAILED}
     */
    byte[] fetch(String path, long maxBytes);

    /**
     * Downloads an artifact into {@code target} (created or truncated). A body shorter than the
     * announced length, or longer than {@code maxBytes}, fails; the caller deletes {@code target}.
     * A failure to write {@code target} is {@code STORAGE_UNAVAILABLE} ("storage full" for a full
     * disk, else "storage write failed: ..."), and is not retried.
     *
     * @return the number of bytes written
     */
    long download(String path, Path target, long maxBytes);

    /** A short description for logs, such as the base URL with any password redacted. */
    String describe();
}
