package dev.granary.core.snapshot;

import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The snapshots imported into a storage, from their records ({@code snapshots/<id>/MANIFEST.json}). */
public final class ImportedSnapshots {
    private static final Logger log = LoggerFactory.getLogger(ImportedSnapshots.class);

    /** An imported snapshot: its id and manifest. */
    public record Imported(String id, SnapshotManifest manifest) {
    }

    private ImportedSnapshots() {
    }

    /** Every snapshot imported into {@code store}, oldest export first; unreadable records are skipped (and logged). */
    public static List<Imported> all(BlobStore store) throws IOException {
        List<Imported> out = new ArrayList<>();
        for (BlobKey k : store.list(StorageLayout.snapshotsDir())) {
            if (StorageLayout.kindOf(k) != KeyKind.SNAPSHOT || !k.name().equals(SnapshotFormat.MANIFEST)) {
                continue;
            }
            Optional<Blob> b = store.get(k);
            if (b.isEmpty()) {
                continue;
            }
            try (Blob blob = b.get()) {
                byte[] bytes = blob.readAllBytes();
                out.add(new Imported(SnapshotManifest.idOf(bytes), SnapshotManifest.parse(bytes)));
            } catch (SnapshotException e) {
                log.warn("skipping unreadable snapshot record {}: {}", k, e.getMessage());
            }
        }
        out.sort(Comparator.comparing((Imported i) -> i.manifest().createdAt()));
        return out;
    }

    /** The most recently exported of the snapshots imported into {@code store}. */
    public static Optional<Imported> newest(BlobStore store) throws IOException {
        List<Imported> all = all(store);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }
}
