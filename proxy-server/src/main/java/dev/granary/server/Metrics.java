package dev.granary.server;

import dev.granary.core.Meters;
import dev.granary.core.layout.StorageLayout;
import dev.granary.server.http.TierTrace;
import dev.granary.storage.BlobKey;
import dev.granary.storage.TierObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * The Prometheus registry and the server's own meters. Names follow {@code granary_<noun>_<unit>}:
 * Micrometer appends {@code _total}, {@code _seconds} and {@code _bytes} in the Prometheus text.
 */
public final class Metrics implements TierObserver {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public Metrics() {
        // promtool check metrics is clean on a scrape: no abbreviated units in names, no "_count" on a gauge.
        registry.config()
                .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
                    }
                });
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Gauge.builder(Meters.JVM_HEAP_PEAK, Metrics::heapPeak)
                .baseUnit("bytes")
                .description("High-water mark of heap use since start (sum of the heap pools' peaks)")
                .register(registry);
    }

    private static double heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    /** One answered request: its kind (list, info, zip, sumdb, health, ...), status and latency. */
    public void request(String kind, int status, long nanos) {
        Timer.builder(Meters.HTTP_REQUESTS)
                .description("HTTP requests by endpoint kind and status")
                .tag("kind", kind)
                .tag("status", Integer.toString(status))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry)
                .record(Duration.ofNanos(nanos));
    }

    /** Body bytes written to clients, by kind. */
    public void served(String kind, long bytes) {
        Counter.builder(Meters.SERVED_BYTES)
                .baseUnit("bytes")
                .description("Body bytes served to clients")
                .tag("kind", kind)
                .register(registry)
                .increment(bytes);
    }

    /**
     * The HTTP edge's own state, read at each scrape: client connections open now, and requests read
     * whose answer is not finished yet.
     */
    public void edge(IntSupplier openConnections, IntSupplier requestsInFlight) {
        Gauge.builder(Meters.HTTP_CONNECTIONS_OPEN, openConnections::getAsInt)
                .description("Client connections open now (connections turned away at a limit are not counted)")
                .register(registry);
        Gauge.builder(Meters.HTTP_REQUESTS_IN_FLIGHT, requestsInFlight::getAsInt)
                .description("Requests read whose answer is not finished yet")
                .register(registry);
    }

    /** A connection answered 503 and closed at once: over the total ({@code server-limit}) or per-address ({@code client-limit}) cap. */
    public void connectionRejected(String reason) {
        Counter.builder(Meters.HTTP_CONNECTIONS_REJECTED)
                .description("Connections turned away at a connection limit")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /**
     * A connection closed by a timeout: {@code header} (a request head not received in time),
     * {@code idle} (a keep-alive connection with nothing to do), {@code write} (the client stopped
     * reading its answer).
     */
    public void connectionTimeout(String phase) {
        Counter.builder(Meters.HTTP_CONNECTIONS_TIMEOUTS)
                .description("Connections closed by a timeout, by phase")
                .tag("phase", phase)
                .register(registry)
                .increment();
    }

    /** A client left with a request half sent or not yet answered (not counted as a request). */
    public void connectionAborted() {
        Counter.builder(Meters.HTTP_CONNECTIONS_ABORTED)
                .description("Connections the client closed mid-request or before its answer")
                .register(registry)
                .increment();
    }

    /** A version refused by policy, by reason (denied, not-allowed, quarantined). */
    public void policyRefused(String reason) {
        Counter.builder(Meters.POLICY_REFUSALS)
                .description("Requests refused by the version policy, by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** A request refused by client authentication: missing or invalid credentials (401), or a token without the right (403). */
    public void authRefused(String reason) {
        Counter.builder(Meters.AUTH_REFUSALS)
                .description("Requests refused by client authentication, by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** A request refused at a rate limit: {@code client-rate} or {@code token-rate} (429). */
    public void limitRefused(String limit) {
        Counter.builder(Meters.LIMIT_REFUSALS)
                .description("Requests refused at a limit")
                .tag("limit", limit)
                .register(registry)
                .increment();
    }

    /** A TLS handshake that failed (timeout, a client that does not trust the certificate, not TLS at all). */
    public void tlsHandshakeFailed() {
        Counter.builder(Meters.TLS_HANDSHAKE_FAILURES)
                .description("TLS handshakes that failed")
                .register(registry)
                .increment();
    }

    @Override
    public void lookup(String tier, BlobKey key, boolean hit) {
        TierTrace.lookup(tier, key, hit);
        Counter.builder(Meters.CACHE_LOOKUPS)
                .description("Storage lookups by tier, artifact kind and result")
                .tag("tier", tier)
                .tag("kind", StorageLayout.kindOf(key).label())
                .tag("result", hit ? "hit" : "miss")
                .register(registry)
                .increment();
    }

    @Override
    public void evicted(BlobKey key, long bytes) {
        Counter.builder(Meters.HOT_EVICTIONS)
                .description("Hot tier evictions")
                .register(registry)
                .increment();
    }

    @Override
    public void error(String tier, String operation, Throwable t) {
        Counter.builder(Meters.STORAGE_ERRORS)
                .description("Storage errors by tier and operation")
                .tag("tier", tier)
                .tag("operation", operation)
                .register(registry)
                .increment();
    }

    @Override
    public void latency(String tier, String operation, long nanos) {
        Timer.builder(Meters.STORAGE_OPERATIONS)
                .description("Storage operations by tier and operation")
                .tag("tier", tier)
                .tag("operation", operation)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(2))
                .register(registry)
                .record(Duration.ofNanos(nanos));
    }

    @Override
    public void transferred(String tier, String operation, long bytes) {
        Counter.builder(Meters.STORAGE_TRANSFERRED)
                .baseUnit("bytes")
                .description("Content bytes read (get) or written (put) by tier")
                .tag("tier", tier)
                .tag("operation", operation)
                .register(registry)
                .increment(bytes);
    }

    public void close() {
        gc.close();
        registry.close();
    }
}
