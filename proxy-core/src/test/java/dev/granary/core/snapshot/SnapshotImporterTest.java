package dev.granary.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.fetch.ModuleIndex;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.sumdb.tlog.Hash;
import dev.granary.core.sumdb.tlog.Tree;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.memory.MemoryBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The importer's all-or-nothing promise at every single write: a store that fails at its k-th write
 * (for every k), then a recovery by a later start, leaves exactly the storage of before the import or
 * exactly that of a clean import; a second import of the same snapshot writes nothing at all.
 */
class SnapshotImporterTest {
    private static final String DB = "sum.example.org";

    @TempDir
    Path tmp;

    @Test
    void aFailureAtAnyWriteEndsAsBeforeOrFullyImportedOnceRecovered() throws Exception {
        VerifiedSnapshot v = snapshot();
        Map<String, String> before = contents(baseline());
        MemoryBlobStore clean = baseline();
        assertThat(importer(clean).publish(v, Progress.none()).outcome()).isEqualTo(SnapshotImporter.Outcome.IMPORTED);
        Map<String, String> full = contents(clean);
        assertThat(full).isNotEqualTo(before).containsKey(StorageLayout.snapshotFile(v.id(), SnapshotFormat.MANIFEST).value());

        int asBefore = 0;
        int asFull = 0;
        for (int k = 1; ; k++) {
            MemoryBlobStore raw = baseline();
            Failing failing = new Failing(raw, k);
            try {
                importer(failing).publish(v, Progress.none());
            } catch (IOException e) {
                assertThat(e).hasMessageContaining("injected");
            }
            if (!failing.failed) {
                break; // k is past the last write
            }
            raw.delete(StorageLayout.snapshotImportLock()); // the failed process is gone
            importer(raw).recover();
            Map<String, String> after = contents(raw);
            assertThat(after).as("after a failure at write " + k + " and a recovery").isIn(before, full);
            if (after.equals(before)) {
                asBefore++;
            } else {
                asFull++;
            }
        }
        assertThat(asBefore).as("failures that were undone").isPositive();
        assertThat(asFull).as("failures that were finished").isPositive();
    }

    @Test
    void theSameSnapshotTwiceWritesNothingTheSecondTime() throws Exception {
        VerifiedSnapshot v = snapshot();
        MemoryBlobStore raw = baseline();
        importer(raw).publish(v, Progress.none());
        Failing noWrites = new Failing(raw, 1);
        assertThat(importer(noWrites).publish(v, Progress.none()).outcome()).isEqualTo(SnapshotImporter.Outcome.UNCHANGED);
        assertThat(noWrites.failed).as("the second import tried no write (not even its lock)").isFalse();
    }

    @Test
    void anotherImportHoldingTheLockIsNamed() throws Exception {
        MemoryBlobStore raw = baseline();
        ImportLock held = ImportLock.tryAcquire(raw, "a running import").lock().orElseThrow();
        try {
            assertThatThrownBy(() -> importer(raw).publish(snapshot(), Progress.none())).isInstanceOf(SnapshotException.class)
                    .hasMessageContaining("another import").hasMessageContaining("a running import");
        } finally {
            held.close();
        }
    }

    // ---- fixtures -----------------------------------------------------------------------------------

    private SnapshotImporter importer(BlobStore store) {
        return new SnapshotImporter(store, new VersionCommitter(store, new ModuleIndex(store), new SimpleMeterRegistry()));
    }

    /** A storage that holds one version and a tree head already (imported before). */
    private MemoryBlobStore baseline() throws IOException {
        MemoryBlobStore s = new MemoryBlobStore();
        ModuleVersion old = ModuleVersion.of("example.com/m", "v1.0.0");
        s.put(StorageLayout.zip(old), bytes("zip 1.0.0"));
        s.put(StorageLayout.mod(old), bytes("module example.com/m\n"));
        s.put(StorageLayout.sum(old), GoSum.of(old, "h1:z0=", "h1:m0=").bytes());
        s.put(StorageLayout.info(old), bytes("{\"Version\":\"v1.0.0\"}"));
        s.put(StorageLayout.list(old.path()), bytes("v1.0.0\n"));
        s.put(StorageLayout.sumdb(DB, "latest"), bytes("head 2"));
        s.put(StorageLayout.sumdb(DB, "supported"), new byte[0]);
        return s;
    }

