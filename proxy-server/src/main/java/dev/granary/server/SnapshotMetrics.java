package dev.granary.server;

import dev.granary.core.Meters;
import dev.granary.core.snapshot.SnapshotManifest;
import dev.granary.core.snapshot.SnapshotOrigins;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Snapshot gauges of a running server: the newest imported snapshot's tree size per checksum database
 * and its age, from the import records the catalog's {@link SnapshotOrigins} already reads (imports run
 * as a separate command, so the records are the only source).
 */
final class SnapshotMetrics {
    private SnapshotMetrics() {}

    static void register(SnapshotOrigins origins, List<String> databases, MeterRegistry registry) {
        for (String db : databases) {
            Gauge.builder(Meters.SNAPSHOT_TREE_SIZE, origins, o -> treeSize(o, db))
                    .strongReference(true)
                    .description("Tree size of the newest imported snapshot's checksum-database head (-1: none)")
                    .tag("db", db)
                    .register(registry);
        }
        Gauge.builder(Meters.SNAPSHOT_AGE, origins, SnapshotMetrics::ageSeconds)
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

    private static double treeSize(SnapshotOrigins origins, String db) {
        return origins.newest()
                .flatMap(m -> m.heads().stream().filter(h -> h.db().equals(db)).findFirst())
                .map(SnapshotManifest.TreeHead::size)
                .orElse(-1L);
    }

    private static double ageSeconds(SnapshotOrigins origins) {
        return origins.newest()
                .map(m -> (double) Duration.between(m.created(), Instant.now()).toSeconds())
                .orElse(-1.0);
    }
}
