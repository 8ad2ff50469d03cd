package dev.granary.core.snapshot;

import dev.granary.core.sumdb.SumdbClient;
import dev.granary.core.sumdb.SumdbFetcher;
import dev.granary.core.sumdb.TileCache;
import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.Tile;
import dev.granary.core.sumdb.tlog.TileHashReader;
import dev.granary.core.sumdb.tlog.TileReader;
import dev.granary.core.sumdb.tlog.Tlog;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.core.sumdb.tlog.Tree;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Collects the checksum-database tiles a snapshot ships: those that prove each record's inclusion in
 * the pinned tree, and those that prove an earlier snapshot's tree a prefix of it.
 *
 * <h2>Implementation notes</h2>
 * The tiles are <em>recorded</em>, not computed: each proof is run through {@link TileHashReader} (the
 * port of golang.org/x/mod/sumdb/tlog's reader that the go command's client uses) with a
 * {@link TileReader} that notes every tile it is asked for. The go command, verifying a lookup against
 * the same tree head, plans its reads with the same algorithm, so it asks for exactly these tiles:
 * the tree's right-edge tiles at the pinned widths (partial tiles such as {@code tile/8/0/x123/456.p/7})
 * and the full tiles on each record's path up to them. Recording also proves every tile before it is
 * shipped (the reader authenticates them against the signed root hash), whereas computing the set
 * from stored-hash indexes would duplicate the reader's planning and check nothing. A record's tiles
 * depend only on its leaf index, so records are proven one at a time and memory stays bounded: tile
 * data goes to a staging directory as it is authenticated, with a small cache in front.
 *
 * <p>Tiles come from storage first ({@code sumdb/<name>/tile/...}, authenticated when stored), then,
 * unless offline, from the database; authenticated tiles fetched from the database are stored too.
 */
final class ProofTiles implements TileReader {
    private static final int HOT = 256;

    private final TileCache stored;
    private final SumdbFetcher fetcher;
    private final Path dir;
    private final Map<String, Path> shipped = new TreeMap<>();
    private final Map<String, byte[]> recent = new LinkedHashMap<>(HOT, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> e) {
            return size() > HOT;
        }
    };
    private final Set<String> fromStorage = new HashSet<>();

    /**
     * @param stored  authenticated tiles in storage
     * @param fetcher the database, or null when exporting offline
     * @param dir     where shipped tiles are staged
     */
    ProofTiles(TileCache stored, SumdbFetcher fetcher, Path dir) {
        this.stored = stored;
        this.fetcher = fetcher;
        this.dir = dir;
    }

    /** Proves that the record with leaf index {@code id} and text {@code text} is in {@code tree}. */
    void proveRecord(Tree tree, long id, byte[] text) throws IOException, TlogException {
        Hash leaf = new TileHashReader(tree, this)
                .readHashes(new long[] {Tlog.storedHashIndex(0, id)})
                .get(0);
        if (!leaf.equals(Tlog.recordHash(text))) {
            throw new TlogException("record " + id + " is not the one tree#" + tree.n() + " holds at that index");
        }
    }

    /** Proves that {@code older} is a prefix of {@code newer} (golang.org/x/mod/sumdb: checkTrees). */
    void proveConsistency(Tree older, Tree newer) throws IOException, TlogException {
        if (older.n() == 0) {
            return;
        }
        Hash h = Tlog.treeHash(older.n(), new TileHashReader(newer, this));
        if (!h.equals(older.hash())) {
            throw new TlogException(
                    "SECURITY ERROR: tree#" + older.n() + " (" + older.hash() + ") is not a prefix of tree#" + newer.n()
                            + ", which implies " + h + " for it: the checksum database forked");
        }
    }

    /** Every tile to ship, by path ({@code tile/8/...}), with its staged data. */
    Map<String, Path> tiles() {
        return shipped;
    }

    @Override
    public int height() {
        return SumdbClient.TILE_HEIGHT;
    }

    @Override
    public List<byte[]> readTiles(List<Tile> tiles) throws IOException {
        List<byte[]> out = new ArrayList<>(tiles.size());
        for (Tile t : tiles) {
            out.add(read(t));
        }
        return out;
    }

    private byte[] read(Tile t) throws IOException {
        String path = t.path();
        int want = t.w() * Hash.SIZE;
        byte[] hot = recent.get(path);
        if (hot != null) {
            return hot;
        }
        Path staged = shipped.get(path);
        if (staged != null) {
            return remember(path, Files.readAllBytes(staged));
        }
        Optional<byte[]> s = stored.get(path);
        if (s.isPresent() && s.get().length == want) {
            fromStorage.add(path);
            return s.get();
        }
        if (!t.isFull()) {
            Optional<byte[]> full = stored.get(t.full().path());
            if (full.isPresent() && full.get().length == t.full().w() * Hash.SIZE) {
                return Arrays.copyOf(full.get(), want);
            }
        }
        if (fetcher == null) {
            throw new IOException("tile " + path
                    + " is not stored here; export without --offline to fetch it from the checksum database");
        }
        try {
            return fetcher.fetch(path);
        } catch (FileNotFoundException | NoSuchFileException e) {
            if (t.isFull()) {
                throw e;
            }
            // The database may have dropped a partial tile once the tile filled up: use the full tile's prefix.
            byte[] f = fetcher.fetch(t.full().path());
            return f.length >= want ? Arrays.copyOf(f, want) : f;
        }
    }

    private byte[] remember(String path, byte[] data) {
        recent.put(path, data);
        return data;
    }

    @Override
    public void saveTiles(List<Tile> tiles, List<byte[]> data) {
        for (int i = 0; i < tiles.size(); i++) {
            String path = tiles.get(i).path();
            if (shipped.containsKey(path)) {
                continue;
            }
            try {
                Path f = dir.resolve("t" + shipped.size());
                Files.write(f, data.get(i));
                shipped.put(path, f);
                remember(path, data.get(i));
                if (!fromStorage.remove(path)) {
                    stored.put(path, data.get(i));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("staging tile " + path + ": " + e.getMessage(), e);
            }
        }
    }
}
