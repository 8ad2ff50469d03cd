package dev.granary.core.sumdb.tlog;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A tile of the log: {@code w} consecutive hashes at tree level {@code h*l}, starting at offset
 * {@code n * 2^h} of that level. A full tile has {@code 2^h} hashes; a partial one fewer. Level
 * {@code l = -1} is a data tile (the records themselves). The Go checksum database serves tiles of
 * height 8 at {@code tile/H/L/NNN[.p/W]} (golang.org/x/mod/sumdb/tlog: Tile; see also
 * research.swtch.com/tlog#tiling_a_log). Tile data is the concatenation of {@code w} hashes.
 *
 * @param h height, 1..30
 * @param l level in the tiling, -1 (data) .. 63
 * @param n number within the level, &ge; 0
 * @param w width, 1..2^h
 */
public record Tile(int h, int l, long n, int w) {

    // To keep directories small, N is written three digits per path element: 1234067 -> x001/x234/067.
    private static final int PATH_BASE = 1000;

    /** True if this tile lists all {@code 2^h} hashes. */
    public boolean isFull() {
        return w == 1 << h;
    }

    /** This tile at full width. */
    public Tile full() {
        return new Tile(h, l, n, 1 << h);
    }

    /**
     * The tile coordinate path, e.g. {@code tile/8/0/x001/x234/067.p/5} or {@code tile/8/data/000}.
     * golang.org/x/mod/sumdb/tlog: Tile.Path.
     */
    public String path() {
        long x = n;
        StringBuilder nStr = new StringBuilder(String.format("%03d", x % PATH_BASE));
        while (x >= PATH_BASE) {
            x /= PATH_BASE;
            nStr.insert(0, String.format("x%03d/", x % PATH_BASE));
        }
        String p = w != 1 << h ? ".p/" + w : "";
        String level = l == -1 ? "data" : Integer.toString(l);
        return "tile/" + h + "/" + level + "/" + nStr + p;
    }

    /**
     * Parses a tile coordinate path; only the canonical form {@link #path()} produces is accepted.
     * golang.org/x/mod/sumdb/tlog: ParseTilePath.
     *
     * @throws TlogException if the path is malformed
     */
    public static Tile parseTilePath(String path) throws TlogException {
        TlogException bad = new TlogException("malformed tile path \"" + path + "\"");
        String[] f = path.split("/", -1);
        if (f.length < 4 || !f[0].equals("tile")) {
            throw bad;
        }
        try {
            int h = Integer.parseInt(f[1]);
            boolean isData = f[2].equals("data");
            int l = isData ? 0 : Integer.parseInt(f[2]);
            if (h < 1 || l < 0 || h > 30) {
                throw bad;
            }
            int w = 1 << h;
            int end = f.length;
            String last = f[end - 1];
            if (f[end - 2].endsWith(".p")) {
                int ww = Integer.parseInt(last);
                if (ww <= 0 || ww >= w) {
                    throw bad;
                }
                w = ww;
                f[end - 2] = f[end - 2].substring(0, f[end - 2].length() - 2);
                end--;
            }
            long num = 0;
            for (int i = 3; i < end; i++) {
                String s = f[i].startsWith("x") ? f[i].substring(1) : f[i];
                int nn = Integer.parseInt(s);
                if (nn < 0 || nn >= PATH_BASE) {
                    throw bad;
                }
                num = num * PATH_BASE + nn;
            }
            Tile t = new Tile(h, isData ? -1 : l, num, w);
            if (!path.equals(t.path())) {
                throw bad;
            }
            return t;
        } catch (NumberFormatException e) {
            throw bad;
        }
    }

    /**
     * The tile of height {@code h} and least width that stores the given stored hash index.
     * golang.org/x/mod/sumdb/tlog: TileForIndex.
     */
    public static Tile tileForIndex(int h, long index) {
        if (h <= 0) {
            throw new IllegalArgumentException("tileForIndex: invalid height " + h);
        }
        return locate(h, index).tile;
    }

    /** A tile plus the byte range of its data whose tile hash is the wanted hash. */
    record Location(Tile tile, int start, int end) {}

    // golang.org/x/mod/sumdb/tlog: tileForIndex.
    static Location locate(int h, long index) {
        Tlog.Node node = Tlog.splitStoredHashIndex(index);
        int level = node.level();
        long n = node.n();
        int tl = level / h;
        level -= tl * h; // level within the tile
        long tn = (n << level) >> h;
        n -= (tn << h) >> level; // n within the tile, at that level
        int tw = (int) ((n + 1) << level);
        return new Location(
                new Tile(h, tl, tn, tw), (int) (n << level) * Hash.SIZE, (int) ((n + 1) << level) * Hash.SIZE);
    }

    /**
     * The hash at stored index {@code index}, computed from the data of tile {@code t}, which must
     * be {@code tileForIndex(t.h(), index)} or a wider version of it.
     * golang.org/x/mod/sumdb/tlog: HashFromTile.
     *
     * @throws TlogException if the tile is invalid, the data too short, or the index not in the tile
     */
    public static Hash hashFromTile(Tile t, byte[] data, long index) throws TlogException {
        if (t.h < 1 || t.h > 30 || t.l < 0 || t.l >= 64 || t.w < 1 || t.w > 1 << t.h) {
            throw new TlogException("invalid tile " + t.path());
        }
        if (data.length < t.w * Hash.SIZE) {
            throw new TlogException("data len " + data.length + " too short for tile " + t.path());
        }
        Location loc = locate(t.h, index);
        if (t.l != loc.tile.l || t.n != loc.tile.n || t.w < loc.tile.w) {
            throw new TlogException("index " + index + " is in " + loc.tile.path() + " not " + t.path());
        }
        return tileHash(data, loc.start, loc.end);
    }

    // The subtree hash of the 2^k hashes in data[start, end).
    static Hash tileHash(byte[] data, int start, int end) {
        if (end - start <= 0) {
            throw new IllegalStateException("bad math in tileHash");
        }
        if (end - start == Hash.SIZE) {
            return Hash.of(data, start);
        }
        int mid = start + (end - start) / 2;
        return Tlog.nodeHash(tileHash(data, start, mid), tileHash(data, mid, end));
    }

    /**
     * The tiles of height {@code h} to publish when the tree grows from {@code oldTreeSize} to
     * {@code newTreeSize}: the new full tiles and, per level, only the widest new partial tile.
     * golang.org/x/mod/sumdb/tlog: NewTiles (current upstream behaviour; v0.7.0 listed every width).
     */
    public static List<Tile> newTiles(int h, long oldTreeSize, long newTreeSize) {
        if (h <= 0) {
            throw new IllegalArgumentException("newTiles: invalid height " + h);
        }
        List<Tile> tiles = new ArrayList<>();
        for (int level = 0; level < 64 && (newTreeSize >> (h * level)) > 0; level++) {
            long oldN = oldTreeSize >> (h * level);
            long newN = newTreeSize >> (h * level);
            if (oldN == newN) {
                continue;
            }
            for (long n = oldN >> h; n < newN >> h; n++) {
                tiles.add(new Tile(h, level, n, 1 << h));
            }
            long n = newN >> h;
            int w = (int) (newN - (n << h));
            if (w > 0) {
                tiles.add(new Tile(h, level, n, w));
            }
        }
        return tiles;
    }

    /**
     * Reads tile {@code t}'s hashes from {@code r} and returns its data.
     * golang.org/x/mod/sumdb/tlog: ReadTileData.
     */
    public static byte[] readTileData(Tile t, HashReader r) throws IOException, TlogException {
        int size = t.w == 0 ? 1 << t.h : t.w;
        long start = t.n << t.h;
        long[] indexes = new long[size];
        for (int i = 0; i < size; i++) {
            indexes[i] = Tlog.storedHashIndex(t.h * t.l, start + i);
        }
        List<Hash> hashes = r.readHashes(indexes);
        if (hashes.size() != size) {
            throw new TlogException("tlog: readHashes(" + size + " indexes) = " + hashes.size() + " hashes");
        }
        byte[] data = new byte[size * Hash.SIZE];
        for (int i = 0; i < size; i++) {
            hashes.get(i).copyTo(data, i * Hash.SIZE);
        }
        return data;
    }
}
