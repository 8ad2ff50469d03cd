package dev.granary.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.sumdb.SumdbFetcher;
import dev.granary.core.sumdb.TileCache;
import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.HashReader;
import dev.granary.core.sumdb.tlog.Tile;
import dev.granary.core.sumdb.tlog.TileHashReader;
import dev.granary.core.sumdb.tlog.TileReader;
import dev.granary.core.sumdb.tlog.Tlog;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.core.sumdb.tlog.Tree;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tiles a snapshot ships, against an in-memory log of 70,000 records (three tile levels): they
 * alone prove every record they were recorded for, as the go command reads them; and after an
 * incremental snapshot, the tiles of both prove the old records at the new head and the old head a
 * prefix of the new one, which is what a client holding the old head asks.
 */
class ProofTilesTest {
    private static final int SIZE = 70_000;
    private static final List<Hash> STORED = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void log() throws Exception {
        for (int i = 0; i < SIZE; i++) {
            STORED.addAll(Tlog.storedHashes(i, text(i), HashReader.of(STORED)));
        }
    }

    private static byte[] text(long i) {
        return ("example.com/m" + i + " v1.0.0 h1:x=\n").getBytes(StandardCharsets.UTF_8);
    }

    private static Tree tree(long n) throws Exception {
        return new Tree(n, Tlog.treeHash(n, HashReader.of(STORED)));
    }

    /** The database: any tile path, computed from the log. */
    private static final SumdbFetcher DATABASE = path -> {
        try {
            return Tile.readTileData(Tile.parseTilePath(path), HashReader.of(STORED));
        } catch (TlogException e) {
            throw new FileNotFoundException(path);
        }
    };

    /** A reader that has only the tiles shipped, like a go client reading an unpacked snapshot. */
    private static TileReader only(Map<String, byte[]> shipped) {
        return new TileReader() {
            @Override
            public int height() {
                return 8;
            }

            @Override
            public List<byte[]> readTiles(List<Tile> tiles) throws IOException {
                List<byte[]> out = new ArrayList<>();
                for (Tile t : tiles) {
                    byte[] d = shipped.get(t.path());
                    if (d == null) {
                        throw new FileNotFoundException("not shipped: " + t.path());
                    }
                    out.add(d);
                }
                return out;
            }

            @Override
            public void saveTiles(List<Tile> tiles, List<byte[]> data) {}
        };
    }

    private Map<String, byte[]> ship(long treeSize, long[] ids, Tree consistentWith) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "s");
        ProofTiles p = new ProofTiles(TileCache.inMemory(), DATABASE, dir);
        Tree t = tree(treeSize);
        for (long id : ids) {
            p.proveRecord(t, id, text(id));
        }
        if (consistentWith != null) {
            p.proveConsistency(consistentWith, t);
        }
        Map<String, byte[]> out = new HashMap<>();
        for (Map.Entry<String, Path> e : p.tiles().entrySet()) {
            out.put(e.getKey(), Files.readAllBytes(e.getValue()));
        }
        return out;
    }

    private static long[] ids(Random r, long from, long to, int count) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = from + (long) (r.nextDouble() * (to - from));
        }
        out[0] = to - 1; // the newest record is always among them: the right edge of the tree
        return out;
    }

    @Test
    void theShippedTilesAloneProveEveryRecordAsTheGoCommandReadsThem() throws Exception {
        long[] ids = ids(new Random(1), 0, SIZE, 40);
        Map<String, byte[]> shipped = ship(SIZE, ids, null);
        Tree t = tree(SIZE);
        for (long id : ids) {
            // One record at a time, as the go command's client checks each lookup.
            Hash leaf = new TileHashReader(t, only(shipped))
                    .readHashes(new long[] {Tlog.storedHashIndex(0, id)})
                    .get(0);
            assertThat(leaf).isEqualTo(Tlog.recordHash(text(id)));
        }
        assertThat(shipped.keySet()).anyMatch(p -> p.startsWith("tile/8/2/")).anyMatch(p -> p.contains(".p/"));
    }

    @ParameterizedTest(name = "tree#{0} then tree#{1}")
    @CsvSource({"9, 10", "255, 256", "256, 300", "1000, 65536", "40000, 70000", "65535, 65537", "65536, 69999"})
    void anIncrementalSnapshotProvesTheOldHeadAPrefixAndTheOldRecordsAtTheNewHead(long m, long n) throws Exception {
        Random r = new Random(m * 31 + n);
        long[] oldIds = ids(r, 0, m, Math.min(20, (int) m));
        long[] newIds = ids(r, m, n, Math.min(20, (int) (n - m)));
        Map<String, byte[]> union = new HashMap<>(ship(m, oldIds, null));
        union.putAll(ship(n, newIds, tree(m)));
        Tree newer = tree(n);
        // A client holding tree#m that now sees tree#n: the prefix proof,
        assertThat(Tlog.treeHash(m, new TileHashReader(newer, only(union)))).isEqualTo(tree(m).hash());
        // and the records it looks up again, old ones included, at the new head.
        for (long id : oldIds) {
            assertThat(new TileHashReader(newer, only(union))
                            .readHashes(new long[] {Tlog.storedHashIndex(0, id)})
                            .get(0))
                    .isEqualTo(Tlog.recordHash(text(id)));
        }
        for (long id : newIds) {
            assertThat(new TileHashReader(newer, only(union))
                            .readHashes(new long[] {Tlog.storedHashIndex(0, id)})
                            .get(0))
                    .isEqualTo(Tlog.recordHash(text(id)));
        }
    }

    @Test
    void aForkedHeadIsCaughtWhenExporting() throws Exception {
        Tree honest = tree(40_000);
        Tree forged = new Tree(honest.n(), honest.hash().flip(0, 1));
        ProofTiles p = new ProofTiles(TileCache.inMemory(), DATABASE, Files.createTempDirectory(tmp, "f"));
        assertThatThrownBy(() -> p.proveConsistency(forged, tree(SIZE)))
                .isInstanceOf(TlogException.class)
                .hasMessageContaining("SECURITY ERROR");
    }

    @Test
    void aRecordThatIsNotInTheTreeIsRefused() throws Exception {
        ProofTiles p = new ProofTiles(TileCache.inMemory(), DATABASE, Files.createTempDirectory(tmp, "r"));
        assertThatThrownBy(() -> p.proveRecord(tree(SIZE), 5, text(6))).isInstanceOf(TlogException.class);
    }

    @Test
    void offlineATileThatIsNotStoredIsNamed() throws Exception {
        ProofTiles p = new ProofTiles(TileCache.inMemory(), null, Files.createTempDirectory(tmp, "o"));
        assertThatThrownBy(() -> p.proveRecord(tree(SIZE), 5, text(5)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("tile/8/")
                .hasMessageContaining("--offline");
    }

    @Test
    void storedTilesAreUsedAndWhatIsFetchedIsStored() throws Exception {
        TileCache stored = TileCache.inMemory();
        int[] fetches = {0};
        SumdbFetcher counting = path -> {
            fetches[0]++;
            return DATABASE.fetch(path);
        };
        new ProofTiles(stored, counting, Files.createTempDirectory(tmp, "a"))
                .proveRecord(tree(SIZE), 12_345, text(12_345));
        int first = fetches[0];
        assertThat(first).isPositive();
        new ProofTiles(stored, counting, Files.createTempDirectory(tmp, "b"))
                .proveRecord(tree(SIZE), 12_345, text(12_345));
        assertThat(fetches[0]).as("the second export reads stored tiles only").isEqualTo(first);
    }
}
