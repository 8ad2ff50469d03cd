package dev.granary.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Bytes by key. The storage SPI every tier implements (disk, S3, memory, the hot tier wrapper).
 *
 * <p>Contract shared by all methods:
 * <ul>
 *   <li><b>Not found is not an error.</b> {@code get} and {@code stat} return empty, {@code delete}
 *       returns {@code false}, {@code list} returns an empty list.</li>
 *   <li><b>Atomic writes.</b> A {@code put} either makes the whole new content visible or changes
 *       nothing: a reader never sees a partial blob, and a put whose source stream fails leaves no
 *       trace under the key.</li>
 *   <li><b>Thread-safe.</b> Every method may be called from any thread concurrently.</li>
 *   <li><b>Failures</b> other than not-found raise {@link IOException} (usually
 *       {@link StorageException}).</li>
 * </ul>
 * Stores know nothing about what the keys mean. A key should not be both a blob and a segment-prefix of
 * another blob ({@code a/b} and {@code a/b/c}): stores backed by a file system cannot represent that and
 * fail such a put with {@link StorageException}; GOPROXY layouts never need it.
 */
public interface BlobStore extends AutoCloseable {

    /**
     * Opens the blob under {@code key}. The returned blob must be closed by the caller.
     *
     * @return the blob, or empty if none exists
     */
    Optional<Blob> get(BlobKey key) throws IOException;

    /**
     * Describes the blob under {@code key} without opening it.
     *
     * @return its size and metadata, or empty if none exists
     */
    Optional<BlobStat> stat(BlobKey key) throws IOException;

    /** True when a blob exists under {@code key}. */
    default boolean exists(BlobKey key) throws IOException {
        return stat(key).isPresent();
    }

    /**
     * Stores the content read from {@code content} (read to its end, not closed) under {@code key},
     * atomically.
     *
     * @param size the exact number of bytes the stream will yield, or {@code -1} if unknown; a store
     *     may use it to choose an upload strategy, and must fail the put if the stream yields a
     *     different number of bytes
     * @return {@code true} if the blob was written, {@code false} if {@code mode} is
     *     {@link PutMode#CREATE_ONLY} and a blob already existed (nothing was changed; the store may then
     *     return without reading {@code content} at all)
     * @throws IOException if {@code content} throws (rethrown as is), if it yields a number of bytes
     *     different from a non-negative {@code size}, or if the store fails; in every case nothing is
     *     left under the key that was not there before
     */
    boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException;

    /** Stores {@code bytes} under {@code key}, replacing any existing blob. */
    default void put(BlobKey key, byte[] bytes) throws IOException {
        put(key, new ByteArrayInputStream(bytes), bytes.length, PutMode.REPLACE);
    }

    /**
     * Stores the content of a local file under {@code key}. An ordinary file is copied and left as it
     * was. A temporary file of the store itself (a {@link TempFiles} name under a disk store's root) may
     * be taken over instead: renamed or linked into place, no copy made; callers that pass such a file
     * treat it as consumed.
     */
    default boolean put(BlobKey key, Path file, PutMode mode) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return put(key, in, Files.size(file), mode);
        }
    }

    /**
     * Removes the blob under {@code key}. Idempotent.
     *
     * @return {@code true} if a blob was removed
     */
    boolean delete(BlobKey key) throws IOException;

    /**
     * Lists every key under {@code prefix} on whole segments, at any depth, sorted. {@code a/b} lists
     * {@code a/b/c} and {@code a/b/v2/d} but not {@code a/b-c} nor {@code a/b} itself. A {@code null}
     * prefix lists the whole store. Temporary files of in-progress writes are never listed.
     */
    List<BlobKey> list(BlobKey prefix) throws IOException;

    /**
     * A URL from which any HTTP client can GET the blob under {@code key} directly from the store until
     * {@code expiry} has passed, for redirecting large downloads away from this process. Signing is
     * local: it neither checks that the blob exists nor contacts the store. Added with the S3 tier;
     * stores that cannot do this (disk, memory) return empty, which is the default; wrappers delegate.
     *
     * @param expiry how long the URL stays valid (stores may limit it, S3 to 7 days)
     * @return the URL, or empty when this store cannot presign
     * @throws IllegalArgumentException if {@code expiry} is not positive or beyond the store's limit
     */
    default Optional<URI> presignGet(BlobKey key, Duration expiry) throws IOException {
        return Optional.empty();
    }

    /**
     * Checks that the store is reachable and usable (for readiness probes). Cheap.
     *
     * @throws IOException describing why it is not
     */
    default void checkHealth() throws IOException {}

    /** A short description for logs and /readyz, such as {@code disk:/var/cache/granary}. */
    String describe();

    @Override
    default void close() throws IOException {}
}
