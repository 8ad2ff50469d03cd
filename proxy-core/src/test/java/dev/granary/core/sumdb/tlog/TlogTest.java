package dev.granary.core.sumdb.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Ported from golang.org/x/mod/sumdb/tlog/tlog_test.go (vectors and checks; the code is ours). */
class TlogTest {

    /** Stored hashes in a list; insists that readers ask in increasing order, as Go's test does. */
    static HashReader strictReader(List<Hash> storage) {
        return indexes -> {
            for (int i = 1; i < indexes.length; i++) {
                if (indexes[i - 1] >= indexes[i]) {
                    throw new AssertionError("indexes out of order");
                }
            }
            List<Hash> out = new ArrayList<>();
            for (long x : indexes) {
                out.add(storage.get((int) x));
            }
            return out;
        };
    }

    /** Serves tiles from a map and counts tiles read but not yet confirmed by saveTiles. */
    static final class MapTiles implements TileReader {
        final Map<Tile, byte[]> m;
        int unsaved;

        MapTiles(Map<Tile, byte[]> m) {
            this.m = m;
        }

        @Override
        public int height() {
            return 2;
        }

        @Override
        public List<byte[]> readTiles(List<Tile> tiles) {
            List<byte[]> out = new ArrayList<>();
            for (Tile t : tiles) {
                out.add(m.get(t));
            }
            unsaved += tiles.size();
            return out;
        }

        @Override
        public void saveTiles(List<Tile> tiles, List<byte[]> data) {
            unsaved -= tiles.size();
        }
    }

