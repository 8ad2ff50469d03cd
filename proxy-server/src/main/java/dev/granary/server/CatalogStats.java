package dev.granary.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granary.core.Meters;
import dev.granary.core.catalog.ModuleCatalog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The body of {@code /-/api/stats}: what the catalog page shows above the modules, read from the same
 * meters {@code /metrics} exports (so the page and the dashboards agree), plus the catalog's counts.
 * Nothing here names a storage path or a credential.
 */
final class CatalogStats implements Supplier<ObjectNode> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MeterRegistry registry;
    private final ModuleCatalog catalog;

    CatalogStats(MeterRegistry registry, ModuleCatalog catalog) {
        this.registry = registry;
        this.catalog = catalog;
    }

    @Override
    public ObjectNode get() {
        ObjectNode out = JSON.createObjectNode();
        out.put("modules", catalog.moduleCount());
        out.put("versions", catalog.versionCount());
        out.put("indexReady", catalog.ready());
        out.put("uptimeSeconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);

        // Lookups by tier, in the order requests meet them.
        Map<String, long[]> byTier = new LinkedHashMap<>();
        for (String t : new String[] {"hot", "disk", "s3"}) {
            byTier.put(t, new long[2]);
        }
        for (Counter c : registry.find(Meters.CACHE_LOOKUPS).counters()) {
            long[] hm = byTier.computeIfAbsent(c.getId().getTag("tier"), t -> new long[2]);
            hm["hit".equals(c.getId().getTag("result")) ? 0 : 1] += (long) c.count();
        }
        ArrayNode tiers = out.putArray("tiers");
        for (Map.Entry<String, long[]> e : byTier.entrySet()) {
            long hits = e.getValue()[0];
            long misses = e.getValue()[1];
            boolean present = hits + misses > 0 || !e.getKey().equals("s3");
            if (!present) {
                continue;
            }
            ObjectNode t = tiers.addObject();
            t.put("tier", e.getKey());
            t.put("hits", hits);
            t.put("misses", misses);
            if (hits + misses > 0) {
                t.put("hitRatio", (double) hits / (hits + misses));
            } else {
                t.putNull("hitRatio");
            }
            if (e.getKey().equals("hot")) {
                t.put("bytes", (long) gauge(Meters.HOT_SIZE));
                t.put("capacityBytes", (long) gauge(Meters.HOT_CAPACITY));
            }
            if (e.getKey().equals("disk")) {
                t.put("freeBytes", (long) gauge(Meters.STORAGE_DISK_FREE));
                t.put("totalBytes", (long) gauge(Meters.STORAGE_DISK_TOTAL));
            }
        }

        long requests = 0;
        long serverErrors = 0;
        for (Timer t : registry.find(Meters.HTTP_REQUESTS).timers()) {
            requests += t.count();
            if (t.getId().getTag("status") != null && t.getId().getTag("status").startsWith("5")) {
                serverErrors += t.count();
            }
        }
        out.putObject("requests").put("total", requests).put("serverErrors", serverErrors);

        long fetches = 0;
        long failures = 0;
        for (Timer t : registry.find(Meters.UPSTREAM_FETCH).timers()) {
            fetches += t.count();
            String result = t.getId().getTag("result");
            // Not found and gone are answers, not failures (the go command probes paths that do not exist).
            if ("error".equals(result) || "timeout".equals(result)) {
                failures += t.count();
            }
        }
        out.putObject("upstream").put("fetches", fetches).put("failures", failures);

        out.putObject("verification")
                .put("committed", (long) registry.find(Meters.VERSIONS_COMMITTED).counters().stream()
                        .mapToDouble(Counter::count)
                        .sum())
                .put("failures", (long) registry.find(Meters.VERIFICATION_FAILURES).counters().stream()
                        .mapToDouble(Counter::count)
                        .sum());
        return out;
    }

    private double gauge(String name) {
        Gauge g = registry.find(name).gauge();
        return g == null ? 0 : g.value();
    }
}
