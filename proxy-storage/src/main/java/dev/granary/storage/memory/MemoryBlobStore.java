package dev.granary.storage.memory;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.zip.CRC32C;

/**
 * A {@link BlobStore} in the heap, for tests and service tests. Follows the full {@link BlobStore}
 * contract: puts are atomic (the content is read completely before it is published), an open blob is
 * an immutable snapshot, create-only has exactly one winner, listing is sorted and segment-wise.
 * Unlike a file system it would accept both {@code a/b} and {@code a/b/c} as blobs; don't rely on it.
 *
 * <p>Thread-safe. Holds everything in memory: not for production data.
 */
public final class MemoryBlobStore implements BlobStore {

    /** Stores larger than this cannot be held in a byte array. */
    private static final long MAX_SIZE = Integer.MAX_VALUE - 16;

    private record Entry(byte[] bytes, Instant modified, String etag) {}

    private final ConcurrentSkipListMap<BlobKey, Entry> entries = new ConcurrentSkipListMap<>();
    private final Clock clock;

    /** An empty store using the system clock for modification times. */
    public MemoryBlobStore() {
        this(Clock.systemUTC());
    }

    /** An empty store recording modification times from {@code clock}. */
    public MemoryBlobStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Optional<Blob> get(BlobKey key) {
        Entry e = entries.get(Objects.requireNonNull(key, "key"));
        return e == null ? Optional.empty() : Optional.of(Blob.ofBytes(e.bytes, e.etag));
    }

    @Override
    public Optional<BlobStat> stat(BlobKey key) {
        Entry e = entries.get(Objects.requireNonNull(key, "key"));
        return e == null
                ? Optional.empty()
                : Optional.of(new BlobStat(key, e.bytes.length, e.modified, Optional.of(e.etag)));
    }

    /**
     * Reads {@code content} fully, then publishes it. With {@link PutMode#CREATE_ONLY}, returns
     * {@code false} without reading when the key already exists.
     */
    @Override
    public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(mode, "mode");
        if (size < -1) {
            throw new IllegalArgumentException("size " + size);
        }
        if (mode == PutMode.CREATE_ONLY && entries.containsKey(key)) {
            return false;
        }
        Entry e = entry(readExactly(key, content, size));
        if (mode == PutMode.CREATE_ONLY) {
            return entries.putIfAbsent(key, e) == null;
        }
        entries.put(key, e);
        return true;
    }

    @Override
    public void put(BlobKey key, byte[] bytes) {
        entries.put(Objects.requireNonNull(key, "key"), entry(bytes.clone()));
    }

    @Override
    public boolean delete(BlobKey key) {
        return entries.remove(Objects.requireNonNull(key, "key")) != null;
    }

    @Override
    public List<BlobKey> list(BlobKey prefix) {
        if (prefix == null) {
            return new ArrayList<>(entries.keySet());
        }
        // Keys starting with "p" are contiguous in sorted order; those under it are a subset.
        String p = prefix.value();
        List<BlobKey> out = new ArrayList<>();
        for (BlobKey k : entries.tailMap(prefix, false).keySet()) {
            if (!k.value().startsWith(p)) {
                break;
            }
            if (k.isUnder(prefix)) {
                out.add(k);
            }
        }
        return out;
    }

    @Override
    public String describe() {
        return "memory";
    }

    /** Number of blobs held. */
    public int size() {
        return entries.size();
    }

    private Entry entry(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        String etag = Long.toHexString(bytes.length) + "-" + Long.toHexString(crc.getValue());
        return new Entry(bytes, clock.instant(), etag);
    }

    private static byte[] readExactly(BlobKey key, InputStream in, long size) throws IOException {
        if (size > MAX_SIZE) {
            throw new StorageException("cannot hold " + size + " bytes for " + key + " in memory");
        }
        if (size < 0) {
            return in.readAllBytes();
        }
        byte[] bytes = in.readNBytes((int) size);
        if (bytes.length != size) {
            throw new StorageException(
                    "content for " + key + " ended after " + bytes.length + " of the declared " + size + " bytes");
        }
        if (in.read() >= 0) {
            throw new StorageException("content for " + key + " is longer than the declared " + size + " bytes");
        }
        return bytes;
    }
}
