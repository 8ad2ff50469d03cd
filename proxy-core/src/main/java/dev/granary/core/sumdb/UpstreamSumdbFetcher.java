package dev.granary.core.sumdb;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.upstream.Upstream;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;

/**
 * Reaches a checksum database either directly (its own URL) or through the upstream proxy's
 * {@code /sumdb/<name>/} (go.dev/ref/mod#goproxy-protocol: "a proxy may serve the checksum
 * database"). Without an explicit URL, the proxy is asked {@code sumdb/<name>/supported} once; if it
 * answers not-found the database is reached directly.
 */
public final class UpstreamSumdbFetcher implements SumdbFetcher {
    /** Upper bound of any checksum-database response (lookups and tiles are a few KiB). */
    static final long MAX_BYTES = 1 << 20;

    private final String name;
    private final Upstream proxy;
    private final Upstream direct;
    private volatile Boolean viaProxy;
    private final MeterRegistry registry;

    /**
     * @param proxy the upstream chain, or null when the database must be reached directly
     * @param direct the database's own base URL as an upstream
     */
    public UpstreamSumdbFetcher(String name, Upstream proxy, Upstream direct, MeterRegistry registry) {
        this.registry = registry;
        this.name = name;
        this.proxy = proxy;
        this.direct = direct;
        this.viaProxy = proxy == null ? Boolean.FALSE : null;
    }

    @Override
    public byte[] fetch(String path) throws IOException {
        long start = System.nanoTime();
        String result = "error";
        try {
            byte[] b = fetchOnce(path);
            result = "ok";
            return b;
        } catch (FileNotFoundException e) {
            result = "not_found";
            throw e;
        } finally {
            String endpoint = path.startsWith("tile/") ? "tile" : path.startsWith("lookup/") ? "lookup" : path;
            Timer.builder(Meters.SUMDB_FETCH)
                    .description("Requests to a checksum database by endpoint and result")
                    .tag("db", name)
                    .tag("endpoint", endpoint)
                    .tag("result", result)
                    .register(registry)
                    .record(Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private byte[] fetchOnce(String path) throws IOException {
        try {
            if (useProxy()) {
                return proxy.fetch("sumdb/" + name + "/" + path, MAX_BYTES);
            }
            return direct.fetch(path, MAX_BYTES);
        } catch (ProxyException e) {
            if (e.kind() == ProxyException.Kind.NOT_FOUND || e.kind() == ProxyException.Kind.GONE) {
                throw new FileNotFoundException(e.getMessage());
            }
            throw new IOException(e.getMessage(), e);
        }
    }

    private boolean useProxy() throws IOException {
        Boolean v = viaProxy;
        if (v != null) {
            return v;
        }
        try {
            proxy.fetch("sumdb/" + name + "/supported", MAX_BYTES);
            viaProxy = Boolean.TRUE;
        } catch (ProxyException e) {
            if (!e.isNotFound()) {
                // Undecided: try again next time rather than pin a transient failure.
                throw new IOException(
                        "checksum database " + name + ": asking the upstream proxy: " + e.getMessage(), e);
            }
            viaProxy = Boolean.FALSE;
        }
        return viaProxy;
    }

    /** How the database is reached, for logs. */
    public String describe() {
        Boolean v = viaProxy;
        return v == null ? "undecided" : v ? "through the upstream proxy" : "directly";
    }
}
