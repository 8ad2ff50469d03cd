package dev.granary.core.sumdb;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps checksum databases' verified state in storage, in the layout a GOPROXY serves it
 * ({@link StorageLayout}: {@code sumdb/<name>/latest}, {@code tile/...}, {@code lookup/...}), so a disk
 * tier or snapshot doubles as an offline {@code /sumdb/<name>/} for the go command. The first cached
 * lookup of a database also records {@code sumdb/<name>/supported}, the go command's probe.
 */
public final class SumdbStorage {
    private static final Logger log = LoggerFactory.getLogger(SumdbStorage.class);

    private final BlobStore store;
    private final Set<String> supported = ConcurrentHashMap.newKeySet();
    /** Verified objects whose write is still running ({@link #saveVerifiedSoon}): read from here meanwhile. */
    private final ConcurrentHashMap<BlobKey, byte[]> saving = new ConcurrentHashMap<>();

    public SumdbStorage(BlobStore store) {
        this.store = store;
    }

    /** A stored object, or empty; storage failures are STORAGE_UNAVAILABLE. */
    Optional<byte[]> read(BlobKey key) {
        try {
            return readOrThrow(key);
        } catch (IOException e) {
            throw new ProxyException(Kind.STORAGE_UNAVAILABLE, "reading " + key + ": " + e.getMessage(), e);
        }
    }

    private Optional<byte[]> readOrThrow(BlobKey key) throws IOException {
        byte[] pending = saving.get(key);
        if (pending != null) {
            return Optional.of(pending);
        }
        Optional<Blob> b = store.get(key);
        if (b.isEmpty()) {
            return Optional.empty();
        }
        try (Blob blob = b.get()) {
            return Optional.of(blob.readAllBytes());
        }
    }

    /** Keys under {@code prefix}, for finding wider partial tiles; empty when listing fails. */
    Iterable<BlobKey> listQuietly(BlobKey prefix) {
        try {
            return store.list(prefix);
        } catch (IOException e) {
            log.debug("listing {}: {}", prefix, e.toString());
            return Set.of();
        }
    }

    /** Caches a verified object (a lookup answer); a store that cannot write only costs a refetch later. */
    void saveVerified(String db, BlobKey key, byte[] bytes) {
        try {
            store.put(key, bytes);
            if (supported.add(db)) {
                // A disk tier or snapshot used as GOPROXY=file:// answers the go command's probe too.
                store.put(
                        StorageLayout.sumdb(db, "supported"),
                        new ByteArrayInputStream(new byte[0]),
                        0,
                        PutMode.CREATE_ONLY);
            }
        } catch (IOException e) {
            log.warn("cannot cache {}: {}", key, e.toString());
        }
    }

    /**
     * Caches a verified object without waiting for the durable write (an fsync or an upload): it is
     * read from memory until the write is done. For the fetch pipeline, whose {@code .mod} answer
     * waits for the lookup: the go command's own lookup of the same version, through {@code /sumdb/},
     * follows at once and is answered from here.
     */
    void saveVerifiedSoon(String db, BlobKey key, byte[] bytes) {
        saving.put(key, bytes);
        Thread.ofVirtual().name("granary-sumdb-cache").start(() -> {
            try {
                saveVerified(db, key, bytes);
            } finally {
                saving.remove(key, bytes);
            }
        });
    }

    /** Records {@code bytes} at {@code key} unless something is there; returns what is stored afterwards. */
    byte[] putIfAbsent(BlobKey key, byte[] bytes) throws IOException {
        if (store.put(key, new ByteArrayInputStream(bytes), bytes.length, PutMode.CREATE_ONLY)) {
            return bytes;
        }
        return readOrThrow(key).orElse(bytes);
    }

    /** Authenticated tiles under {@code sumdb/<name>/tile/...}. */
    public TileCache tiles(String name) {
        return new TileCache() {
            @Override
            public Optional<byte[]> get(String path) throws IOException {
                return readOrThrow(StorageLayout.sumdb(name, path));
            }

            @Override
            public void put(String path, byte[] data) throws IOException {
                store.put(StorageLayout.sumdb(name, path), data);
            }
        };
    }

    /** The newest verified tree head under {@code sumdb/<name>/latest}. */
    public TreeHeadStore treeHead(String name) {
        return new TreeHeadStore() {
            @Override
            public Optional<byte[]> load() throws IOException {
                return readOrThrow(StorageLayout.sumdb(name, "latest"));
            }

            @Override
            public void save(byte[] signedNote) throws IOException {
                store.put(StorageLayout.sumdb(name, "latest"), signedNote);
            }
        };
    }
}