    static byte[] leaf(long i) {
        return ("leaf " + i).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void tree() throws Exception {
        List<Hash> trees = new ArrayList<>();
        List<Hash> leafHashes = new ArrayList<>();
        List<Hash> storage = new ArrayList<>();
        Map<Tile, byte[]> tiles = new HashMap<>();
        final int testH = 2;
        HashReader sr = strictReader(storage);
        for (long i = 0; i < 100; i++) {
            byte[] data = leaf(i);
            List<Hash> hashes = Tlog.storedHashes(i, data, sr);
            leafHashes.add(Tlog.recordHash(data));
            int oldStorage = storage.size();
            storage.addAll(hashes);
            assertThat(Tlog.storedHashCount(i + 1)).isEqualTo(storage.size());
            Hash th = Tlog.treeHash(i + 1, sr);

            for (Tile tile : Tile.newTiles(testH, i, i + 1)) {
                byte[] td = Tile.readTileData(tile, sr);
                Tile old = new Tile(tile.h(), tile.l(), tile.n(), tile.w() - 1);
                byte[] oldData = tiles.getOrDefault(old, new byte[0]);
                assertThat(oldData.length)
                        .as("tile %s extends %s", tile.path(), old.path())
                        .isEqualTo(td.length - Hash.SIZE);
                assertThat(Arrays.copyOf(td, oldData.length)).isEqualTo(oldData);
                tiles.put(tile, td);
            }
            for (Tile tile : Tile.newTiles(testH, 0, i + 1)) {
                assertThat(tiles.get(tile)).as("%s", tile).isEqualTo(Tile.readTileData(tile, sr));
            }
            for (Tile tile : Tile.newTiles(testH, i / 2, i + 1)) {
                assertThat(tiles.get(tile)).as("%s", tile).isEqualTo(Tile.readTileData(tile, sr));
            }

            // All new hashes are readable from their tiles.
            for (int j = oldStorage; j < storage.size(); j++) {
                Tile tile = Tile.tileForIndex(testH, j);
                byte[] td = tiles.get(tile);
                assertThat(td)
                        .as("tileForIndex(%d, %d) = %s stored", testH, j, tile.path())
                        .isNotNull();
                assertThat(Tile.hashFromTile(tile, td, j)).isEqualTo(storage.get(j));
            }
            trees.add(th);

            // Record proofs work for all trees and leaves so far, and no corrupted one does.
            for (long j = 0; j <= i; j++) {
                List<Hash> p = Tlog.proveRecord(i + 1, j, sr);
                Tlog.checkRecord(p, i + 1, th, j, leafHashes.get((int) j));
                for (int k = 0; k < p.size(); k++) {
                    List<Hash> bad = new ArrayList<>(p);
                    bad.set(k, p.get(k).flip(0, 1));
                    long jj = j;
                    long size = i + 1;
                    assertThatThrownBy(() -> Tlog.checkRecord(bad, size, th, jj, leafHashes.get((int) jj)))
                            .as("corrupt proof hash #%d", k)
                            .isInstanceOf(TlogException.class);
                }
            }

            // Via tiles: reading the (verified) leaf hash is the proof.
            MapTiles ts = new MapTiles(tiles);
            TileHashReader thr = new TileHashReader(new Tree(i + 1, th), ts);
            for (long j = 0; j <= i; j++) {
                List<Hash> h = thr.readHashes(new long[] {Tlog.storedHashIndex(0, j)});
                assertThat(h.get(0)).isEqualTo(leafHashes.get((int) j));
                List<Hash> p = Tlog.proveRecord(i + 1, j, thr);
                Tlog.checkRecord(p, i + 1, th, j, leafHashes.get((int) j));
            }
            assertThat(ts.unsaved).isZero();

            // An index not in the tree is an error.
            long outside = (i + 1) * 2;
            assertThatThrownBy(() -> thr.readHashes(new long[] {outside})).isInstanceOf(TlogException.class);
            assertThat(ts.unsaved).isZero();

            // Tree proofs, via tiles, for all trees so far.
            for (long j = 0; j <= i; j++) {
                assertThat(Tlog.treeHash(j + 1, thr)).isEqualTo(trees.get((int) j));
                List<Hash> p = Tlog.proveTree(i + 1, j + 1, thr);
                Tlog.checkTree(p, i + 1, th, j + 1, trees.get((int) j));
                for (int k = 0; k < p.size(); k++) {
                    List<Hash> bad = new ArrayList<>(p);
                    bad.set(k, p.get(k).flip(0, 1));
                    long size = i + 1;
                    long old = j + 1;
                    assertThatThrownBy(() -> Tlog.checkTree(bad, size, th, old, trees.get((int) old - 1)))
                            .as("corrupt tree proof hash #%d", k)
                            .isInstanceOf(TlogException.class);
                }
            }
            assertThat(ts.unsaved).isZero();
        }
    }

    @Test
    void proofsAgainstTheWrongTreeSizeOrRootFail() throws Exception {
        List<Hash> storage = new ArrayList<>();
        for (long i = 0; i < 13; i++) {
            storage.addAll(Tlog.storedHashes(i, leaf(i), HashReader.of(storage)));
        }
        HashReader r = HashReader.of(storage);
        Hash th13 = Tlog.treeHash(13, r);
        Hash th7 = Tlog.treeHash(7, r);
        List<Hash> rp = Tlog.proveRecord(13, 5, r);
        Hash leaf5 = Tlog.recordHash(leaf(5));
        Tlog.checkRecord(rp, 13, th13, 5, leaf5);
        // A proof binds the tree size only through its shape (12 and 13 share it for leaf 5; the
        // signed tree head binds the size): a size with another shape fails.
        Tlog.checkRecord(rp, 12, th13, 5, leaf5);
        assertThatThrownBy(() -> Tlog.checkRecord(rp, 8, th13, 5, leaf5)).isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkRecord(rp, 17, th13, 5, leaf5)).isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkRecord(rp, 13, th7, 5, leaf5)).isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkRecord(rp, 13, th13, 4, leaf5)).isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkRecord(rp, 13, th13, 13, leaf5)).hasMessageContaining("invalid inputs");
        List<Hash> extra = new ArrayList<>(rp);
        extra.add(Hash.ZERO);
        assertThatThrownBy(() -> Tlog.checkRecord(extra, 13, th13, 5, leaf5)).isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkRecord(rp.subList(0, rp.size() - 1), 13, th13, 5, leaf5))
                .isInstanceOf(TlogException.class);

        List<Hash> tp = Tlog.proveTree(13, 7, r);
        Tlog.checkTree(tp, 13, th13, 7, th7);
        assertThatThrownBy(() -> Tlog.checkTree(tp, 13, th13, 6, th7)).isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkTree(tp, 17, th13, 7, th7)).isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkTree(tp, 13, th7, 7, th13)).isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkTree(tp, 13, th13, 14, th7)).hasMessageContaining("invalid inputs");
        assertThat(Tlog.treeHash(0, r)).isEqualTo(Hash.ZERO);
    }

    @Test
    void splitStoredHashIndexInvertsStoredHashIndex() {
        for (int l = 0; l < 10; l++) {
            for (long n = 0; n < 100; n++) {
                long x = Tlog.storedHashIndex(l, n);
                assertThat(Tlog.splitStoredHashIndex(x)).isEqualTo(new Tlog.Node(l, n));
            }
        }
    }

    @ParameterizedTest
    @CsvSource({
        "tile/4/0/001, 4, 0, 1, 16",
        "tile/4/0/001.p/5, 4, 0, 1, 5",
        "tile/3/5/x123/x456/078, 3, 5, 123456078, 8",
        "tile/3/5/x123/x456/078.p/2, 3, 5, 123456078, 2",
        "tile/1/0/x003/x057/500, 1, 0, 3057500, 2",
        "tile/1/data/x003/x057/500, 1, -1, 3057500, 2",
        "tile/8/0/000.p/5, 8, 0, 0, 5",
        "tile/8/data/000, 8, -1, 0, 256",
    })
    void tilePathRoundTrips(String path, int h, int l, long n, int w) throws Exception {
        Tile t = new Tile(h, l, n, w);
        assertThat(t.path()).isEqualTo(path);
        assertThat(Tile.parseTilePath(path)).isEqualTo(t);
    }

    @ParameterizedTest
    @CsvSource({
        "tile/3/5/123/456/078",
        "tile/3/-1/123/456/078",
        "tile/0/0/000",
        "tile/31/0/000",
        "tile/8/0/000.p/256",
        "tile/8/0/000.p/0",
        "tile/8/0/1000",
        "tile/8/0/x000/001",
        "tile/8/0/001.p/05",
        "tile/+8/0/001",
        "tile/8/0",
        "tiles/8/0/000",
        "tile/8/0/",
        "tile/8/x/000",
        "tile/8/0/x001",
        "tile/8/0/001.p/",
        "tile/8/0/0001",
    })
    void malformedTilePathsAreRefused(String path) {
        assertThatThrownBy(() -> Tile.parseTilePath(path))
                .isInstanceOf(TlogException.class)
                .hasMessageContaining("malformed tile path");
    }
}
