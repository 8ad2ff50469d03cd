package dev.granary.core.gocache;

import dev.granary.core.Meters;
import dev.granary.core.layout.StorageLayout;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote build cache behind the {@code GOCACHEPROG} protocol: what the go command on one runner
 * built, keyed by action ID, for every other runner. Entries live in storage as
 * {@code gocache/actions/<aa>/<action>} (the go command's own action entry line, naming the output)
 * and {@code gocache/outputs/<oo>/<output>} (the output, named by its SHA-256; small ones stay in
 * the hot tier like any immutable blob).
 *
 * <p>Implementation notes:
 * <ul>
 *   <li>Trust: a put is stored only when the body's SHA-256 is its output ID, so what a lookup
 *       returns is exactly what some runner built for that action. Who may put is decided before
 *       (a write right); this class does not know about it.</li>
 *   <li>Bound: an in-memory index of the entries in order of last use (a put or a hit) decides what
 *       goes: the least recently used entries once the outputs exceed {@code maxBytes}, and entries
 *       not used for {@code maxAge}. Plain LRU on purpose: the newest entries (the last build of the
 *       main branch) are the ones the next runners want, and a frequency-based policy would turn
 *       them away for older, often-hit ones. Removing an entry deletes its action entry and, when no
 *       other entry points at it, its output; storage is touched outside the index's lock. The index
 *       is rebuilt from storage at start ({@link #load}), oldest entries first. Several replicas on
 *       one bucket each bound what they see; their sum can exceed the bound until entries age out.</li>
 *   <li>A lookup whose output has gone (evicted by another replica, lost) is a miss, and the dangling
 *       action entry is removed.</li>
 * </ul>
 * Methods block on storage: call them from a virtual thread.
 */
public final class RemoteBuildCache {
    private static final Logger log = LoggerFactory.getLogger(RemoteBuildCache.class);
    private static final long MIN_BYTES = 1024;

    /**
     * @param maxBytes most bytes of outputs kept (the action entries come on top, 175 bytes each)
     * @param maxAge   an entry not looked up or put for this long is removed
     */
    public record Settings(long maxBytes, Duration maxAge) {
        public Settings {
            if (maxBytes < MIN_BYTES || maxAge.isNegative() || maxAge.isZero()) {
                throw new IllegalArgumentException("build cache bound must be at least 1 KiB and its age positive");
            }
        }
    }

    /** A found entry; the caller owns {@code output} and closes it. */
    public record Hit(String outputId, long size, Instant time, Blob output) {}

    /** What the index keeps of an entry. */
    private record Held(String outputId, long size, long usedNanos) {
        long weight() {
            return size + ActionEntry.LENGTH;
        }
    }

    /** Removed from the index: what to delete from storage once the lock is released. */
    private record Removal(String actionId, String outputId, boolean lastUse) {}

    private final BlobStore store;
    private final Clock clock;
    private final LongSupplier ticker;
    private final Settings settings;
    /** Action ID to entry, least recently used first; guarded by itself. */
    private final LinkedHashMap<String, Held> index = new LinkedHashMap<>(1024, 0.75f, true);
    /** How many indexed entries point at each output: an output goes when the last one does; guarded by {@link #index}. */
    private final Map<String, Integer> refs = new HashMap<>();

    private long weight;
    private final AtomicBoolean loaded = new AtomicBoolean();
    private final Counter hits;
    private final Counter misses;
    private final Counter stored;
    private final Counter refused;
    private final Counter uploaded;
    private final Counter downloaded;
    private final DistributionSummary age;
    private final MeterRegistry registry;

    public RemoteBuildCache(BlobStore store, Settings settings, MeterRegistry registry) {
        this(store, settings, registry, System::nanoTime, Clock.systemUTC());
    }

    /** With a monotonic ticker (nanoseconds) for the index's ages and a clock for entry times (tests). */
    public RemoteBuildCache(
            BlobStore store, Settings settings, MeterRegistry registry, LongSupplier ticker, Clock clock) {
        this.store = store;
        this.clock = clock;
        this.ticker = ticker;
        this.settings = settings;
        this.registry = registry;
        this.hits = lookups(registry, "hit");
        this.misses = lookups(registry, "miss");
        this.stored = Counter.builder(Meters.GOCACHE_PUTS)
                .tag("result", "stored")
                .description("Remote build cache puts")
                .register(registry);
        this.refused = Counter.builder(Meters.GOCACHE_PUTS)
                .tag("result", "refused")
                .description("Remote build cache puts")
                .register(registry);
        this.uploaded = Counter.builder(Meters.GOCACHE_TRANSFERRED)
                .tag("direction", "upload")
                .baseUnit("bytes")
                .description("Output bytes stored (upload) and found by lookups (download)")
                .register(registry);
        this.downloaded = Counter.builder(Meters.GOCACHE_TRANSFERRED)
                .tag("direction", "download")
                .baseUnit("bytes")
                .description("Output bytes stored (upload) and found by lookups (download)")
                .register(registry);
        this.age = DistributionSummary.builder(Meters.GOCACHE_ENTRY_AGE)
                .baseUnit("seconds")
                .description("Age of the entries lookups hit, since their put")
                .serviceLevelObjectives(60, 3600, 86400, 7 * 86400.0)
                .register(registry);
        Gauge.builder(Meters.GOCACHE_SIZE, this, c -> c.indexedBytes())
                .baseUnit("bytes")
                .description("Output bytes held by the remote build cache, as its bound counts them")
                .register(registry);
        Gauge.builder(Meters.GOCACHE_ENTRIES, this, c -> c.entries())
                .description("Entries held by the remote build cache")
                .register(registry);
    }

    private static Counter lookups(MeterRegistry registry, String result) {
        return Counter.builder(Meters.GOCACHE_LOOKUPS)
                .tag("result", result)
                .description("Remote build cache lookups by action ID")
                .register(registry);
    }

    /**
     * Indexes the entries already in storage, oldest first, and removes outputs no entry points at
     * that are older than an hour (left by a put that died between its two writes). Call once, early;
     * lookups and puts work meanwhile.
     *
     * @return the number of entries indexed
     */
    public int load() throws IOException {
        if (!loaded.compareAndSet(false, true)) {
            return 0;
        }
        List<ActionEntry> entries = new ArrayList<>();
        for (BlobKey k : store.list(StorageLayout.gocacheActionsDir())) {
            readEntry(k).ifPresent(entries::add);
        }
        entries.sort(Comparator.comparingLong(ActionEntry::timeNanos));
        List<Removal> removals = new ArrayList<>();
        synchronized (index) {
            for (ActionEntry e : entries) {
                if (!index.containsKey(e.actionId())) {
                    // An entry's age counts from its put, as far as the index can tell after a restart.
                    long age = Math.max(
                            0,
                            Duration.between(Instant.ofEpochSecond(0, e.timeNanos()), clock.instant())
                                    .toNanos());
                    track(e.actionId(), new Held(e.outputId(), e.size(), ticker.getAsLong() - age), removals);
                }
            }
            bound(removals);
        }
        delete(removals);
        Instant old = clock.instant().minus(Duration.ofHours(1));
        for (BlobKey k : store.list(BlobKey.of("gocache/outputs"))) {
            boolean referenced;
            synchronized (index) {
                referenced = refs.containsKey(k.name());
            }
            if (!referenced) {
                store.stat(k).filter(s -> s.lastModified().isBefore(old)).ifPresent(s -> deleteQuietly(k));
            }
        }
        return entries.size();
    }

    /** The entry for {@code actionId} with its output opened, or empty on a miss. */
    public Optional<Hit> get(String actionId) throws IOException {
        BlobKey key = StorageLayout.gocacheAction(actionId);
        Optional<ActionEntry> entry = readEntry(key);
        if (entry.isEmpty()) {
            forget(actionId);
            misses.increment();
            return Optional.empty();
        }
        ActionEntry e = entry.get();
        Optional<Blob> out = store.get(StorageLayout.gocacheOutput(e.outputId()));
        if (out.isEmpty() || out.get().size() != e.size()) {
            out.ifPresent(RemoteBuildCache::closeQuietly);
            // The output went (another replica's bound, a lost file): the entry is of no use any more.
            forget(actionId);
            deleteQuietly(key);
            misses.increment();
            return Optional.empty();
        }
        List<Removal> removals = new ArrayList<>();
        synchronized (index) {
            Held h = index.get(actionId);
            long now = ticker.getAsLong();
            if (h == null || !h.outputId().equals(e.outputId())) {
                // Put by another replica, or before the index was loaded.
                track(actionId, new Held(e.outputId(), e.size(), now), removals);
            } else {
                index.put(actionId, new Held(h.outputId(), h.size(), now));
            }
            bound(removals);
        }
        delete(removals);
        hits.increment();
        downloaded.increment(e.size());
        Instant time = Instant.ofEpochSecond(0, e.timeNanos());
        age.record(Math.max(0, Duration.between(time, clock.instant()).toMillis() / 1000.0));
        return Optional.of(new Hit(e.outputId(), e.size(), time, out.get()));
    }

    /** An output by its ID (the older two-request protocol), or empty. */
    public Optional<Blob> output(String outputId) throws IOException {
        return store.get(StorageLayout.gocacheOutput(outputId));
    }

    /**
     * Stores {@code file} as the output of {@code actionId}: the output (unless already stored), then
     * the action entry, replacing an earlier one.
     *
     * @param sha256 the SHA-256 of {@code file}, computed while it was received
     * @throws IllegalArgumentException when {@code sha256} is not {@code outputId} (nothing is stored)
     */
    public void put(String actionId, String outputId, Path file, long size, String sha256) throws IOException {
        if (!CacheIds.isId(actionId) || !CacheIds.isId(outputId) || !outputId.equals(sha256)) {
            refused.increment();
            throw new IllegalArgumentException("the body's SHA-256 is " + sha256 + ", not the output ID " + outputId);
        }
        // Counted before the writes, so that an eviction meanwhile cannot delete the output under this entry.
        synchronized (index) {
            refs.merge(outputId, 1, Integer::sum);
        }
        boolean ok = false;
        List<Removal> removals = new ArrayList<>();
        try {
            store.put(StorageLayout.gocacheOutput(outputId), file, PutMode.CREATE_ONLY);
            ActionEntry entry = new ActionEntry(actionId, outputId, size, nanos(clock.instant()));
            store.put(StorageLayout.gocacheAction(actionId), entry.format());
            synchronized (index) {
                Held old = index.put(actionId, new Held(outputId, size, ticker.getAsLong()));
                weight += size + ActionEntry.LENGTH;
                if (old != null) {
                    weight -= old.weight();
                    removals.add(new Removal(null, old.outputId(), unref(old.outputId())));
                }
                bound(removals);
            }
            ok = true;
        } finally {
            if (!ok) {
                synchronized (index) {
                    removals.add(new Removal(null, outputId, unref(outputId)));
                }
            }
            // A replaced entry's action blob was just rewritten: delete() leaves blobs of indexed actions alone.
            delete(removals);
        }
        stored.increment();
        uploaded.increment(size);
    }

    /** Bytes in the index (outputs and action entries), as the bound counts them. */
    public long indexedBytes() {
        synchronized (index) {
            return weight;
        }
    }

    /** Entries in the index. */
    public int entries() {
        synchronized (index) {
            return index.size();
        }
    }

    /** Removes entries past their age now (it also happens on every lookup and put). */
    public void cleanUp() {
        List<Removal> removals = new ArrayList<>();
        synchronized (index) {
            bound(removals);
        }
        delete(removals);
    }

    /** Adds an entry not in the index yet; its output reference is counted. Holding the lock. */
    private void track(String actionId, Held h, List<Removal> removals) {
        refs.merge(h.outputId(), 1, Integer::sum);
        Held old = index.put(actionId, h);
        weight += h.weight();
        if (old != null) {
            weight -= old.weight();
            removals.add(new Removal(null, old.outputId(), unref(old.outputId())));
        }
    }

    /** Removes the least recently used entries while over the bound or past the age. Holding the lock. */
    private void bound(List<Removal> removals) {
        long oldest = ticker.getAsLong() - settings.maxAge().toNanos();
        Iterator<Map.Entry<String, Held>> it = index.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Held> e = it.next();
            String cause;
            if (e.getValue().usedNanos() - oldest < 0) {
                cause = "age";
            } else if (weight > settings.maxBytes()) {
                cause = "size";
            } else {
                break;
            }
            it.remove();
            weight -= e.getValue().weight();
            removals.add(new Removal(
                    e.getKey(), e.getValue().outputId(), unref(e.getValue().outputId())));
            Counter.builder(Meters.GOCACHE_EVICTIONS)
                    .tag("cause", cause)
                    .description("Remote build cache entries removed by the size bound or for not being used")
                    .register(registry)
                    .increment();
        }
    }

    /** Drops an entry from the index (its blobs are the caller's business). */
    private void forget(String actionId) {
        List<Removal> removals = new ArrayList<>();
        synchronized (index) {
            Held h = index.remove(actionId);
            if (h != null) {
                weight -= h.weight();
                removals.add(new Removal(actionId, h.outputId(), unref(h.outputId())));
            }
        }
        delete(removals);
    }

    /** One entry fewer points at {@code outputId}; true when none does any more. Holding the lock. */
    private boolean unref(String outputId) {
        Integer n = refs.get(outputId);
        if (n == null || n <= 1) {
            refs.remove(outputId);
            return true;
        }
        refs.put(outputId, n - 1);
        return false;
    }

    /** Deletes removed entries' action blobs and their outputs that nothing points at any more. */
    private void delete(List<Removal> removals) {
        for (Removal r : removals) {
            if (r.actionId() != null) {
                boolean back;
                synchronized (index) {
                    back = index.containsKey(r.actionId());
                }
                if (!back) {
                    deleteQuietly(StorageLayout.gocacheAction(r.actionId()));
                }
            }
            if (r.lastUse()) {
                boolean back;
                synchronized (index) {
                    back = refs.containsKey(r.outputId());
                }
                if (!back) {
                    deleteQuietly(StorageLayout.gocacheOutput(r.outputId()));
                }
            }
        }
    }

    private Optional<ActionEntry> readEntry(BlobKey key) throws IOException {
        Optional<Blob> b = store.get(key);
        if (b.isEmpty()) {
            return Optional.empty();
        }
        byte[] content;
        try (Blob blob = b.get();
                InputStream in = blob.openStream()) {
            content = in.readNBytes(ActionEntry.LENGTH + 1);
        }
        Optional<ActionEntry> e =
                ActionEntry.parse(content).filter(a -> a.actionId().equals(key.name()));
        if (e.isEmpty()) {
            log.warn("removing malformed build cache entry {}", key);
            deleteQuietly(key);
        }
        return e;
    }

    private void deleteQuietly(BlobKey key) {
        try {
            store.delete(key);
        } catch (IOException | RuntimeException e) {
            log.warn("removing build cache blob {}: {}", key, e.toString());
        }
    }

    private static void closeQuietly(Blob b) {
        try {
            b.close();
        } catch (IOException e) {
            log.debug("closing blob: {}", e.toString());
        }
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
