package dev.granary.core.sumdb;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stores checksum-database tiles by path ({@code tile/8/0/x001/234.p/5}). The client only puts tiles
 * it has authenticated against a signed tree head. A tile's content never changes for its path in
 * an honest log (a full tile is final; a partial tile of width W is always the first W hashes), so
 * entries can be kept forever.
 */
public interface TileCache {

    /** The cached tile data, if any. */
    Optional<byte[]> get(String path) throws IOException;

    /** Stores authenticated tile data. */
    void put(String path, byte[] data) throws IOException;

    /** A cache that stores nothing. */
    static TileCache none() {
        return new TileCache() {
            @Override
            public Optional<byte[]> get(String path) {
                return Optional.empty();
            }

            @Override
            public void put(String path, byte[] data) {}
        };
    }

    /** An unbounded in-memory cache. */
    static TileCache inMemory() {
        ConcurrentHashMap<String, byte[]> m = new ConcurrentHashMap<>();
        return new TileCache() {
            @Override
            public Optional<byte[]> get(String path) {
                return Optional.ofNullable(m.get(path)).map(byte[]::clone);
            }

            @Override
            public void put(String path, byte[] data) {
                m.put(path, data.clone());
            }
        };
    }
}
