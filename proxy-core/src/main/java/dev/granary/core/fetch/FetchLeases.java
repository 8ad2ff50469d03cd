package dev.granary.core.fetch;

import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobLeases;
import dev.granary.storage.Lease;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * Cross-replica coalescing of version fetches over a shared durable store (several Granary
 * processes on one bucket), without any coordination service: the replica that creates the lease
 * object {@code leases/<module>/@v/<version>} (create-only) fetches; the others wait for its commit
 * marker, and take over once the lease has expired (its holder died).
 */
public final class FetchLeases {
    private final BlobLeases leases;
    private final String owner;
    private final Duration ttl;

    /** @param leases leases on the durable store itself (never through a cache) */
    public FetchLeases(BlobLeases leases, Duration ttl) {
        this.leases = leases;
        this.ttl = ttl;
        this.owner = processName() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Becomes the fetcher of {@code mv}, or empty when another replica holds a live lease. */
    Optional<Lease> tryAcquire(ModuleVersion mv) throws IOException {
        return leases.tryAcquire(StorageLayout.lease(mv), owner, ttl);
    }

    void release(Lease lease) throws IOException {
        leases.release(lease);
    }

    /** Who this process is in lease objects: host and pid. */
    public String owner() {
        return owner;
    }

    private static String processName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown-host";
        }
        return host + ":" + ManagementFactory.getRuntimeMXBean().getPid();
    }
}
