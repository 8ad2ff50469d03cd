package dev.granary.bench;

import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.HashReader;
import dev.granary.core.sumdb.tlog.Tile;
import dev.granary.core.sumdb.tlog.TileHashReader;
import dev.granary.core.sumdb.tlog.TileReader;
import dev.granary.core.sumdb.tlog.Tlog;
import dev.granary.core.sumdb.tlog.TlogException;
import dev.granary.core.sumdb.tlog.Tree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Checksum-database inclusion proofs on an in-memory log of {@value #RECORDS} go.sum records: every module
 * version fetched under GOSUMDB has its lookup record proven against a signed tree head before it is cached.
 *
 * <p>Records are proven in a fixed pseudo-random order (1,024 picks, cycled), so the tiles and hashes used
 * vary like independent lookups do.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TlogBench {

    static final int RECORDS = 100_000;
    /** The tile height of the Go checksum database (sum.golang.org serves /tile/8/...). */
    static final int TILE_HEIGHT = 8;

    private static final int PICKS = 1024;

    private byte[][] records;
    private HashReader hashes;
    private Tree tree;
    private TileReader tiles;
    private long[] picks;
    private List<List<Hash>> proofs;
    private int cursor;

    @Setup
    public void setup() throws IOException, TlogException {
        records = new byte[RECORDS][];
        List<Hash> stored = new ArrayList<>((int) Tlog.storedHashCount(RECORDS));
        HashReader reader = HashReader.of(stored);
        for (int n = 0; n < RECORDS; n++) {
            records[n] = record(n);
            stored.addAll(Tlog.storedHashes(n, records[n], reader));
        }
        hashes = reader;
        tree = new Tree(RECORDS, Tlog.treeHash(RECORDS, reader));
        tiles = new MemoryTiles(TILE_HEIGHT, reader, Tile.newTiles(TILE_HEIGHT, 0, RECORDS));

        SplittableRandom rnd = new SplittableRandom(1);
        picks = new long[PICKS];
        proofs = new ArrayList<>(PICKS);
        for (int i = 0; i < PICKS; i++) {
            picks[i] = rnd.nextLong(RECORDS);
            proofs.add(Tlog.proveRecord(RECORDS, picks[i], reader));
            Tlog.checkRecord(proofs.get(i), RECORDS, tree.hash(), picks[i], Tlog.recordHash(records[(int) picks[i]]));
        }
        System.out.printf(
                "%ntree: %d records, %d stored hashes, proofs of %d hashes%n",
                RECORDS, stored.size(), proofs.get(0).size());
    }

    // Tlog.checkRecord of a precomputed proof (record hash + 17 node hashes): the client's cost of trusting a lookup.
    @Benchmark
    public long checkRecord() throws TlogException {
        int i = cursor++ & (PICKS - 1);
        long n = picks[i];
        Tlog.checkRecord(proofs.get(i), RECORDS, tree.hash(), n, Tlog.recordHash(records[(int) n]));
        return n;
    }

    // Tlog.proveRecord from stored hashes then checkRecord: proof building as a database server does it.
    @Benchmark
    public List<Hash> proveAndCheckRecord() throws IOException, TlogException {
        long n = picks[cursor++ & (PICKS - 1)];
        List<Hash> proof = Tlog.proveRecord(RECORDS, n, hashes);
        Tlog.checkRecord(proof, RECORDS, tree.hash(), n, Tlog.recordHash(records[(int) n]));
        return proof;
    }

    // The proxy's real path: a fresh TileHashReader authenticates the height-8 tiles against the tree head
    // (hashing whole tiles up to the root), then proveRecord + checkRecord. Tiles come from memory, no I/O.
    @Benchmark
    public List<Hash> proveAndCheckRecordFromTiles() throws IOException, TlogException {
        long n = picks[cursor++ & (PICKS - 1)];
        List<Hash> proof = Tlog.proveRecord(RECORDS, n, new TileHashReader(tree, tiles));
        Tlog.checkRecord(proof, RECORDS, tree.hash(), n, Tlog.recordHash(records[(int) n]));
        return proof;
    }

    /** A lookup record as sum.golang.org stores it: the two go.sum lines of one module version. */
    static byte[] record(int n) {
        String mv = "example.com/mod" + (n / 7) + " v1." + (n % 7) + ".0";
        String h = String.format("%043d=", n); // 44 characters, like a base64 SHA-256
        return (mv + " h1:" + h + "\n" + mv + "/go.mod h1:" + h + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Tiles served from memory, built from the stored hashes (like a warm tile cache). */
    private static final class MemoryTiles implements TileReader {
        private final int height;
        private final HashReader hashes;
        private final Map<Tile, byte[]> data = new ConcurrentHashMap<>();

        MemoryTiles(int height, HashReader hashes, List<Tile> published) throws IOException, TlogException {
            this.height = height;
            this.hashes = hashes;
            for (Tile t : published) {
                data.put(t, Tile.readTileData(t, hashes));
            }
        }

        @Override
        public int height() {
            return height;
        }

        @Override
        public List<byte[]> readTiles(List<Tile> wanted) {
            List<byte[]> out = new ArrayList<>(wanted.size());
            for (Tile t : wanted) {
                out.add(data.computeIfAbsent(t, this::build));
            }
            return out;
        }

        private byte[] build(Tile t) {
            try {
                return Tile.readTileData(t, hashes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (TlogException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void saveTiles(List<Tile> saved, List<byte[]> content) {
            // Already in memory: nothing to persist.
        }
    }
}
