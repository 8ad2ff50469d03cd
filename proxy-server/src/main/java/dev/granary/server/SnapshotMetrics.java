package dev.granary.server;

import dev.granary.core.Meters;
import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.snapshot.SnapshotException;
import dev.granary.core.snapshot.SnapshotManifest;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot gauges of a running server, read from the import records in storage (imports run as a
 * separate command): the newest imported snapshot's tree size per checksum database and its age.
 * Records are listed at most once a minute, and each manifest is read once.
 */
final class SnapshotMetrics {
    private static final Logger log = LoggerFactory.getLogger(SnapshotMetrics.class);
    private static final Duration REFRESH = Duration.ofMinutes(1);

    /** What the gauges need of an imported snapshot. */
    private record Imported(Instant created, List<SnapshotManifest.TreeHead> heads) {}

    private final Services services;
    private final Map<BlobKey, Imported> seen = new ConcurrentHashMap<>();
    private volatile Optional<Imported> newest = Optional.empty();
    private volatile long readAtNanos;
    private volatile boolean read;

    private SnapshotMetrics(Services services) {
        this.services = services;
    }

    static void register(Services services, MeterRegistry registry) {
        SnapshotMetrics m = new SnapshotMetrics(services);
        for (String db : services.databases().names()) {
            // Strong references: nothing else holds m, and a gauge's object collected reads NaN.
            Gauge.builder(Meters.SNAPSHOT_TREE_SIZE, m, x -> x.treeSize(db))
                    .strongReference(true)
                    .description("Tree size of the newest imported snapshot's checksum-database head (-1: none)")
                    .tag("db", db)
                    .register(registry);
        }
        Gauge.builder(Meters.SNAPSHOT_AGE, m, SnapshotMetrics::ageSeconds)
                .strongReference(true)
                .baseUnit("seconds")
                .description("Age of the newest imported snapshot, since its export (-1: none)")
                .register(registry);
        for (String result : new String[] {"imported", "unchanged", "refused", "failed", "recovered"}) {
            Counter.builder(Meters.SNAPSHOT_IMPORTS)
                    .description("Snapshot imports by result")
                    .tag("result", result)
                    .register(registry);
        }
    }

    private synchronized Optional<Imported> newest() {
        long now = System.nanoTime();
        if (read && now - readAtNanos < REFRESH.toNanos()) {
            return newest;
        }
        readAtNanos = now;
        read = true;
        try {
            for (BlobKey k : services.store().list(StorageLayout.snapshotsDir())) {
                if (StorageLayout.kindOf(k) == KeyKind.SNAPSHOT
                        && k.name().equals("MANIFEST.json")
                        && !seen.containsKey(k)) {
                    Optional<Blob> b = services.store().get(k);
                    if (b.isPresent()) {
                        try (Blob blob = b.get()) {
                            SnapshotManifest mf = SnapshotManifest.parse(blob.readAllBytes());
                            seen.put(k, new Imported(mf.createdAt(), mf.treeHeads()));
                        }
                    }
                }
            }
        } catch (IOException | SnapshotException | RuntimeException e) {
            log.debug("reading snapshot records: {}", e.toString());
        }
        newest = seen.values().stream().max(Comparator.comparing(Imported::created));
        return newest;
    }

    private double treeSize(String db) {
        return newest().flatMap(
                        m -> m.heads().stream().filter(h -> h.db().equals(db)).findFirst())
                .map(SnapshotManifest.TreeHead::size)
                .orElse(-1L);
    }

    private double ageSeconds() {
        return newest().map(m ->
                        (double) Duration.between(m.created(), Instant.now()).toSeconds())
                .orElse(-1.0);
    }
}
