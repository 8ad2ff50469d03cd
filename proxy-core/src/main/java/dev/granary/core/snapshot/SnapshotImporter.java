package dev.granary.core.snapshot;

import dev.granary.core.fetch.VerifiedVersion;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a {@link VerifiedSnapshot} into storage, all or nothing, and finishes or undoes an import
 * that a crash interrupted.
 *
 * <h2>Implementation notes</h2>
 * What makes content visible is a few small markers: a version exists iff its {@code .info} does
 * (the fetch pipeline's rule, kept by {@link VersionCommitter}), the database's {@code latest} head,
 * and the snapshot's own {@code snapshots/<id>/MANIFEST.json}. So an import runs in two phases under
 * the import lock ({@link ImportLock}), with a journal ({@link ImportJournal}) in storage:
 * <ol>
 *   <li><b>plan</b> (no writes): versions already stored with the same hashes are skipped, as are
 *       checksum-database files already stored; with nothing left to write the import is a no-op (the
 *       same snapshot imported twice changes nothing, not even a timestamp);</li>
 *   <li><b>staging</b>: the journal is written listing every key the phase will create (none exists
 *       yet), then zips, mods, sums, lookups, tiles, private-module pins and the snapshot's
 *       SHA256SUMS and signature; none of these makes anything visible;</li>
 *   <li><b>publishing</b>: the journal is rewritten (one atomic put) to say so; then each version's
 *       {@code .info} (with its list rewrite), the database head, and the snapshot's MANIFEST.json;
 *       then the journal is deleted.</li>
 * </ol>
 * A {@code kill -9} anywhere leaves one of: nothing (before the first journal write); a staging
 * journal, which the next start (serve or import) <em>undoes</em> by deleting the keys it lists,
 * leaving storage byte-for-byte as before; or a publishing journal, which the next start
 * <em>finishes</em> by publishing again (every step is an idempotent put of the same bytes), leaving
 * storage exactly as a clean import would. Until then, nothing half-imported is served: staged files
 * have no {@code .info}, and the head moves only in the last phase.
 */
public final class SnapshotImporter {
    private static final Logger log = LoggerFactory.getLogger(SnapshotImporter.class);

    /** How an import ended. */
    public enum Outcome {
        /** Published. */
        IMPORTED,
        /** Everything it holds was already here: nothing was written. */
        UNCHANGED
    }

    /**
     * @param outcome   what happened
     * @param published versions published (committed or completed with their zip)
     * @param skipped   versions already stored with the same content
     * @param sumdb     checksum-database files written
     */
    public record Result(Outcome outcome, int published, int skipped, int sumdb) {
    }

    private final BlobStore store;
    private final VersionCommitter committer;

    public SnapshotImporter(BlobStore store, VersionCommitter committer) {
        this.store = store;
        this.committer = committer;
    }

    /**
     * Publishes {@code v}.
     *
     * @throws SnapshotException when another import holds the lock
     * @throws IOException       when storage fails (what was written is undone or finished by the next start)
     */
    public Result publish(VerifiedSnapshot v, Progress progress) throws SnapshotException, IOException {
        Plan first = plan(v);
        if (first.nothingToDo()) {
            // Checked before taking the lock, so that importing a snapshot again writes nothing at all.
            return new Result(Outcome.UNCHANGED, 0, first.skipped(), 0);
        }
        ImportLock.Acquired acquired = ImportLock.tryAcquire(store, "import of snapshot " + v.id());
        if (acquired.lock().isEmpty()) {
            throw new SnapshotException("another import is publishing into this storage: "
                    + acquired.heldBy().map(ImportLock.Holder::describe).orElse("unknown holder") + "; try again when it is done");
        }
        ImportLock lock = acquired.lock().get();
        try {
            recoverHeld();
            return publishLocked(v, progress);
        } finally {
            lock.close();
        }
    }

    /** What an import still has to write, decided by reading storage only. */
    private record Plan(List<VerifiedSnapshot.Version> stage, int skipped, Map<BlobKey, java.nio.file.Path> sumdbFiles, byte[] latest,
                        byte[] heldBefore, String db, Map<BlobKey, byte[]> pins, boolean recorded) {
        boolean nothingToDo() {
            return stage.isEmpty() && sumdbFiles.isEmpty() && latest == null && pins.isEmpty() && recorded;
        }
    }

    private Plan plan(VerifiedSnapshot v) throws IOException {
        List<VerifiedSnapshot.Version> stage = new ArrayList<>();
        int skipped = 0;
        for (VerifiedSnapshot.Version ver : v.versions()) {
            ModuleVersion mv = ver.version();
            boolean committed = store.exists(StorageLayout.info(mv));
            if (committed && (ver.zip() == null || store.exists(StorageLayout.zip(mv)))) {
                skipped++;
            } else {
                stage.add(ver);
            }
        }
        Map<BlobKey, java.nio.file.Path> sumdbFiles = new LinkedHashMap<>();
        byte[] latest = null;
        byte[] heldBefore = null;
        String db = null;
        if (v.sumdb().isPresent()) {
            VerifiedSnapshot.Sumdb s = v.sumdb().get();
            db = s.db();
            for (Map.Entry<String, java.nio.file.Path> f : s.files().entrySet()) {
                BlobKey key = BlobKey.of(f.getKey());
                if (!store.exists(key)) {
                    sumdbFiles.put(key, f.getValue());
                }
            }
            heldBefore = s.heldBefore().orElse(null);
            boolean forward = heldBefore == null || s.tree().n() > s.heldBeforeSize();
            Optional<byte[]> now = read(StorageLayout.sumdb(db, "latest"));
            if (forward && (now.isEmpty() || !Arrays.equals(now.get(), s.latestNote()))) {
                latest = s.latestNote();
            }
        }
        Map<BlobKey, byte[]> pins = new LinkedHashMap<>();
        for (VerifiedSnapshot.Version ver : v.versions()) {
            if (!ver.proven() && !store.exists(StorageLayout.pin(ver.version()))) {
                pins.put(StorageLayout.pin(ver.version()), ver.sums().bytes());
            }
        }
        boolean recorded = store.exists(StorageLayout.snapshotFile(v.id(), SnapshotFormat.MANIFEST));
        return new Plan(stage, skipped, sumdbFiles, latest, heldBefore, db, pins, recorded);
    }

    private Result publishLocked(VerifiedSnapshot v, Progress progress) throws IOException {
        Plan plan = plan(v);
        if (plan.nothingToDo()) {
            return new Result(Outcome.UNCHANGED, 0, plan.skipped(), 0);
        }
        List<VerifiedSnapshot.Version> stage = plan.stage();
        Map<BlobKey, java.nio.file.Path> sumdbFiles = plan.sumdbFiles();
        Map<BlobKey, byte[]> pins = plan.pins();
        String db = plan.db();
        byte[] latest = plan.latest();
        byte[] heldBefore = plan.heldBefore();
        int skipped = plan.skipped();

        // ---- staging: nothing written here makes anything visible ----
        List<BlobKey> created = new ArrayList<>();
        Set<ModuleVersion> completing = new HashSet<>();
        for (VerifiedSnapshot.Version ver : stage) {
            ModuleVersion mv = ver.version();
            if (store.exists(StorageLayout.info(mv))) {
                // Stored with its go.mod alone: only the zip is new; its .sum is rewritten when publishing.
                completing.add(mv);
                created.add(StorageLayout.zip(mv));
                continue;
            }
            for (BlobKey k : List.of(StorageLayout.zip(mv), StorageLayout.mod(mv), StorageLayout.sum(mv))) {
                if ((ver.zip() != null || !k.equals(StorageLayout.zip(mv))) && !store.exists(k)) {
                    created.add(k);
                }
            }
        }
        created.addAll(sumdbFiles.keySet());
        created.addAll(pins.keySet());
        Map<BlobKey, byte[]> record = new LinkedHashMap<>();
        for (String name : List.of(SnapshotFormat.SUMS, SnapshotFormat.SIGNATURE)) {
            BlobKey k = StorageLayout.snapshotFile(v.id(), name);
            if (v.files().containsKey(name) && !store.exists(k)) {
                record.put(k, v.files().get(name));
                created.add(k);
            }
        }
        List<ImportJournal.Publish> publish = stage.stream()
                .map(ver -> new ImportJournal.Publish(ver.version().path().value(), ver.version().version(), ver.sums().bytes(), ver.info()))
                .toList();
        ImportJournal journal = new ImportJournal(v.id(), ImportJournal.STAGING, created.stream().map(BlobKey::value).toList(),
                publish, db, latest, heldBefore, v.files().get(SnapshotFormat.MANIFEST));
        BlobKey journalKey = StorageLayout.snapshotJournal(v.id());
        store.put(journalKey, journal.toJson());

        for (VerifiedSnapshot.Version ver : stage) {
            if (completing.contains(ver.version())) {
                store.put(StorageLayout.zip(ver.version()), ver.zip(), PutMode.REPLACE);
            } else {
                committer.stage(new VerifiedVersion(ver.version(), ver.info(), ver.mod(), ver.zip(), ver.sums()));
            }
            progress.add(ver.zip() == null ? 0 : java.nio.file.Files.size(ver.zip()), 1);
        }
        for (Map.Entry<BlobKey, java.nio.file.Path> f : sumdbFiles.entrySet()) {
            store.put(f.getKey(), f.getValue(), PutMode.REPLACE);
            progress.add(0, 1);
        }
        for (Map.Entry<BlobKey, byte[]> p : pins.entrySet()) {
            store.put(p.getKey(), p.getValue());
        }
        for (Map.Entry<BlobKey, byte[]> r : record.entrySet()) {
            store.put(r.getKey(), r.getValue());
        }

        // ---- publishing: the journal says so first, so that a crash from here on is finished, not undone ----
        ImportJournal publishing = journal.publishing();
        store.put(journalKey, publishing.toJson());
        finish(publishing);
        return new Result(Outcome.IMPORTED, stage.size(), skipped, sumdbFiles.size());
    }

    /** The publishing phase, from its journal: idempotent, so a crash in it is finished by running it again. */
    private void finish(ImportJournal j) throws IOException {
        for (ImportJournal.Publish p : j.publish()) {
            ModuleVersion mv = ModuleVersion.of(p.path(), p.version());
            store.put(StorageLayout.sum(mv), p.sum());
            committer.publish(mv, p.info());
        }
        if (j.db() != null && j.latest() != null) {
            BlobKey key = StorageLayout.sumdb(j.db(), "latest");
            Optional<byte[]> now = read(key);
            boolean untouched = now.isEmpty() ? j.heldBefore() == null : Arrays.equals(now.get(), j.heldBefore());
            if (untouched) {
                store.put(key, j.latest());
                if (store.put(StorageLayout.sumdb(j.db(), "supported"), new ByteArrayInputStream(new byte[0]), 0, PutMode.CREATE_ONLY)) {
                    log.debug("recorded sumdb/{}/supported", j.db());
                }
            } else if (!Arrays.equals(now.get(), j.latest())) {
                // Only an online Granary moves its head by itself; it verified what it moved to. Leave it be.
                log.warn("the tree head of {} changed while snapshot {} was imported; leaving the newer one", j.db(), j.id());
            }
        }
        store.put(StorageLayout.snapshotFile(j.id(), SnapshotFormat.MANIFEST), j.manifest());
        store.delete(StorageLayout.snapshotJournal(j.id()));
    }

    /**
     * Finishes or undoes every import a crash interrupted (see the class notes); called at every start
     * (serve, import). Imports whose process is still running are left alone.
     *
     * @return how many interrupted imports were dealt with
     */
    public int recover() throws IOException {
        if (journals().isEmpty()) {
            return 0;
        }
        ImportLock.Acquired acquired = ImportLock.tryAcquire(store, "recovery of interrupted imports");
        if (acquired.lock().isEmpty()) {
            log.info("an import is running ({}): its journal is left to it", acquired.heldBy().map(ImportLock.Holder::describe).orElse("?"));
            return 0;
        }
        ImportLock lock = acquired.lock().get();
        try {
            return recoverHeld();
        } finally {
            lock.close();
        }
    }

    private int recoverHeld() throws IOException {
        int n = 0;
        for (BlobKey key : journals()) {
            Optional<byte[]> bytes = read(key);
            if (bytes.isEmpty()) {
                continue;
            }
            ImportJournal j;
            try {
                j = ImportJournal.parse(bytes.get());
            } catch (IOException e) {
                log.error("unreadable import journal {} left in place: {}", key, e.toString());
                continue;
            }
            if (ImportJournal.PUBLISHING.equals(j.state())) {
                log.warn("finishing the import of snapshot {} that was interrupted while publishing", j.id());
                finish(j);
            } else {
                log.warn("undoing the import of snapshot {} that was interrupted before publishing ({} files)", j.id(), j.created().size());
                undo(j);
            }
            n++;
        }
        return n;
    }

    private void undo(ImportJournal j) throws IOException {
        List<String> created = new ArrayList<>(j.created());
        java.util.Collections.reverse(created);
        for (String k : created) {
            BlobKey key = BlobKey.of(k);
            KeyKind kind = StorageLayout.kindOf(key);
            if ((kind == KeyKind.ZIP || kind == KeyKind.MOD || kind == KeyKind.SUM) && infoExistsFor(key)) {
                continue; // committed since by someone else (an online fetch): no longer ours to remove
            }
            store.delete(key);
        }
        store.delete(StorageLayout.snapshotJournal(j.id()));
    }

    private boolean infoExistsFor(BlobKey artifact) throws IOException {
        String v = artifact.value();
        return store.exists(BlobKey.of(v.substring(0, v.lastIndexOf('.')) + ".info"));
    }

    private List<BlobKey> journals() throws IOException {
        List<BlobKey> out = new ArrayList<>();
        for (BlobKey k : store.list(StorageLayout.snapshotsDir())) {
            if (StorageLayout.kindOf(k) == KeyKind.SNAPSHOT_JOURNAL) {
                out.add(k);
            }
        }
        return out;
    }

    private Optional<byte[]> read(BlobKey key) throws IOException {
        Optional<Blob> b = store.get(key);
        if (b.isEmpty()) {
            return Optional.empty();
        }
        try (Blob blob = b.get()) {
            return Optional.of(blob.readAllBytes());
        }
    }
}
