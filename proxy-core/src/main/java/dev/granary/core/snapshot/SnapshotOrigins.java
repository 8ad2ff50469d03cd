package dev.granary.core.snapshot;

import dev.granary.core.catalog.VersionOrigins;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which imported snapshot brought each version in, for the catalog: an index from module version to
 * snapshot id, built from the manifests the importer records ({@code snapshots/<id>/MANIFEST.json});
 * and the newest of those snapshots, for the server's snapshot gauges.
 * When several snapshots hold a version, the first imported one (its record's time) is named. The
 * index is read once at start and brought up to date at most every {@code refresh} on a lookup
 * (imports run in other processes): only manifests not seen before are read, so a refresh costs one
 * listing of {@code snapshots/}.
 */
public final class SnapshotOrigins implements VersionOrigins {
    private static final Logger log = LoggerFactory.getLogger(SnapshotOrigins.class);

    /** The snapshot a version is attributed to, and when that snapshot was imported. */
    private record Origin(String id, Instant imported) {}

    /** What an imported snapshot says of itself: when it was exported, and the checksum-database heads it is pinned to. */
    public record Recorded(Instant created, List<SnapshotManifest.TreeHead> heads) {}

    private final BlobStore store;
    private final Duration refresh;
    private final Map<ModuleVersion, Origin> origins = new ConcurrentHashMap<>();
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final Map<String, Recorded> recorded = new ConcurrentHashMap<>();
    private volatile long nextRefreshNanos;

    /**
     * @param store   the storage the importer records snapshots in
     * @param refresh how often a lookup may look for snapshots imported since
     */
    public SnapshotOrigins(BlobStore store, Duration refresh) {
        this.store = store;
        this.refresh = refresh;
    }

    @Override
    public Optional<String> snapshotOf(ModuleVersion mv) {
        refreshIfDue();
        return Optional.ofNullable(origins.get(mv)).map(Origin::id);
    }

    /** The imported snapshot exported last, if any; brought up to date as {@link #snapshotOf} is. */
    public Optional<Recorded> newest() {
        refreshIfDue();
        return recorded.values().stream().max(Comparator.comparing(Recorded::created));
    }

    private void refreshIfDue() {
        if (System.nanoTime() - nextRefreshNanos >= 0) {
            try {
                refresh();
            } catch (IOException | RuntimeException e) {
                log.debug("looking for imported snapshots: {}", e.toString());
            }
        }
    }

    /** Reads the manifests of snapshots imported since the last refresh. Blocks (storage). */
    public synchronized void refresh() throws IOException {
        nextRefreshNanos = System.nanoTime() + refresh.toNanos();
        Set<String> listed = new HashSet<>();
        for (BlobKey k : store.list(StorageLayout.snapshotsDir())) {
            String v = k.value();
            String prefix = StorageLayout.snapshotsDir().value() + "/";
            if (!v.startsWith(prefix) || !v.endsWith("/" + SnapshotFormat.MANIFEST)) {
                continue;
            }
            String id = v.substring(prefix.length(), v.length() - SnapshotFormat.MANIFEST.length() - 1);
            if (id.indexOf('/') >= 0 || !k.equals(StorageLayout.snapshotFile(id, SnapshotFormat.MANIFEST))) {
                continue;
            }
            listed.add(id);
            if (!seen.contains(id)) {
                read(id, k);
            }
        }
        seen.retainAll(listed);
        recorded.keySet().retainAll(listed);
    }

    private void read(String id, BlobKey key) throws IOException {
        Optional<BlobStat> stat = store.stat(key);
        Optional<Blob> b = store.get(key);
        if (stat.isEmpty() || b.isEmpty()) {
            return;
        }
        SnapshotManifest m;
        try (Blob blob = b.get()) {
            m = SnapshotManifest.parse(blob.readAllBytes());
        } catch (SnapshotException e) {
            log.warn("the recorded manifest of snapshot {} is unreadable: {}", id, e.getMessage());
            seen.add(id);
            return;
        }
        recorded.put(id, new Recorded(m.createdAt(), m.treeHeads()));
        Origin o = new Origin(id, stat.get().lastModified());
        Map<ModuleVersion, Origin> found = new HashMap<>();
        for (SnapshotManifest.Entry e : m.versions()) {
            found.put(ModuleVersion.of(e.path(), e.version()), o);
        }
        found.forEach((mv, origin) ->
                origins.merge(mv, origin, (a, c) -> a.imported().isAfter(c.imported()) ? c : a));
        seen.add(id);
    }
}
