package dev.granary.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.fetch.ModuleIndex;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.gocache.BundleStore;
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
 * exactly that of a clean import; a second import of the same snapshot writes nothing at all. The
 * snapshot holds every kind: module versions, checksum-database files, a toolchain existence record, a
 * release archive (with a listing to merge and a signing key to store), a new pre-warm bundle and one
 * that replaces a different bundle of the same identity.
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
        assertThat(full)
                .isNotEqualTo(before)
                .containsKey(StorageLayout.snapshotFile(v.id(), SnapshotFormat.MANIFEST)
                        .value());
        assertThat(full)
                .containsEntry(
                        StorageLayout.toolchainInfo(TOOLCHAIN).value(), "{\"Version\":\"" + TOOLCHAIN.version() + "\"}")
                .containsEntry(StorageLayout.dlArchive(ARCHIVE).value(), "archive bytes")
                .containsEntry(StorageLayout.dlSha256(ARCHIVE).value(), "a".repeat(64))
                .containsEntry(StorageLayout.dlSigningKey().value(), "key material")
                .containsEntry(StorageLayout.gocacheBundle(NEW_BUNDLE).value(), "new bundle")
                .containsEntry(StorageLayout.gocacheBundle(OLD_BUNDLE).value(), "rebuilt bundle")
                .doesNotContainKey(
                        StorageLayout.gocacheBundleSignature(OLD_BUNDLE).value());
        assertThat(full.get(StorageLayout.dlListing(true).value()))
                .contains("go1.25.0.linux-amd64.tar.gz")
                .contains(ARCHIVE);
        assertThat(full.get(StorageLayout.gocacheBundleIndex().value()))
                .contains(NEW_BUNDLE)
                .contains(OLD_BUNDLE)
                .contains("2026-11-20");
        assertThat(full.keySet()).noneMatch(k -> k.contains("/staged/") || k.endsWith("/journal"));

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
            assertThat(after)
                    .as("after a failure at write " + k + " and a recovery")
                    .isIn(before, full);
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
        assertThat(importer(noWrites).publish(v, Progress.none()).outcome())
                .isEqualTo(SnapshotImporter.Outcome.UNCHANGED);
        assertThat(noWrites.failed)
                .as("the second import tried no write (not even its lock)")
                .isFalse();
    }

    @Test
    void anotherImportHoldingTheLockIsNamed() throws Exception {
        MemoryBlobStore raw = baseline();
        ImportLock held = ImportLock.tryAcquire(raw, "a running import").lock().orElseThrow();
        try {
            assertThatThrownBy(() -> importer(raw).publish(snapshot(), Progress.none()))
                    .isInstanceOf(SnapshotException.class)
                    .hasMessageContaining("another import")
                    .hasMessageContaining("a running import");
        } finally {
            held.close();
        }
    }

    // ---- fixtures -----------------------------------------------------------------------------------

    private static final ModuleVersion TOOLCHAIN =
            ModuleVersion.of("golang.org/toolchain", "v0.0.1-go1.26.3.linux-amd64");
    private static final String ARCHIVE = "go1.26.3.linux-amd64.tar.gz";
    private static final String NEW_BUNDLE = "0123456789abcdef0123456789abcdef";
    private static final String OLD_BUNDLE = "fedcba9876543210fedcba9876543210";

    private SnapshotImporter importer(BlobStore store) {
        return new SnapshotImporter(
                store, new VersionCommitter(store, new ModuleIndex(store), new SimpleMeterRegistry()));
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
        s.put(StorageLayout.dlListing(true), listing("go1.25.0", "go1.25.0.linux-amd64.tar.gz", "b".repeat(64)));
        s.put(StorageLayout.gocacheBundle(OLD_BUNDLE), bytes("old bundle"));
        s.put(StorageLayout.gocacheBundleSignature(OLD_BUNDLE), bytes("old signature"));
        s.put(
                StorageLayout.gocacheBundleIndex(),
                BundleStore.toJson(new BundleStore.Index(List.of(entry(OLD_BUNDLE, "2026-11-01T00:00:00Z", true)))));
        return s;
    }

    private static byte[] listing(String version, String file, String sha256) {
        return ("[{\"version\":\"" + version + "\",\"stable\":true,\"files\":[{\"filename\":\"" + file
                        + "\",\"os\":\"linux\"," + "\"arch\":\"amd64\",\"version\":\"" + version + "\",\"sha256\":\""
                        + sha256 + "\",\"size\":13,\"kind\":\"archive\"}]}]")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static BundleStore.IndexEntry entry(String id, String created, boolean signed) {
        return new BundleStore.IndexEntry(
                id,
                "example.com/app",
                "go1.26.3",
                "linux",
                "amd64",
                "v1",
                false,
                true,
                false,
                List.of(),
                "",
                created,
                10,
                2,
                1,
                1,
                signed);
    }

    /** What an import publishes; the importer checks nothing (the verifier did), so the bytes are placeholders. */
    private VerifiedSnapshot snapshot() throws IOException {
        List<VerifiedSnapshot.Version> versions = new ArrayList<>();
        Map<String, Path> sumdb = new TreeMap<>();
        for (String v : new String[] {"v1.0.0", "v1.1.0", "v1.2.0", "v2.0.0+incompatible"}) {
            ModuleVersion mv = ModuleVersion.of("example.com/m", v);
            Path zip = Files.write(tmp.resolve("zip-" + v), bytes("zip " + v));
            versions.add(new VerifiedSnapshot.Version(
                    mv,
                    bytes("{\"Version\":\"" + v + "\"}"),
                    bytes("module example.com/m\n"),
                    zip,
                    v.equals("v1.0.0") ? GoSum.of(mv, "h1:z0=", "h1:m0=") : GoSum.of(mv, "h1:z" + v + "=", "h1:m0="),
                    true));
            sumdb.put(
                    StorageLayout.sumdbLookup(DB, mv).value(),
                    Files.write(tmp.resolve("lookup-" + v), bytes("record " + v)));
        }
        ModuleVersion modOnly = ModuleVersion.of("example.com/n", "v0.1.0");
        versions.add(new VerifiedSnapshot.Version(
                modOnly,
                bytes("{\"Version\":\"v0.1.0\"}"),
                bytes("module example.com/n\n"),
                null,
                GoSum.of(modOnly, null, "h1:n="),
                true));
        sumdb.put(
                StorageLayout.sumdb(DB, "tile/8/0/000.p/5").value(),
                Files.write(tmp.resolve("tile"), bytes("tile data")));
        sumdb.put(StorageLayout.sumdb(DB, "supported").value(), Files.write(tmp.resolve("supported"), new byte[0]));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(SnapshotFormat.MANIFEST, bytes("{\"format\":1}"));
        files.put(SnapshotFormat.SUMS, bytes("sums\n"));
        files.put(SnapshotFormat.SIGNATURE, bytes("signature"));
        sumdb.put(
                StorageLayout.sumdbLookup(DB, TOOLCHAIN).value(),
                Files.write(tmp.resolve("lookup-toolchain"), bytes("record toolchain")));
        VerifiedSnapshot.Releases releases = new VerifiedSnapshot.Releases(
                List.of(new VerifiedSnapshot.ReleaseArchive(
                        ARCHIVE,
                        "a".repeat(64),
                        Files.write(tmp.resolve("archive"), bytes("archive bytes")),
                        bytes("archive signature"))),
                listing("go1.26.3", ARCHIVE, "a".repeat(64)),
                bytes("key material"),
                List.of("ABCD"));
        List<VerifiedSnapshot.Bundle> bundles = List.of(
                new VerifiedSnapshot.Bundle(
                        NEW_BUNDLE,
                        Files.write(tmp.resolve("new-bundle"), bytes("new bundle")),
                        SnapshotVerifier.sha256(bytes("new bundle")),
                        bytes("new signature"),
                        entry(NEW_BUNDLE, "2026-11-21T00:00:00Z", true)),
                new VerifiedSnapshot.Bundle(
                        OLD_BUNDLE,
                        Files.write(tmp.resolve("rebuilt-bundle"), bytes("rebuilt bundle")),
                        SnapshotVerifier.sha256(bytes("rebuilt bundle")),
                        null,
                        entry(OLD_BUNDLE, "2026-11-20T00:00:00Z", false)));
        return new VerifiedSnapshot(
                "f00d".repeat(16),
                null,
                files,
                Optional.empty(),
                versions,
                Optional.of(new VerifiedSnapshot.Sumdb(
                        DB, new Tree(5, Hash.ZERO), bytes("head 5"), sumdb, Optional.of(bytes("head 2")), 2)),
                List.of(new VerifiedSnapshot.ToolchainInfo(
                        TOOLCHAIN, bytes("{\"Version\":\"" + TOOLCHAIN.version() + "\"}"))),
                releases,
                bundles);
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
