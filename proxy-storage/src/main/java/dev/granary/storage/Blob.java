package dev.granary.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * An open, immutable blob returned by {@link BlobStore#get}. The content is fixed when the blob is
 * opened: a later replace or delete of the same key is not visible through an already open blob, which
 * keeps returning the whole content it was opened with until it is closed (every store promises this;
 * the compliance suite checks it).
 *
 * <p>A blob holds resources (an open file, a connection) until it is closed. It may be read several
 * times through {@link #openStream()}; each stream must be closed too. Not thread-safe for
 * concurrent reads of the same stream, but distinct streams may be used from distinct threads.
 */
public interface Blob extends Closeable {

    /** The exact size of the content in bytes. */
    long size();

    /** An entity tag for the content (stable for the same bytes), when the store has one cheaply. */
    default Optional<String> etag() {
        return Optional.empty();
    }

    /** A stream of the whole content. */
    InputStream openStream() throws IOException;

    /**
     * A stream of {@code length} bytes starting at {@code offset}. Stores that can read ranges
     * natively (files, S3) override this; the default skips.
     *
     * @throws IllegalArgumentException if the range is not within {@code [0, size()]}
     */
    default InputStream openStream(long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > size()) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside 0.." + size());
        }
        InputStream in = openStream();
        in.skipNBytes(offset);
        return new BoundedInputStream(in, length);
    }

    /**
     * The content as an open file channel positioned anywhere, for zero-copy transfer. Present only for
     * blobs backed by a local file. The channel belongs to the blob: it is closed with the blob.
     */
    default Optional<FileChannel> fileChannel() {
        return Optional.empty();
    }

    /**
     * The whole content in memory when the blob already holds it there (hot tier); never loads. The
     * array may be shared with a cache: callers must not modify it.
     */
    default Optional<byte[]> heapBytes() {
        return Optional.empty();
    }

    /** Reads the whole content into memory. Only for blobs known to be small. */
    default byte[] readAllBytes() throws IOException {
        Optional<byte[]> heap = heapBytes();
        if (heap.isPresent()) {
            return heap.get();
        }
        try (InputStream in = openStream()) {
            return in.readAllBytes();
        }
    }

    @Override
    default void close() throws IOException {}

    /** A blob over bytes already in memory. The array must not be modified afterwards. */
    static Blob ofBytes(byte[] bytes) {
        return new BytesBlob(bytes, Optional.empty());
    }

    /** A blob over bytes already in memory, with an entity tag. */
    static Blob ofBytes(byte[] bytes, String etag) {
        return new BytesBlob(bytes, Optional.ofNullable(etag));
    }
}
