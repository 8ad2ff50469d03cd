package dev.granary.core.sumdb;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.util.Optional;

/**
 * Keeps a checksum database's verified state in storage, in the layout a GOPROXY serves it, so a
 * disk tier or snapshot doubles as an offline {@code /sumdb/<name>/} for the go command:
 * {@code sumdb/<name>/latest} (the newest verified signed tree head), {@code sumdb/<name>/tile/...}
 * (authenticated tiles), {@code sumdb/<name>/lookup/<module>@<version>} (verified lookups).
 */
public final class SumdbStorage {
    private SumdbStorage() {
    }

    public static BlobKey key(String name, String path) {
        return BlobKey.of("sumdb/" + name + "/" + path);
    }

    static Optional<byte[]> read(BlobStore store, BlobKey key) throws IOException {
        Optional<Blob> b = store.get(key);
        if (b.isEmpty()) {
            return Optional.empty();
        }
        try (Blob blob = b.get()) {
            return Optional.of(blob.readAllBytes());
        }
    }

    /** Authenticated tiles under {@code sumdb/<name>/tile/...}. */
    public static TileCache tiles(BlobStore store, String name) {
        return new TileCache() {
            @Override
            public Optional<byte[]> get(String path) throws IOException {
                return read(store, key(name, path));
            }

            @Override
            public void put(String path, byte[] data) throws IOException {
                store.put(key(name, path), data);
            }
        };
    }

    /** The newest verified tree head under {@code sumdb/<name>/latest}. */
    public static TreeHeadStore treeHead(BlobStore store, String name) {
        return new TreeHeadStore() {
            @Override
            public Optional<byte[]> load() throws IOException {
                return read(store, key(name, "latest"));
            }

            @Override
            public void save(byte[] signedNote) throws IOException {
                store.put(key(name, "latest"), signedNote);
            }
        };
    }
}
