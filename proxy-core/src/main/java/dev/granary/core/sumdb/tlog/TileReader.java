package dev.granary.core.sumdb.tlog;

import java.io.IOException;
import java.util.List;

/**
 * Reads tiles of a log, typically from a cache or a remote tile server.
 * golang.org/x/mod/sumdb/tlog: TileReader.
 */
public interface TileReader {

    /** The height of the tiles this reader serves (8 for the Go checksum database). */
    int height();

    /**
     * Returns the data of each tile, in order; each entry must be exactly {@code tile.w() * 32}
     * bytes. Data read from a server is unverified: keep it out of persistent caches until
     * {@link #saveTiles} confirms it.
     */
    List<byte[]> readTiles(List<Tile> tiles) throws IOException;

    /** Reports that the data returned for these tiles has been authenticated and may be persisted. */
    void saveTiles(List<Tile> tiles, List<byte[]> data);
}
