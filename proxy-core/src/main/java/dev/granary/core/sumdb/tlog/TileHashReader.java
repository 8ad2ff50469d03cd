package dev.granary.core.sumdb.tlog;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link HashReader} that reads hashes of a given signed tree from tiles and authenticates every
 * tile it uses against the tree's root hash before answering: any hash it returns is proven to be
 * in that tree. golang.org/x/mod/sumdb/tlog: TileHashReader.
 *
 * <p>How: the tiles holding the hashes of the tree's maximal complete subtrees (the "stx" tiles,
 * from {@code subTreeIndex(0, N)}) must hash to the root; every other tile needed is a full tile
 * authenticated by the matching hash in its parent tile, parents being fetched (and checked)
 * first. Unlike x/mod v0.7.0, this port counts the stx tiles after de-duplication, so a tile added
 * for a requested index is never mistaken for an already-authenticated root tile (the upstream
 * fix tested by {@code TestTileHashReader}'s tampered cases).
 */
public final class TileHashReader implements HashReader {

    private final Tree tree;
    private final TileReader tr;

    public TileHashReader(Tree tree, TileReader tr) {
        this.tree = tree;
        this.tr = tr;
    }

    /** The tree this reader authenticates against. */
    public Tree tree() {
        return tree;
    }

    // golang.org/x/mod/sumdb/tlog: tileParent — t's k'th parent tile in a tree of size n, or null.
    static Tile tileParent(Tile t, int k, long n) {
        int h = t.h();
        int l = t.l() + k;
        long tn = t.n() >> (k * h);
        int w = 1 << h;
        long max = n >> (l * h);
        if ((tn << h) + w >= max) {
            if ((tn << h) >= max) {
                return null;
            }
            w = (int) (max - (tn << h));
        }
        return new Tile(h, l, tn, w);
    }

    @Override
    public List<Hash> readHashes(long[] indexes) throws IOException, TlogException {
        int h = tr.height();
        Map<Tile, Integer> tileOrder = new HashMap<>();
        List<Tile> tiles = new ArrayList<>();

        // Tiles needed to recompute the root hash; if it matches, they are authentic.
        Tlog.LongList stxList = new Tlog.LongList();
        Tlog.subTreeIndex(0, tree.n(), stxList);
        long[] stx = stxList.toArray();
        int[] stxTileOrder = new int[stx.length];
        for (int i = 0; i < stx.length; i++) {
            Tile tile = tileParent(Tile.tileForIndex(h, stx[i]), 0, tree.n());
            Integer j = tileOrder.get(tile);
            if (j == null) {
                j = tiles.size();
                tileOrder.put(tile, j);
                tiles.add(tile);
            }
            stxTileOrder[i] = j;
        }
        int numStxTiles = tiles.size();

        // Tiles holding the requested indexes, plus any parents needed to authenticate them.
        int[] indexTileOrder = new int[indexes.length];
        long limit = Tlog.storedHashIndex(0, tree.n());
        for (int i = 0; i < indexes.length; i++) {
            long x = indexes[i];
            if (x < 0 || x >= limit) {
                throw new TlogException("index " + x + " not in tree of size " + tree.n());
            }
            Tile tile = Tile.tileForIndex(h, x);
            // Walk up until a tile already planned (hence authenticated before its children).
            int k = 0;
            while (true) {
                Tile p = tileParent(tile, k, tree.n());
                if (p == null) {
                    throw new IllegalStateException("bad math in TileHashReader: no planned ancestor of " + tile);
                }
                Integer j = tileOrder.get(p);
                if (j != null) {
                    if (k == 0) {
                        indexTileOrder[i] = j;
                    }
                    break;
                }
                k++;
            }
            // Walk back down, adding children after their parents.
            for (k--; k >= 0; k--) {
                Tile p = tileParent(tile, k, tree.n());
                if (!p.isFull()) {
                    // A tile with a parent tile must be full.
                    throw new IllegalStateException("bad math in TileHashReader: " + tree.n() + " " + x + " " + p);
                }
                tileOrder.put(p, tiles.size());
                if (k == 0) {
                    indexTileOrder[i] = tiles.size();
                }
                tiles.add(p);
            }
        }

        List<byte[]> data = tr.readTiles(List.copyOf(tiles));
        if (data.size() != tiles.size()) {
            throw new TlogException("tile reader returned " + data.size() + " tiles, want " + tiles.size());
        }
        for (int i = 0; i < tiles.size(); i++) {
            if (data.get(i) == null || data.get(i).length != tiles.get(i).w() * Hash.SIZE) {
                throw new TlogException("tile reader returned bad data for "
                        + tiles.get(i).path() + " (len=" + (data.get(i) == null ? "null" : data.get(i).length)
                        + ", want " + tiles.get(i).w() * Hash.SIZE + ")");
            }
        }

        // Authenticate the root tiles against the tree hash.
        int last = stx.length - 1;
        Hash th = Tile.hashFromTile(tiles.get(stxTileOrder[last]), data.get(stxTileOrder[last]), stx[last]);
        for (int i = last - 1; i >= 0; i--) {
            Hash sh = Tile.hashFromTile(tiles.get(stxTileOrder[i]), data.get(stxTileOrder[i]), stx[i]);
            th = Tlog.nodeHash(sh, th);
        }
        if (!th.equals(tree.hash())) {
            throw new TlogException("downloaded inconsistent tile (tiles do not hash to the tree root)");
        }
        // Authenticate every other tile against its (already authenticated) parent.
        for (int i = numStxTiles; i < tiles.size(); i++) {
            Tile tile = tiles.get(i);
            Tile p = tileParent(tile, 1, tree.n());
            Integer j = p == null ? null : tileOrder.get(p);
            if (j == null || j >= i) {
                throw new IllegalStateException("bad math in TileHashReader: lost parent of " + tile);
            }
            Hash ph = Tile.hashFromTile(p, data.get(j), Tlog.storedHashIndex(p.l() * p.h(), tile.n()));
            byte[] d = data.get(i);
            if (!ph.equals(Tile.tileHash(d, 0, d.length))) {
                throw new TlogException("downloaded inconsistent tile " + tile.path());
            }
        }

        tr.saveTiles(List.copyOf(tiles), List.copyOf(data));

        List<Hash> out = new ArrayList<>(indexes.length);
        for (int i = 0; i < indexes.length; i++) {
            int j = indexTileOrder[i];
            out.add(Tile.hashFromTile(tiles.get(j), data.get(j), indexes[i]));
        }
        return out;
    }
}
