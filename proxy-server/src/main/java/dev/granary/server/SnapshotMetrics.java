package dev.granary.server;

import dev.granary.core.Meters;
import dev.granary.core.snapshot.ImportedSnapshots;
import dev.granary.core.snapshot.SnapshotManifest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot gauges of a running server, read from the import records in storage (imports run as a
 * separate command): the newest imported snapshot's tree size per checksum database and its age.
 * Records are listed at most once a minute; a gauge reads -1 when no snapshot was imported.
 */
final class SnapshotMetrics {
    private static final Logger log = LoggerFactory.getLogger(SnapshotMetrics.class);
    private static final Duration REFRESH = Duration.ofMinutes(1);

    private final Services services;
    private volatile Optional<SnapshotManifest> newest = Optional.empty();
    private volatile long readAtNanos;
    private volatile boolean read;

    private SnapshotMetrics(Services services) {
        this.services = services;
    }

    static void register(Services services, MeterRegistry registry) {
        SnapshotMetrics m = new SnapshotMetrics(services);
        for (String db : services.databases().names()) {
            Gauge.builder(Meters.SNAPSHOT_TREE_SIZE, m, x -> x.treeSize(db))
                    .description("Tree size of the newest imported snapshot's checksum-database head").tag("db", db).register(registry);
        }
        Gauge.builder(Meters.SNAPSHOT_AGE, m, SnapshotMetrics::ageSeconds).baseUnit("seconds")
                .description("Age of the newest imported snapshot (since its export)").register(registry);
        for (String result : new String[] {"imported", "unchanged", "refused", "failed", "recovered"}) {
            Counter.builder(Meters.SNAPSHOT_IMPORTS).description("Snapshot imports by result").tag("result", result).register(registry);
        }
    }

    private Optional<SnapshotManifest> newest() {
        long now = System.nanoTime();
        if (!read || now - readAtNanos > REFRESH.toNanos()) {
            try {
                newest = ImportedSnapshots.newest(services.store()).map(ImportedSnapshots.Imported::manifest);
            } catch (IOException | RuntimeException e) {
                log.debug("reading snapshot records: {}", e.toString());
            }
            readAtNanos = now;
            read = true;
        }
        return newest;
    }

    private double treeSize(String db) {
        return newest().flatMap(m -> m.treeHead(db)).map(SnapshotManifest.TreeHead::size).orElse(-1L);
    }

    private double ageSeconds() {
        return newest().map(m -> (double) Duration.between(m.createdAt(), Instant.now()).toSeconds()).orElse(-1.0);
    }
}
