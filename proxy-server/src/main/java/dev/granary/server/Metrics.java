package dev.granary.server;

import dev.granary.storage.BlobKey;
import dev.granary.storage.TierObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Gauge.builder("granary.jvm.heap.peak", Metrics::heapPeak).baseUnit("bytes")
                .description("High-water mark of heap use since start (sum of the heap pools' peaks)").register(registry);
    }

    private static double heapPeak() {
        long sum = 0;
        for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getPeakUsage() != null) {
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
        Timer.builder("granary.http.requests")
                .description("HTTP requests by endpoint kind and status")
                .tag("kind", kind).tag("status", Integer.toString(status))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry)
                .record(Duration.ofNanos(nanos));
    }

    /** Body bytes written to clients, by kind. */
    public void served(String kind, long bytes) {
        Counter.builder("granary.served").baseUnit("bytes").description("Body bytes served to clients")
                .tag("kind", kind).register(registry).increment(bytes);
    }

    /**
     * The HTTP edge's own state, read at each scrape: client connections open now, and requests read
     * whose answer is not finished yet.
     */
    public void edge(IntSupplier openConnections, IntSupplier requestsInFlight) {
        Gauge.builder("granary.http.connections.open", openConnections::getAsInt)
                .description("Client connections open now (connections turned away at a limit are not counted)")
                .register(registry);
        Gauge.builder("granary.http.requests.in.flight", requestsInFlight::getAsInt)
                .description("Requests read whose answer is not finished yet")
                .register(registry);
    }

    /** A connection answered 503 and closed at once: over the total ({@code server-limit}) or per-address ({@code client-limit}) cap. */
    public void connectionRejected(String reason) {
        Counter.builder("granary.http.connections.rejected").description("Connections turned away at a connection limit")
                .tag("reason", reason).register(registry).increment();
    }

    /**
     * A connection closed by a timeout: {@code header} (a request head not received in time),
     * {@code idle} (a keep-alive connection with nothing to do), {@code write} (the client stopped
     * reading its answer).
     */
    public void connectionTimeout(String phase) {
        Counter.builder("granary.http.connections.timeouts").description("Connections closed by a timeout, by phase")
                .tag("phase", phase).register(registry).increment();
    }

    /** A client left with a request half sent or not yet answered (not counted as a request). */
    public void connectionAborted() {
        Counter.builder("granary.http.connections.aborted")
                .description("Connections the client closed mid-request or before its answer").register(registry).increment();
    }

    @Override
    public void lookup(String tier, BlobKey key, boolean hit) {
        Counter.builder("granary.cache.lookups").description("Storage lookups by tier, artifact kind and result")
                .tag("tier", tier).tag("kind", artifactKind(key)).tag("result", hit ? "hit" : "miss")
                .register(registry).increment();
    }

    @Override
    public void evicted(BlobKey key, long bytes) {
        Counter.builder("granary.hot.evictions").description("Hot tier evictions").register(registry).increment();
    }

    @Override
    public void error(String tier, String operation, Throwable t) {
        Counter.builder("granary.storage.errors").description("Storage errors by tier and operation")
                .tag("tier", tier).tag("operation", operation).register(registry).increment();
    }

    @Override
    public void latency(String tier, String operation, long nanos) {
        Timer.builder("granary.storage.operations").description("Storage operations by tier and operation")
                .tag("tier", tier).tag("operation", operation)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(2))
                .register(registry).record(Duration.ofNanos(nanos));
    }

    @Override
    public void transferred(String tier, String operation, long bytes) {
        Counter.builder("granary.storage.transferred").baseUnit("bytes").description("Content bytes read (get) or written (put) by tier")
                .tag("tier", tier).tag("operation", operation).register(registry).increment(bytes);
    }

    /** The artifact kind of a storage key, by its suffix: info, mod, zip, sum, list, sumdb, other. */
    static String artifactKind(BlobKey key) {
        String v = key.value();
        if (v.startsWith("sumdb/")) {
            return "sumdb";
        }
        int dot = v.lastIndexOf('.');
        String ext = dot < 0 ? "" : v.substring(dot + 1);
        return switch (ext) {
            case "info", "mod", "zip", "sum" -> ext;
            default -> v.endsWith("/@v/list") ? "list" : "other";
        };
    }

    public void close() {
        gc.close();
        registry.close();
    }
}
