package dev.granary.core.catalog;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.Semver;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the catalog page shows: the stored modules, searchable by path, and each version's details
 * (when it was fetched, sizes, h1 hashes, how it was verified, when it was last requested).
 *
 * <p>Searching must not list storage on every keystroke, so the catalog keeps a small in-memory index
 * (module path -> stored versions). It is built from one listing of storage, in the background, at
 * start ({@link #rebuild}, which a shared store's replicas repeat now and then, since other replicas
 * commit too), and kept current by the committer's listeners ({@link #added}, {@link #removed}).
 * Changes that arrive during a rebuild are applied to both the old and the new index, and a version
 * removed while the listing runs is not brought back by it.
 *
 * <p>Details are read from storage on demand (a stat or a small read per file of each version shown),
 * newest versions first, at most a given number per module.
 */
public final class ModuleCatalog {
    private static final Logger log = LoggerFactory.getLogger(ModuleCatalog.class);

    /** How a version was verified. {@code kind} is checksum-database, pinned or snapshot; {@code detail} names which. */
    public record Verification(String kind, String detail) {}

    /** A module in search results. */
    public record ModuleSummary(String path, int versions, String latest) {}

    /**
     * One stored version.
     *
     * @param fetched       when it was committed (its {@code .info}'s modification time)
     * @param lastRequested when a client last asked for it, if recorded
     * @param verification  empty when nothing verified it (checksum verification off)
     */
    public record VersionDetails(
            String version,
            Instant fetched,
            Instant lastRequested,
            long zipBytes,
            long modBytes,
            String zipH1,
            String modH1,
            List<Verification> verification) {}

    /** A module's stored versions, newest first; {@code truncated} when more exist than were described. */
    public record ModuleDetails(String path, int versionCount, List<VersionDetails> versions, boolean truncated) {}

    private final BlobStore store;
    private final Supplier<List<String>> databases;
    private final VersionOrigins origins;
    private final Function<ModuleVersion, Optional<Instant>> lastRequested;
    private final Object buildLock = new Object();
    private volatile ConcurrentSkipListMap<String, Set<String>> modules = new ConcurrentSkipListMap<>();
    /** The index being built, while a rebuild runs; changes go to both. */
    private volatile ConcurrentSkipListMap<String, Set<String>> building;

    private final Set<ModuleVersion> removedWhileBuilding = ConcurrentHashMap.newKeySet();
    private volatile boolean ready;

    /**
     * @param databases     names of the checksum databases whose stored lookups count as verification
     * @param origins       other origins of versions (snapshot import)
     * @param lastRequested when a version was last requested, if known
     */
    public ModuleCatalog(
            BlobStore store,
            Supplier<List<String>> databases,
            VersionOrigins origins,
            Function<ModuleVersion, Optional<Instant>> lastRequested) {
        this.store = store;
        this.databases = databases;
        this.origins = origins;
        this.lastRequested = lastRequested;
    }

    /** Registers the index's size as gauges. */
    public ModuleCatalog metered(MeterRegistry registry) {
        Gauge.builder(Meters.CATALOG_MODULES, this, ModuleCatalog::moduleCount)
                .description("Modules with at least one stored version")
                .register(registry);
        Gauge.builder(Meters.CATALOG_VERSIONS, this, ModuleCatalog::versionCount)
                .description("Stored module versions")
                .register(registry);
        return this;
    }

    /** True once the index has been built from storage at least once. */
    public boolean ready() {
        return ready;
    }

    /** Builds the index anew from one listing of storage. Blocks; run it in the background. */
    public void rebuild() throws IOException {
        synchronized (buildLock) {
            ConcurrentSkipListMap<String, Set<String>> next = new ConcurrentSkipListMap<>();
            removedWhileBuilding.clear();
            building = next;
            try {
                for (BlobKey k : store.list(null)) {
                    Optional<ModuleVersion> mv = StorageLayout.versionOfInfo(k);
                    if (mv.isPresent() && !removedWhileBuilding.contains(mv.get())) {
                        put(next, mv.get());
                    }
                }
                modules = next;
                ready = true;
            } finally {
                building = null;
                removedWhileBuilding.clear();
            }
        }
        log.info("catalog: {} modules, {} versions in storage", moduleCount(), versionCount());
    }

    /** A version was committed. */
    public void added(ModuleVersion mv) {
        put(modules, mv);
        ConcurrentSkipListMap<String, Set<String>> b = building;
        if (b != null) {
            put(b, mv);
        }
    }

    /** A version was removed (retention, quarantine). */
    public void removed(ModuleVersion mv) {
        ConcurrentSkipListMap<String, Set<String>> b = building;
        if (b != null) {
            removedWhileBuilding.add(mv);
            drop(b, mv);
        }
        drop(modules, mv);
    }

    private static void put(Map<String, Set<String>> index, ModuleVersion mv) {
        index.computeIfAbsent(mv.path().value(), p -> ConcurrentHashMap.newKeySet())
                .add(mv.version());
    }

    private static void drop(Map<String, Set<String>> index, ModuleVersion mv) {
        index.computeIfPresent(mv.path().value(), (p, vs) -> {
            vs.remove(mv.version());
            return vs.isEmpty() ? null : vs;
        });
    }

    public int moduleCount() {
        return modules.size();
    }

    public int versionCount() {
        int n = 0;
        for (Set<String> vs : modules.values()) {
            n += vs.size();
        }
        return n;
    }

    /**
     * Modules whose path contains every word of {@code query} (case-insensitive), sorted by path; an
     * empty query lists from the start.
     *
     * @param limit most results returned
     */
    public List<ModuleSummary> search(String query, int limit) {
        String[] words = query == null
                ? new String[0]
                : query.strip().toLowerCase(Locale.ROOT).split("\\s+");
        List<ModuleSummary> out = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : modules.entrySet()) {
            if (out.size() >= limit) {
                break;
            }
            String path = e.getKey().toLowerCase(Locale.ROOT);
            boolean all = true;
            for (String w : words) {
                if (!w.isEmpty() && !path.contains(w)) {
                    all = false;
                    break;
                }
            }
            if (all && !e.getValue().isEmpty()) {
                List<String> vs = List.copyOf(e.getValue());
                out.add(new ModuleSummary(
                        e.getKey(), vs.size(), vs.stream().max(Semver.ORDER).orElse("")));
            }
        }
        return out;
    }

    /** Number of modules matching {@code query}, for "N of M" displays. */
    public int count(String query) {
        return search(query, Integer.MAX_VALUE).size();
    }

    /**
     * A module's stored versions with their details, newest first, read from storage.
     *
     * @param limit most versions described
     * @return empty when no version of the module is stored
     */
    public Optional<ModuleDetails> module(ModulePath path, int limit) throws IOException {
        List<String> versions = new ArrayList<>();
        BlobKey dir = StorageLayout.versionsDir(path);
        for (BlobKey k : store.list(dir)) {
            StorageLayout.versionOfInfo(k)
                    .filter(mv -> mv.path().equals(path))
                    .ifPresent(mv -> versions.add(mv.version()));
        }
        if (versions.isEmpty()) {
            return Optional.empty();
        }
        versions.sort(Semver.ORDER.reversed());
        List<VersionDetails> details = new ArrayList<>();
        for (String v : versions.subList(0, Math.min(limit, versions.size()))) {
            ModuleVersion mv = new ModuleVersion(path, v);
            version(mv).ifPresent(details::add);
        }
        return Optional.of(new ModuleDetails(path.value(), versions.size(), details, versions.size() > limit));
    }

    /** One version's details, or empty when it is not (or no longer) stored. */
    public Optional<VersionDetails> version(ModuleVersion mv) throws IOException {
        Optional<BlobStat> info = store.stat(StorageLayout.info(mv));
        if (info.isEmpty()) {
            return Optional.empty();
        }
        long zip = store.stat(StorageLayout.zip(mv)).map(BlobStat::size).orElse(-1L);
        long mod = store.stat(StorageLayout.mod(mv)).map(BlobStat::size).orElse(-1L);
        GoSum sums = readSum(StorageLayout.sum(mv), mv);
        List<Verification> verified = new ArrayList<>();
        for (String db : databases.get()) {
            if (store.exists(StorageLayout.sumdbLookup(db, mv))) {
                verified.add(new Verification("checksum-database", db));
            }
        }
        if (verified.isEmpty() && store.exists(StorageLayout.pin(mv))) {
            verified.add(new Verification("pinned", "private module, pinned at first fetch"));
        }
        origins.snapshotOf(mv).ifPresent(s -> verified.add(new Verification("snapshot", s)));
        return Optional.of(new VersionDetails(
                mv.version(),
                info.get().lastModified(),
                lastRequested.apply(mv).orElse(null),
                zip,
                mod,
                sums == null ? null : sums.zipH1(),
                sums == null ? null : sums.modH1(),
                List.copyOf(verified)));
    }

    private GoSum readSum(BlobKey key, ModuleVersion mv) throws IOException {
        Optional<Blob> b = store.get(key);
        if (b.isEmpty()) {
            return null;
        }
        try (Blob blob = b.get()) {
            return GoSum.find(new String(blob.readAllBytes(), StandardCharsets.UTF_8), mv);
        } catch (ProxyException e) {
            return null;
        }
    }
}
