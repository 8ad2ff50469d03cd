package dev.granary.core.fetch;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.Lease;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coalesces version fetches: at most one {@link VersionPipeline} run per module version in this
 * process (later requests join it), and with replicas sharing storage at most one across processes
 * (the {@link FetchLeases} holder fetches; the others poll for its commit and take over when its lease
 * expires). Failed fetches are remembered briefly (not-found for the not-found TTL, upstream failures
 * and refusals for the failure TTL), so a burst of requests for a failing version costs one upstream
 * fetch; what is remembered is the failed fetch itself, so the stages it passed keep answering as
 * they did (an {@code .info} already answered stays answered while the {@code .zip} fails).
 */
final class VersionFetches {
    private static final Logger log = LoggerFactory.getLogger(VersionFetches.class);
    private static final long LEASE_POLL_MILLIS = 200;

    private final ConcurrentHashMap<ModuleVersion, VersionFetch> inFlight = new ConcurrentHashMap<>();
    private final VersionPipeline pipeline;
    private final CommittedVersions committed;
    private final FetchLeases leases;
    private final FetchSettings settings;
    private final Executor executor;
    private final RecentFailures<ModuleVersion, VersionFetch> recent;
    private final Counter joins;
    private final Counter leaseWaits;

    /** @param leases cross-replica fetch leases, or null when this process alone writes storage */
    VersionFetches(
            VersionPipeline pipeline,
            CommittedVersions committed,
            FetchLeases leases,
            FetchSettings settings,
            Executor executor,
            MeterRegistry registry) {
        this.pipeline = pipeline;
        this.committed = committed;
        this.leases = leases;
        this.settings = settings;
        this.executor = executor;
        this.recent = new RecentFailures<>(
                settings.notFoundTtl(), settings.failureTtl(), VersionFetch::failure, VersionFetch::kibHeld);
        this.joins = Counter.builder(Meters.SINGLEFLIGHT_JOINS)
                .description("Requests that joined a fetch already in progress")
                .register(registry);
        this.leaseWaits = Counter.builder(Meters.LEASE_WAITS)
                .description("Fetches left to another replica holding the lease")
                .register(registry);
    }

    /**
     * The fetch of {@code mv} in progress, started if there is none.
     *
     * @param known the request names a version it knows exists (see {@link VersionFetch#known})
     * @return the fetch in progress, or a recent fetch of {@code mv} that failed
     */
    VersionFetch join(ModuleVersion mv, boolean known) {
        return join(mv, known, false);
    }

    /**
     * Like {@link #join(ModuleVersion, boolean)}; with {@code needZip}, a version committed without its
     * zip (a go.mod-only version from a snapshot) is fetched again rather than taken as stored.
     */
    VersionFetch join(ModuleVersion mv, boolean known, boolean needZip) {
        VersionFetch failed = recent.recent(mv);
        if (failed != null) {
            return failed;
        }
        VersionFetch mine = new VersionFetch(mv, known);
        VersionFetch running = inFlight.putIfAbsent(mv, mine);
        if (running != null) {
            joins.increment();
            return running;
        }
        executor.execute(() -> {
            try {
                if (isComplete(mv, needZip)) {
                    mine.stored();
                } else if (leases == null) {
                    pipeline.run(mine);
                } else {
                    fetchUnderLease(mine, needZip);
                }
            } catch (RuntimeException e) {
                mine.fail(e);
            } finally {
                // Remember a failure before leaving the map, so no request slips in between and fetches again.
                remember(mine);
                inFlight.remove(mv, mine);
            }
        });
        return mine;
    }

    private void remember(VersionFetch f) {
        if (f.failure() != null) {
            recent.remember(f.version, f);
        }
    }

    /** With replicas sharing storage, only the lease holder fetches; the others wait for its commit. */
    private boolean isComplete(ModuleVersion mv, boolean needZip) {
        return committed.isStored(mv) && (!needZip || committed.hasZip(mv));
    }

    private void fetchUnderLease(VersionFetch f, boolean needZip) {
        ModuleVersion mv = f.version;
        long deadline = System.nanoTime() + settings.fetchWait().toNanos();
        boolean counted = false;
        while (true) {
            Optional<Lease> lease;
            try {
                lease = leases.tryAcquire(mv);
            } catch (IOException e) {
                throw Failures.storage("taking the fetch lease of " + mv, e);
            }
            if (lease.isPresent()) {
                try {
                    if (isComplete(mv, needZip)) {
                        f.stored();
                    } else {
                        pipeline.run(f);
                    }
                } finally {
                    try {
                        leases.release(lease.get());
                    } catch (IOException e) {
                        log.warn("releasing the fetch lease of {}: {} (it expires by itself)", mv, e.toString());
                    }
                }
                return;
            }
            if (!counted) {
                leaseWaits.increment();
                counted = true;
            }
            if (isComplete(mv, needZip)) {
                f.stored();
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new ProxyException(
                        Kind.UPSTREAM_TIMEOUT, mv + ": another replica holds the fetch and has not committed it yet");
            }
            try {
                Thread.sleep(LEASE_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProxyException(Kind.INTERNAL, "interrupted waiting for another replica's fetch of " + mv);
            }
        }
    }
}