    /** What an import publishes; the importer checks nothing (the verifier did), so the bytes are placeholders. */
    private VerifiedSnapshot snapshot() throws IOException {
        List<VerifiedSnapshot.Version> versions = new ArrayList<>();
        Map<String, Path> sumdb = new TreeMap<>();
        for (String v : new String[] {"v1.0.0", "v1.1.0", "v1.2.0", "v2.0.0+incompatible"}) {
            ModuleVersion mv = ModuleVersion.of("example.com/m", v);
            Path zip = Files.write(tmp.resolve("zip-" + v), bytes("zip " + v));
            versions.add(new VerifiedSnapshot.Version(mv, bytes("{\"Version\":\"" + v + "\"}"), bytes("module example.com/m\n"),
                    zip, v.equals("v1.0.0") ? GoSum.of(mv, "h1:z0=", "h1:m0=") : GoSum.of(mv, "h1:z" + v + "=", "h1:m0="), true));
            sumdb.put(StorageLayout.sumdbLookup(DB, mv).value(), Files.write(tmp.resolve("lookup-" + v), bytes("record " + v)));
        }
        ModuleVersion modOnly = ModuleVersion.of("example.com/n", "v0.1.0");
        versions.add(new VerifiedSnapshot.Version(modOnly, bytes("{\"Version\":\"v0.1.0\"}"), bytes("module example.com/n\n"), null,
                GoSum.of(modOnly, null, "h1:n="), true));
        sumdb.put(StorageLayout.sumdb(DB, "tile/8/0/000.p/5").value(), Files.write(tmp.resolve("tile"), bytes("tile data")));
        sumdb.put(StorageLayout.sumdb(DB, "supported").value(), Files.write(tmp.resolve("supported"), new byte[0]));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(SnapshotFormat.MANIFEST, bytes("{\"format\":1}"));
        files.put(SnapshotFormat.SUMS, bytes("sums\n"));
        files.put(SnapshotFormat.SIGNATURE, bytes("signature"));
        return new VerifiedSnapshot("f00d".repeat(16), null, files, Optional.empty(), versions,
                Optional.of(new VerifiedSnapshot.Sumdb(DB, new Tree(5, Hash.ZERO), bytes("head 5"), sumdb, Optional.of(bytes("head 2")), 2)));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> contents(BlobStore s) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (BlobKey k : s.list(null)) {
            try (Blob b = s.get(k).orElseThrow()) {
                out.put(k.value(), new String(b.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** Fails the k-th write (put or delete) and every one after it, as a crashed process writes nothing more. */
    private static final class Failing implements BlobStore {
        private final BlobStore delegate;
        private final int failAt;
        private int writes;
        boolean failed;

        Failing(BlobStore delegate, int failAt) {
            this.delegate = delegate;
            this.failAt = failAt;
        }

        private void write() throws IOException {
            if (++writes >= failAt) {
                failed = true;
                throw new IOException("injected failure at write " + writes);
            }
        }

        @Override
        public Optional<Blob> get(BlobKey key) throws IOException {
            return delegate.get(key);
        }

        @Override
        public Optional<BlobStat> stat(BlobKey key) throws IOException {
            return delegate.stat(key);
        }

        @Override
        public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
            write();
            return delegate.put(key, content, size, mode);
        }

        @Override
        public boolean delete(BlobKey key) throws IOException {
            write();
            return delegate.delete(key);
        }

        @Override
        public List<BlobKey> list(BlobKey prefix) throws IOException {
            return delegate.list(prefix);
        }

        @Override
        public String describe() {
            return "failing";
        }
    }
}
