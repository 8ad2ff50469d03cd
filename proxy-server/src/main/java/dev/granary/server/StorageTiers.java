package dev.granary.server;

import dev.granary.core.Meters;
import dev.granary.core.fetch.FetchLeases;
import dev.granary.core.layout.StorageLayout;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import dev.granary.storage.BlobLeases;
import dev.granary.storage.BlobStore;
import dev.granary.storage.ObservedBlobStore;
import dev.granary.storage.disk.DiskBlobStore;
import dev.granary.storage.s3.S3BlobStore;
import dev.granary.storage.s3.S3Settings;
import dev.granary.storage.tier.HotTierBlobStore;
import dev.granary.storage.tier.ReadThroughBlobStore;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage tiers as configured: hot (memory) over the durable tier, which is the local disk, or
 * S3 (optionally behind a read-through copy on the local disk). The disk root also receives
 * downloads before they are verified; abandoned temporary files there are swept.
 */
final class StorageTiers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StorageTiers.class);

    private final DiskBlobStore disk;
    private final S3BlobStore s3;
    private final HotTierBlobStore hot;
    private final FetchLeases leases;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("granary-sweeper").factory());

    StorageTiers(GranaryConfig config, Path root, Metrics metrics) throws IOException {
        this.disk = new DiskBlobStore(root);
        sweepTempFiles();
        // Leftovers of a killed process are never served; they are removed once clearly abandoned.
        sweeper.scheduleWithFixedDelay(this::sweepTempFiles, 30, 30, TimeUnit.MINUTES);
        BlobStore local = new ObservedBlobStore("disk", metrics, disk);
        BlobStore durable;
        String bucket = config.get(ConfigKey.S3_BUCKET);
        if (bucket != null && !bucket.isBlank()) {
            this.s3 = new S3BlobStore(s3Settings(config));
            BlobStore remote = new ObservedBlobStore("s3", metrics, s3);
            durable = config.bool(ConfigKey.S3_LOCAL_CACHE)
                    ? new ReadThroughBlobStore(local, remote, StorageLayout::isImmutable, metrics)
                    : remote;
            // Leases live on the bucket itself, never behind a cache.
            this.leases = new FetchLeases(new BlobLeases(s3), config.duration(ConfigKey.S3_LEASE_TTL));
        } else {
            this.s3 = null;
            this.leases = null;
            durable = local;
        }
        this.hot = new HotTierBlobStore(
                durable,
                config.bytes(ConfigKey.HOT_MAX_BYTES),
                config.bytes(ConfigKey.HOT_MAX_ITEM_BYTES),
                StorageLayout::isImmutable,
                metrics);
        Gauge.builder(Meters.HOT_SIZE, hot, HotTierBlobStore::weightedSize)
                .baseUnit("bytes")
                .description("Bytes held by the hot tier")
                .register(metrics.registry());
        Gauge.builder(Meters.HOT_CAPACITY, hot, HotTierBlobStore::maxBytes)
                .baseUnit("bytes")
                .description("Hot tier capacity")
                .register(metrics.registry());
        Gauge.builder(Meters.STORAGE_DISK_FREE, root, StorageTiers::usableSpace)
                .baseUnit("bytes")
                .description("Free space on the disk tier's file system")
                .register(metrics.registry());
        Gauge.builder(Meters.STORAGE_DISK_TOTAL, root, StorageTiers::totalSpace)
                .baseUnit("bytes")
                .description("Size of the disk tier's file system")
                .register(metrics.registry());
    }

    private static double usableSpace(Path root) {
        try {
            return Files.getFileStore(root).getUsableSpace();
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    private static double totalSpace(Path root) {
        try {
            return Files.getFileStore(root).getTotalSpace();
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /** The store every service reads and writes: the hot tier over everything else. */
    BlobStore store() {
        return hot;
    }

    /**
     * The durable tier itself, unobserved: for the catalog's reads, last-request records and
     * retention's listings, which are no client's lookups and must not move the tiers' hit ratios.
     * Only mutable keys (never held by the hot tier) are written through it.
     */
    BlobStore quiet() {
        return s3 != null ? s3 : disk;
    }

    /** The local disk tier (also the temporary directory of fetches). */
    DiskBlobStore disk() {
        return disk;
    }

    /** The S3 tier, when configured. */
    Optional<S3BlobStore> s3() {
        return Optional.ofNullable(s3);
    }

    /** Cross-replica fetch leases, when replicas share S3; null otherwise. */
    FetchLeases leases() {
        return leases;
    }

    static S3Settings s3Settings(GranaryConfig config) {
        String endpoint = config.get(ConfigKey.S3_ENDPOINT);
        return new S3Settings(
                endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint),
                config.get(ConfigKey.S3_REGION),
                config.get(ConfigKey.S3_BUCKET),
                config.get(ConfigKey.S3_PREFIX) == null ? "" : config.get(ConfigKey.S3_PREFIX),
                config.bool(ConfigKey.S3_PATH_STYLE),
                Optional.ofNullable(config.get(ConfigKey.S3_ACCESS_KEY_ID)).filter(v -> !v.isBlank()),
                Optional.ofNullable(config.get(ConfigKey.S3_SECRET_ACCESS_KEY)).filter(v -> !v.isBlank()));
    }

    private void sweepTempFiles() {
        try {
            int swept = disk.sweepTempFiles(Duration.ofHours(1));
            if (swept > 0) {
                log.info("removed {} abandoned temporary files under {}", swept, disk.root());
            }
        } catch (IOException | RuntimeException e) {
            log.warn("sweeping temporary files: {}", e.toString());
        }
    }

    @Override
    public void close() {
        try {
            hot.close();
        } catch (IOException e) {
            log.warn("closing storage: {}", e.toString());
        }
        sweeper.shutdownNow();
    }
}
