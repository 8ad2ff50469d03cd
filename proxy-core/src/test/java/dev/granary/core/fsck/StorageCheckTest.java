package dev.granary.core.fsck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.fsck.StorageCheck.Finding;
import dev.granary.core.fsck.StorageCheck.Severity;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.sumdb.SumdbSpec;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestCommits;
import dev.granary.core.testing.TestLog;
import dev.granary.storage.BlobKey;
import dev.granary.storage.disk.DiskBlobStore;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fsck on a real disk tier: committed versions, a checksum database's stored tiles, tree head and
 * lookups; then single bits flipped on disk, as a failing disk would, must be found and repaired.
 */
class StorageCheckTest {
    private static final ModuleVersion A = ModuleVersion.of("example.com/alpha", "v1.0.0");
    private static final ModuleVersion B = ModuleVersion.of("example.com/beta", "v1.2.0");

    @TempDir
    Path tmp;

    private Path root;
    private DiskBlobStore store;
    private TestCommits commits;
    private TestLog log;

    @BeforeEach
    void storeVersionsAndTheirProofs() throws Exception {
        root = tmp.resolve("storage");
        store = new DiskBlobStore(root);
        commits = new TestCommits(store, tmp.resolve("work"));
        GoProxyTree upstream = new GoProxyTree(tmp.resolve("upstream"));
        GoSum a = commits.commit(upstream.addSimple(A.path().value(), A.version()));
        GoSum b = commits.commit(upstream.addSimple(B.path().value(), B.version()));
        // 300 records: a full level-0 tile, a partial one, and a level-1 tile above them.
        log = TestLog.store(store, "sum.test.example", List.of(a, b), 300);
    }

    private StorageCheck.Report fsck(boolean repair, List<Finding> out) throws Exception {
        StorageCheck check = new StorageCheck(
                store,
                commits.committer(),
                List.of(SumdbSpec.parse(log.verifierKey)),
                tmp.resolve("fsck-tmp"),
                Clock.systemUTC());
        return check.run(repair, out::add);
    }

    private static void flipBit(Path file, long offset) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    private Path file(BlobKey key) {
        return root.resolve(key.value());
    }

    @Test
    void aHealthyStoreHasNothingToReport() throws Exception {
        List<Finding> found = new ArrayList<>();
        StorageCheck.Report r = fsck(false, found);
        assertThat(found).isEmpty();
        assertThat(r.versions()).isEqualTo(2);
        assertThat(r.lookups()).isEqualTo(2);
        assertThat(r.tiles()).isEqualTo(log.tiles.size()).isEqualTo(3);
        assertThat(r.corrupt()).isZero();
    }

