package dev.granary.core.snapshot;

import dev.granary.core.ProxyException;
import dev.granary.core.dl.DlMirror;
import dev.granary.core.dl.ReleaseListing;
import dev.granary.core.fetch.VerifiedVersion;
import dev.granary.core.fetch.VersionCommitter;
import dev.granary.core.gocache.BundleStore;
import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a {@link VerifiedSnapshot} into storage, all or nothing, and finishes or undoes an import
 * that a crash interrupted.
 *
 * <h2>Implementation notes</h2>
 * What makes content visible is a few small markers: a version exists iff its {@code .info} does
 * (the fetch pipeline's rule, kept by {@link VersionCommitter}), a toolchain is known to exist iff its
 * {@code toolchains/<v>.info} does, a release archive exists iff its {@code .sha256} does (and the
 * listing lists it), a pre-warm bundle is listed iff the bundle index lists it, the database's
 * {@code latest} head, and the snapshot's own {@code snapshots/<id>/MANIFEST.json}. So an import runs in two phases under
 * the import lock ({@link ImportLock}), with a journal ({@link ImportJournal}) in storage:
 * <ol>
 *   <li><b>plan</b> (no writes): versions already stored with the same hashes are skipped, as are
 *       checksum-database files already stored; with nothing left to write the import is a no-op (the
 *       same snapshot imported twice changes nothing, not even a timestamp);</li>
 *   <li><b>staging</b>: the journal is written listing every key the phase will create (none exists
 *       yet), then zips, mods, sums, lookups, tiles, private-module pins, release archives with their
 *       signatures (and the release signing key when this Granary had none), new bundles with their
 *       signatures, and the snapshot's SHA256SUMS and signature; none of these makes anything visible. A
 *       bundle that replaces a different one of the same identity is staged apart
 *       ({@link StorageLayout#snapshotStaged}), so the old one stays whole until publishing;</li>
 *   <li><b>publishing</b>: the journal is rewritten (one atomic put) to say so; then each version's
 *       {@code .info} (with its list rewrite), the toolchain records, each archive's {@code .sha256} and
 *       the merged listing, the replaced bundles copied into place and the bundle index, the database
 *       head, and the snapshot's MANIFEST.json; then the staged copies and the journal are deleted.</li>
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
     * @param outcome        what happened
     * @param published      versions published (committed or completed with their zip)
     * @param skipped        versions already stored with the same content
     * @param sumdb          checksum-database files written
     * @param toolchainInfos toolchain existence records written
     * @param releases       release archives published
     * @param bundles        pre-warm bundles published
     */
    public record Result(
            Outcome outcome, int published, int skipped, int sumdb, int toolchainInfos, int releases, int bundles) {}

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
            return new Result(Outcome.UNCHANGED, 0, first.skipped(), 0, 0, 0, 0);
        }
        ImportLock.Acquired acquired = ImportLock.tryAcquire(store, "import of snapshot " + v.id());
        if (acquired.lock().isEmpty()) {
            throw new SnapshotException("another import is publishing into this storage: "
                    + acquired.heldBy().map(ImportLock.Holder::describe).orElse("unknown holder")
                    + "; try again when it is done");
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
    private record Plan(
            List<VerifiedSnapshot.Version> stage,
            int skipped,
            Map<BlobKey, Path> sumdbFiles,
            byte[] latest,
            byte[] heldBefore,
            String db,
            Map<BlobKey, byte[]> pins,
            boolean recorded,
            List<VerifiedSnapshot.ToolchainInfo> toolchainInfos,
            List<VerifiedSnapshot.ReleaseArchive> releases,
            byte[] listing,
            byte[] signingKey,
            List<BundlePlan> bundles,
            List<BundleStore.IndexEntry> bundleIndex) {
        boolean nothingToDo() {
            return stage.isEmpty()
                    && sumdbFiles.isEmpty()
                    && latest == null
                    && pins.isEmpty()
                    && recorded
                    && toolchainInfos.isEmpty()
                    && releases.isEmpty()
                    && listing == null
                    && signingKey == null
                    && bundles.isEmpty()
                    && bundleIndex.isEmpty();
        }
    }

    /** A bundle to publish; {@code replace} when a different bundle of the same identity is stored. */
    private record BundlePlan(VerifiedSnapshot.Bundle bundle, boolean replace) {}

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
        Map<BlobKey, Path> sumdbFiles = new LinkedHashMap<>();
        byte[] latest = null;
        byte[] heldBefore = null;
        String db = null;
        if (v.sumdb().isPresent()) {
            VerifiedSnapshot.Sumdb s = v.sumdb().get();
            db = s.db();
            for (Map.Entry<String, Path> f : s.files().entrySet()) {
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

        List<VerifiedSnapshot.ToolchainInfo> infos = new ArrayList<>();
        for (VerifiedSnapshot.ToolchainInfo t : v.toolchainInfos()) {
            if (!store.exists(StorageLayout.toolchainInfo(t.version()))
                    && !store.exists(StorageLayout.info(t.version()))) {
                infos.add(t);
            }
        }
        List<VerifiedSnapshot.ReleaseArchive> releases = new ArrayList<>();
        for (VerifiedSnapshot.ReleaseArchive a : v.releases().archives()) {
            // The verifier refused an archive stored here with another SHA-256: a stored one is this one.
            if (!store.exists(StorageLayout.dlSha256(a.filename()))) {
                releases.add(a);
            }
        }
        byte[] listing = null;
        if (v.releases().listing() != null) {
            byte[] merged = mergedListing(v.releases().listing());
            if (!Arrays.equals(merged, read(StorageLayout.dlListing(true)).orElse(null))) {
                listing = v.releases().listing();
            }
        }
        byte[] signingKey = v.releases().signingKey() != null && !store.exists(StorageLayout.dlSigningKey())
                ? v.releases().signingKey()
                : null;
        List<BundlePlan> bundles = new ArrayList<>();
        for (VerifiedSnapshot.Bundle b : v.bundles()) {
            BlobKey key = StorageLayout.gocacheBundle(b.id());
            Optional<BlobStat> here = store.stat(key);
            boolean same = here.isPresent()
                    && here.get().size() == Files.size(b.file())
                    && b.sha256().equals(sha256(key))
                    && sameSignature(b);
            if (!same) {
                bundles.add(new BundlePlan(b, here.isPresent()));
            }
        }
        List<BundleStore.IndexEntry> index = new ArrayList<>();
        if (!v.bundles().isEmpty()) {
            List<BundleStore.IndexEntry> stored = BundleStore.parseIndex(
                            read(StorageLayout.gocacheBundleIndex()).orElse("{}".getBytes(StandardCharsets.UTF_8)))
                    .bundles();
            for (VerifiedSnapshot.Bundle b : v.bundles()) {
                if (!stored.contains(b.entry()) || bundles.stream().anyMatch(p -> p.bundle() == b)) {
                    index.add(b.entry());
                }
            }
        }
        return new Plan(
                stage,
                skipped,
                sumdbFiles,
                latest,
                heldBefore,
                db,
                pins,
                recorded,
                infos,
                releases,
                listing,
                signingKey,
                bundles,
                index);
    }

    /** The stored release listing with {@code incoming} merged in, as publishing writes it. */
    private byte[] mergedListing(byte[] incoming) throws IOException {
        ReleaseListing in = ReleaseListing.parse(incoming);
        Optional<ReleaseListing> stored;
        try {
            stored = read(StorageLayout.dlListing(true)).map(ReleaseListing::parse);
        } catch (ProxyException e) {
            log.warn("the stored release listing is unreadable ({}); the imported one replaces it", e.getMessage());
            stored = Optional.empty();
        }
        return (stored.isEmpty() ? in : DlMirror.merge(stored.get(), in)).toJson();
    }

    /** True when the bundle's stored signature is the one it comes with (or both have none). */
    private boolean sameSignature(VerifiedSnapshot.Bundle b) throws IOException {
        Optional<byte[]> here = read(StorageLayout.gocacheBundleSignature(b.id()));
        return b.signature() == null ? here.isEmpty() : here.isPresent() && Arrays.equals(here.get(), b.signature());
    }

    private String sha256(BlobKey key) throws IOException {
        MessageDigest md = SnapshotWriter.sha256();
        try (Blob b = store.get(key).orElseThrow(() -> new IOException(key + " vanished from storage"));
                InputStream in = b.openStream()) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private Result publishLocked(VerifiedSnapshot v, Progress progress) throws IOException {
        Plan plan = plan(v);
        if (plan.nothingToDo()) {
            return new Result(Outcome.UNCHANGED, 0, plan.skipped(), 0, 0, 0, 0);
        }
        List<VerifiedSnapshot.Version> stage = plan.stage();
        Map<BlobKey, Path> sumdbFiles = plan.sumdbFiles();
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
        for (VerifiedSnapshot.ReleaseArchive a : plan.releases()) {
            for (BlobKey k : List.of(StorageLayout.dlArchive(a.filename()), StorageLayout.dlSignature(a.filename()))) {
                if (!store.exists(k)) {
                    created.add(k);
                }
            }
        }
        if (plan.signingKey() != null) {
            created.add(StorageLayout.dlSigningKey());
        }
        for (BundlePlan b : plan.bundles()) {
            for (BlobKey k : bundleKeys(v.id(), b)) {
                if (!store.exists(k)) {
                    created.add(k);
                }
            }
        }
        Map<BlobKey, byte[]> record = new LinkedHashMap<>();
        for (String name : List.of(SnapshotFormat.SUMS, SnapshotFormat.SIGNATURE)) {
            BlobKey k = StorageLayout.snapshotFile(v.id(), name);
            if (v.files().containsKey(name) && !store.exists(k)) {
                record.put(k, v.files().get(name));
                created.add(k);
            }
        }
        List<ImportJournal.Publish> publish = stage.stream()
                .map(ver -> new ImportJournal.Publish(
                        ver.version().path().value(),
                        ver.version().version(),
                        ver.sums().bytes(),
                        ver.info()))
                .toList();
        ImportJournal journal = new ImportJournal(
                v.id(),
                ImportJournal.STAGING,
                created.stream().map(BlobKey::value).toList(),
                publish,
                db,
                latest,
                heldBefore,
                v.files().get(SnapshotFormat.MANIFEST),
                plan.toolchainInfos().stream()
                        .map(t -> new ImportJournal.ToolchainInfo(t.version().version(), t.info()))
                        .toList(),
                plan.releases().stream()
                        .map(a -> new ImportJournal.Release(a.filename(), a.sha256()))
                        .toList(),
                plan.listing(),
                plan.bundles().stream()
                        .map(b -> new ImportJournal.Bundle(
                                b.bundle().id(), b.replace(), b.bundle().signature() != null))
                        .toList(),
                plan.bundleIndex());
        BlobKey journalKey = StorageLayout.snapshotJournal(v.id());
        store.put(journalKey, journal.toJson());

        for (VerifiedSnapshot.Version ver : stage) {
            if (completing.contains(ver.version())) {
                store.put(StorageLayout.zip(ver.version()), ver.zip(), PutMode.REPLACE);
            } else {
                committer.stage(new VerifiedVersion(ver.version(), ver.info(), ver.mod(), ver.zip(), ver.sums()));
            }
            progress.add(ver.zip() == null ? 0 : Files.size(ver.zip()), 1);
        }
        for (Map.Entry<BlobKey, Path> f : sumdbFiles.entrySet()) {
            store.put(f.getKey(), f.getValue(), PutMode.REPLACE);
            progress.add(0, 1);
        }
        for (Map.Entry<BlobKey, byte[]> p : pins.entrySet()) {
            store.put(p.getKey(), p.getValue());
        }
        for (Map.Entry<BlobKey, byte[]> r : record.entrySet()) {
            store.put(r.getKey(), r.getValue());
        }
        for (VerifiedSnapshot.ReleaseArchive a : plan.releases()) {
            store.put(StorageLayout.dlArchive(a.filename()), a.archive(), PutMode.REPLACE);
            store.put(StorageLayout.dlSignature(a.filename()), a.signature());
            progress.add(Files.size(a.archive()), 1);
        }
        if (plan.signingKey() != null) {
            store.put(StorageLayout.dlSigningKey(), plan.signingKey());
        }
        for (BundlePlan b : plan.bundles()) {
            List<BlobKey> keys = bundleKeys(v.id(), b);
            store.put(keys.get(0), b.bundle().file(), PutMode.REPLACE);
            if (b.bundle().signature() != null) {
                store.put(keys.get(1), b.bundle().signature());
            }
            progress.add(Files.size(b.bundle().file()), 1);
        }

        // ---- publishing: the journal says so first, so that a crash from here on is finished, not undone ----
        ImportJournal publishing = journal.publishing();
        store.put(journalKey, publishing.toJson());
        finish(publishing);
        return new Result(
                Outcome.IMPORTED,
                stage.size(),
                skipped,
                sumdbFiles.size(),
                plan.toolchainInfos().size(),
                plan.releases().size(),
                plan.bundles().size());
    }

    /**
     * Where a bundle (and, when it comes with one, its signature) is staged: in place when no bundle of
     * its identity is stored, else apart, to be copied into place when publishing.
     */
    private static List<BlobKey> bundleKeys(String snapshot, BundlePlan b) {
        return bundleKeys(snapshot, b.bundle().id(), b.replace(), b.bundle().signature() != null);
    }

    private static List<BlobKey> bundleKeys(String snapshot, String id, boolean staged, boolean signed) {
        BlobKey bundle = StorageLayout.gocacheBundle(id);
        BlobKey sig = StorageLayout.gocacheBundleSignature(id);
        List<BlobKey> out = new ArrayList<>();
        out.add(staged ? StorageLayout.snapshotStaged(snapshot, bundle) : bundle);
        if (signed) {
            out.add(staged ? StorageLayout.snapshotStaged(snapshot, sig) : sig);
        }
        return out;
    }

    /** The publishing phase, from its journal: idempotent, so a crash in it is finished by running it again. */
    private void finish(ImportJournal j) throws IOException {
        for (ImportJournal.Publish p : j.publish()) {
            ModuleVersion mv = ModuleVersion.of(p.path(), p.version());
            store.put(StorageLayout.sum(mv), p.sum());
            committer.publish(mv, p.info());
        }
        for (ImportJournal.ToolchainInfo t : j.toolchainInfos()) {
            store.put(
                    StorageLayout.toolchainInfo(ModuleVersion.of(StorageLayout.TOOLCHAIN_MODULE, t.version())),
                    t.info());
        }
        for (ImportJournal.Release r : j.releases()) {
            store.put(StorageLayout.dlSha256(r.filename()), r.sha256().getBytes(StandardCharsets.US_ASCII));
        }
        if (j.listing() != null) {
            store.put(StorageLayout.dlListing(true), mergedListing(j.listing()));
        }
        for (ImportJournal.Bundle b : j.bundles()) {
            if (!b.staged()) {
                continue;
            }
            // Staged copies are deleted only once everything else is published: one that is gone was copied.
            List<BlobKey> staged = bundleKeys(j.id(), b.id(), true, b.signed());
            copy(staged.get(0), StorageLayout.gocacheBundle(b.id()));
            if (b.signed()) {
                copy(staged.get(1), StorageLayout.gocacheBundleSignature(b.id()));
            } else {
                // A publish of a bundle again removes the previous signature, which no longer matches.
                store.delete(StorageLayout.gocacheBundleSignature(b.id()));
            }
        }
        if (!j.bundleIndex().isEmpty()) {
            BundleStore.addToIndex(store, j.bundleIndex());
        }
        if (j.db() != null && j.latest() != null) {
            BlobKey key = StorageLayout.sumdb(j.db(), "latest");
            Optional<byte[]> now = read(key);
            boolean untouched = now.isEmpty() ? j.heldBefore() == null : Arrays.equals(now.get(), j.heldBefore());
            if (untouched) {
                store.put(key, j.latest());
                if (store.put(
                        StorageLayout.sumdb(j.db(), "supported"),
                        new ByteArrayInputStream(new byte[0]),
                        0,
                        PutMode.CREATE_ONLY)) {
                    log.debug("recorded sumdb/{}/supported", j.db());
                }
            } else if (!Arrays.equals(now.get(), j.latest())) {
                // Only an online Granary moves its head by itself; it verified what it moved to. Leave it be.
                log.warn(
                        "the tree head of {} changed while snapshot {} was imported; leaving the newer one",
                        j.db(),
                        j.id());
            }
        }
        store.put(StorageLayout.snapshotFile(j.id(), SnapshotFormat.MANIFEST), j.manifest());
        for (ImportJournal.Bundle b : j.bundles()) {
            if (b.staged()) {
                for (BlobKey k : bundleKeys(j.id(), b.id(), true, b.signed())) {
                    store.delete(k);
                }
            }
        }
        store.delete(StorageLayout.snapshotJournal(j.id()));
    }

    /** Copies a staged blob into place, unless it is gone (then it was copied before a crash). */
    private void copy(BlobKey from, BlobKey to) throws IOException {
        Optional<Blob> b = store.get(from);
        if (b.isEmpty()) {
            return;
        }
        try (Blob blob = b.get();
                InputStream in = blob.openStream()) {
            store.put(to, in, blob.size(), PutMode.REPLACE);
        }
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
            log.info(
                    "an import is running ({}): its journal is left to it",
                    acquired.heldBy().map(ImportLock.Holder::describe).orElse("?"));
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
                log.warn(
                        "undoing the import of snapshot {} that was interrupted before publishing ({} files)",
                        j.id(),
                        j.created().size());
                undo(j);
            }
            n++;
        }
        return n;
    }

    private void undo(ImportJournal j) throws IOException {
        List<String> created = new ArrayList<>(j.created());
        Collections.reverse(created);
        for (String k : created) {
            BlobKey key = BlobKey.of(k);
            KeyKind kind = StorageLayout.kindOf(key);
            if ((kind == KeyKind.ZIP || kind == KeyKind.MOD || kind == KeyKind.SUM) && infoExistsFor(key)) {
                continue; // committed since by someone else (an online fetch): no longer ours to remove
            }
            if ((kind == KeyKind.DL_ARCHIVE || kind == KeyKind.DL_SIGNATURE)
                    && store.exists(StorageLayout.dlSha256(SnapshotFormat.dlFilename(key.value())))) {
                continue; // committed since by the mirror's own download
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
