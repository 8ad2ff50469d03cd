package dev.granary.storage;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Objects;
import java.util.Optional;

/** A blob whose content is a byte array held in memory. */
record BytesBlob(byte[] bytes, Optional<String> tag) implements Blob {

    BytesBlob {
        Objects.requireNonNull(bytes, "bytes");
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public Optional<String> etag() {
        return tag;
    }

    @Override
    public InputStream openStream() {
        return new ByteArrayInputStream(bytes);
    }

    @Override
    public InputStream openStream(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > bytes.length) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside 0.." + bytes.length);
        }
        return new ByteArrayInputStream(bytes, (int) offset, (int) length);
    }

    @Override
    public Optional<byte[]> heapBytes() {
        return Optional.of(bytes);
    }
}
