package dev.granary.core.sumdb.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Ported from golang.org/x/mod/sumdb/tlog/tile_test.go (current upstream). */
class TileTest {

    /** A tree of height-h tiles that serves its own tiles and checks what gets saved. */
    static final class TestTree implements TileReader {
        final int h;
        long n;
        final List<Hash> hashes = new ArrayList<>();

        TestTree(int h) {
            this.h = h;
        }

        void add(byte[] data) throws Exception {
            hashes.addAll(Tlog.storedHashes(n, data, HashReader.of(hashes)));
            n++;
        }

        Tree tree() throws Exception {
            return new Tree(n, Tlog.treeHash(n, HashReader.of(hashes)));
        }

        @Override
        public int height() {
            return h;
        }

        @Override
        public List<byte[]> readTiles(List<Tile> tiles) {
            List<byte[]> out = new ArrayList<>();
            for (Tile t : tiles) {
                try {
                    out.add(Tile.readTileData(t, HashReader.of(hashes)));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            return out;
        }

        @Override
        public void saveTiles(List<Tile> tiles, List<byte[]> data) {
            assertThat(data).hasSameSizeAs(tiles);
            for (int i = 0; i < tiles.size(); i++) {
                assertThat(data.get(i))
                        .as("saved %s", tiles.get(i).path())
                        .isEqualTo(readTiles(List.of(tiles.get(i))).get(0));
            }
        }
    }

    /**
     * Serves the same tiles except that the hash at {@code index} is zeroed (or, for a hash not in
     * the bottom row of its tile, the bottom-row hashes it is computed from).
     */
    static TileReader zeroIndex(TileReader tr, long index) {
        return new TileReader() {
            @Override
            public int height() {
                return tr.height();
            }

            @Override
            public List<byte[]> readTiles(List<Tile> tiles) throws IOException {
                List<byte[]> data = new ArrayList<>(tr.readTiles(tiles));
                Tile.Location loc = Tile.locate(height(), index);
                Tile t = loc.tile();
                for (int i = 0; i < tiles.size(); i++) {
                    Tile tile = tiles.get(i);
                    if (tile.h() == t.h()
                            && tile.l() == t.l()
                            && tile.n() == t.n()
                            && loc.end() <= data.get(i).length) {
                        byte[] d = data.get(i).clone();
                        Arrays.fill(d, loc.start(), loc.end(), (byte) 0);
                        data.set(i, d);
                    }
                }
                return data;
            }

            @Override
            public void saveTiles(List<Tile> tiles, List<byte[]> data) {
                throw new AssertionError("tampered tiles must not be saved");
            }
        };
    }

    @Test
    void tileHashReaderReadsEveryHashAndRejectsEveryTamperedTile() throws Exception {
        TestTree tt = new TestTree(2);
        for (int k = 0; k < 100; k++) {
            tt.add(("leaf " + tt.n).getBytes(StandardCharsets.UTF_8));
            Tree tree = tt.tree();
            TileHashReader th = new TileHashReader(tree, tt);
            long count = Tlog.storedHashIndex(0, tt.n);
            long[] all = new long[(int) count];
            for (int i = 0; i < count; i++) {
                all[i] = i;
                assertThat(th.readHashes(new long[] {i})).containsExactly(tt.hashes.get(i));
            }
            assertThat(th.readHashes(all)).isEqualTo(tt.hashes.subList(0, (int) count));

            for (int i = 0; i < count; i++) {
                long idx = i;
                TileHashReader thz = new TileHashReader(tree, zeroIndex(tt, i));
                assertThatThrownBy(() -> thz.readHashes(new long[] {idx}))
                        .as("N=%d tampered=%d", tt.n, i)
                        .isInstanceOf(TlogException.class);
                assertThatThrownBy(() -> thz.readHashes(all))
                        .as("N=%d tampered=%d all", tt.n, i)
                        .isInstanceOf(TlogException.class);
            }
        }
    }

    @Test
    void tilesForTheWrongTreeAreRejected() throws Exception {
        TestTree tt = new TestTree(2);
        for (int k = 0; k < 10; k++) {
            tt.add(("leaf " + k).getBytes(StandardCharsets.UTF_8));
        }
        Tree real = tt.tree();
        TileHashReader wrongSize = new TileHashReader(new Tree(9, real.hash()), tt);
        assertThatThrownBy(() -> wrongSize.readHashes(new long[] {0})).isInstanceOf(TlogException.class);
        TileHashReader wrongRoot = new TileHashReader(new Tree(10, real.hash().flip(3, 0x40)), tt);
        assertThatThrownBy(() -> wrongRoot.readHashes(new long[] {0})).isInstanceOf(TlogException.class);
    }

    @ParameterizedTest
    @CsvSource({
        "1, 1, 0",
        "100, 101, 1",
        "1023, 1025, 3",
        "1024, 1030, 1",
        "1030, 2000, 1",
        "1030, 10000, 10",
        "49516517, 49516586, 3",
    })
    void newTilesForSize(long oldSize, long newSize, int want) {
        assertThat(Tile.newTiles(10, oldSize, newSize)).hasSize(want);
    }

    @Test
    void hashFromTileRefusesTheWrongTile() throws Exception {
        TestTree tt = new TestTree(2);
        for (int k = 0; k < 8; k++) {
            tt.add(("leaf " + k).getBytes(StandardCharsets.UTF_8));
        }
        Tile t0 = new Tile(2, 0, 0, 4);
        byte[] d = tt.readTiles(List.of(t0)).get(0);
        assertThat(Tile.hashFromTile(t0, d, 0)).isEqualTo(tt.hashes.get(0));
        assertThatThrownBy(() -> Tile.hashFromTile(t0, d, Tlog.storedHashIndex(0, 5)))
                .hasMessageContaining("is in tile/2/0/001");
        assertThatThrownBy(() -> Tile.hashFromTile(t0, Arrays.copyOf(d, 64), 0)).hasMessageContaining("too short");
        assertThatThrownBy(() -> Tile.hashFromTile(new Tile(2, -1, 0, 4), d, 0)).hasMessageContaining("invalid tile");
    }
}