    @Test
    void aBitFlippedInAStoredZipIsFoundAndRepairQuarantinesTheVersion() throws Exception {
        Path zip = file(StorageLayout.zip(A));
        flipBit(zip, Files.size(zip) / 2);

        List<Finding> found = new ArrayList<>();
        assertThat(fsck(false, found).corrupt()).isEqualTo(1);
        assertThat(found).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.CORRUPT);
            assertThat(f.what()).isEqualTo("version");
            assertThat(f.subject()).isEqualTo(A.toString());
            assertThat(f.repaired()).isFalse();
        });
        assertThat(store.exists(StorageLayout.info(A)))
                .as("a check without repair changes nothing")
                .isTrue();

        found.clear();
        StorageCheck.Report repaired = fsck(true, found);
        assertThat(found)
                .singleElement()
                .satisfies(f -> assertThat(f.repaired()).isTrue());
        // The version no longer exists (its .info went first), so the next request fetches it again...
        assertThat(store.exists(StorageLayout.info(A))).isFalse();
        assertThat(store.exists(StorageLayout.zip(A))).isFalse();
        assertThat(Files.readString(file(StorageLayout.list(A.path())))).isEmpty();
        // ...and the damaged bytes are kept for inspection.
        BlobKey kept =
                repaired.quarantine().orElseThrow().resolve(StorageLayout.zip(A).value());
        assertThat(store.exists(kept)).isTrue();
        // The other version, the proofs and the pins of the database are untouched.
        assertThat(store.exists(StorageLayout.info(B))).isTrue();
        assertThat(store.exists(StorageLayout.sumdbLookup(log.name, A))).isTrue();

        found.clear();
        assertThat(fsck(false, found).corrupt()).as("after repair").isZero();
    }

    @Test
    void aStoredSumThatDisagreesWithTheChecksumDatabaseIsFound() throws Exception {
        // Rewrite B's .sum with A's hashes: the zip still matches B's lookup, the .sum does not.
        Path sum = file(StorageLayout.sum(B));
        String a = Files.readString(file(StorageLayout.sum(A)));
        Files.writeString(
                sum, a.replace(A.path().value() + " " + A.version(), B.path().value() + " " + B.version()));
        List<Finding> found = new ArrayList<>();
        fsck(false, found);
        assertThat(found).singleElement().satisfies(f -> {
            assertThat(f.subject()).isEqualTo(B.toString());
            assertThat(f.problem()).contains("differs from the stored .sum");
        });
    }

    @Test
    void aBitFlippedInAFullTileIsBlamedOnThatTileAlone() throws Exception {
        Path tile = file(StorageLayout.sumdb(log.name, "tile/8/0/000"));
        flipBit(tile, 100);
        List<Finding> found = new ArrayList<>();
        fsck(true, found);
        assertThat(found)
                .filteredOn(f -> f.severity() == Severity.CORRUPT)
                .singleElement()
                .satisfies(f -> {
                    assertThat(f.what()).isEqualTo("tile");
                    assertThat(f.subject()).endsWith("tile/8/0/000");
                    assertThat(f.problem()).contains("parent tile");
                    assertThat(f.repaired()).isTrue();
                });
        assertThat(Files.exists(tile))
                .as("moved aside, to be fetched and authenticated again")
                .isFalse();
    }

    @Test
    void aBitFlippedInTheTreeEdgeTileIsFoundAgainstTheSignedTreeHead() throws Exception {
        Path tile = file(StorageLayout.sumdb(log.name, "tile/8/0/001.p/44"));
        flipBit(tile, 7);
        List<Finding> found = new ArrayList<>();
        StorageCheck.Report r = fsck(false, found);
        assertThat(found)
                .filteredOn(f -> f.severity() == Severity.CORRUPT)
                .singleElement()
                .satisfies(f -> {
                    assertThat(f.subject()).endsWith("tile/8/0/001.p/44");
                    assertThat(f.problem()).contains("signed tree head");
                });
        assertThat(r.corrupt()).isEqualTo(1);
    }

    @Test
    void aDamagedLookupIsFound() throws Exception {
        Path lookup = file(StorageLayout.sumdbLookup(log.name, B));
        String text = Files.readString(lookup);
        // Same length, another hash: the record is no longer the one in the signed tree.
        int i = text.indexOf("h1:") + 5;
        Files.writeString(lookup, text.substring(0, i) + (text.charAt(i) == 'A' ? 'B' : 'A') + text.substring(i + 1));
        List<Finding> found = new ArrayList<>();
        fsck(false, found);
        assertThat(found)
                .filteredOn(f -> f.what().equals("lookup"))
                .singleElement()
                .satisfies(f -> assertThat(f.problem()).contains("not the one the signed tree holds"));
    }

    @Test
    void filesOfACommitCutShortAreReportedNotCounted() throws Exception {
        ModuleVersion c = ModuleVersion.of("example.com/gamma", "v0.1.0");
        store.put(StorageLayout.zip(c), new byte[] {1, 2, 3});
        List<Finding> found = new ArrayList<>();
        StorageCheck.Report r = fsck(true, found);
        assertThat(r.corrupt()).isZero();
        assertThat(found).singleElement().satisfies(f -> {
            assertThat(f.what()).isEqualTo("incomplete");
            assertThat(f.repaired())
                    .as("younger than an hour: perhaps a commit in progress")
                    .isFalse();
        });
        assertThat(Optional.of(store.exists(StorageLayout.zip(c)))).contains(true);
    }
}
