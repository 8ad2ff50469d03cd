package dev.granary.storage.tier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import dev.granary.storage.TierObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-heap cache of small blobs in front of a durable {@link BlobStore}, bounded by bytes.
 *
 * <p>{@link #get} answers from memory when it can; on a miss it opens the durable blob and, if the
 * key is {@code cacheable} and the blob is at most {@code maxItemBytes} long, reads it into memory,
 * caches it and returns it as a heap blob. Larger or non-cacheable blobs are returned exactly as the
 * durable store opened them, so a 500 MiB zip streams (or goes zero-copy from its file channel) and
 * never enters the heap. Writes and deletes go to the durable store first and then drop the hot entry;
 * the next read repopulates it. The cache never holds anything the durable store did not hold.
 *
 * <p>The full {@link BlobStore} contract holds, as the durable store provides it. {@link #stat} and
 * {@link #list} always ask the durable store, which is authoritative for metadata. Thread-safe.
 * Closing this store closes the durable store.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>Bound.</b> Caffeine's W-TinyLFU with {@code maximumWeight(maxBytes)}; an entry weighs its
 *       content length plus a fixed overhead for key and bookkeeping, so the heap actually used stays
 *       near the configured bytes. Maintenance runs on the calling thread ({@code Runnable::run}), so
 *       the bound is enforced when a write returns, not later on a pool, and evictions are reported
 *       to the {@link TierObserver} synchronously.</li>
 *   <li><b>No stale entries after a write.</b> A reader that missed loads from the durable store
 *       without holding any lock, so a put can complete between its durable read and its cache insert.
 *       To stop the reader from then caching the old bytes, every put/delete/invalidate bumps a
 *       generation counter (striped by key hash) <em>before</em> removing the entry, and the reader
 *       inserts only if the generation it saw before its durable read is unchanged, checked inside
 *       {@code asMap().compute} so the check and the insert are atomic with respect to the writer's
 *       removal. A stripe shared by unrelated keys only costs an occasional skipped insert.</li>
 *   <li><b>Failures.</b> A blob whose read fails or comes up short is never cached; the error goes to
 *       the caller and to {@link TierObserver#error} as tier {@value #TIER}, operation {@code load}.</li>
 *   <li>Heap blobs share the cached array: {@link Blob#heapBytes()} must be treated as read-only.</li>
 * </ul>
 */
public final class HotTierBlobStore implements BlobStore {

    /** The tier name reported to the observer. */
    public static final String TIER = "hot";
    /** Largest item the hot tier can hold (Caffeine weights are ints). */
    public static final long MAX_ITEM_LIMIT = Integer.MAX_VALUE - 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger(HotTierBlobStore.class);
    /** Approximate heap cost of an entry besides its content: node, record, key string header. */
    private static final int ENTRY_OVERHEAD = 128;

    private static final int GENERATION_STRIPES = 256;

    private record Hot(byte[] bytes, Optional<String> etag) {}

    private final BlobStore durable;
    private final long maxBytes;
    private final long maxItemBytes;
    private final Predicate<BlobKey> cacheable;
    private final TierObserver observer;
    private final Cache<BlobKey, Hot> cache;
    private final AtomicLongArray generations = new AtomicLongArray(GENERATION_STRIPES);

    /** A hot tier caching every key up to {@code maxItemBytes}, reporting to nobody. */
    public HotTierBlobStore(BlobStore durable, long maxBytes, long maxItemBytes) {
        this(durable, maxBytes, maxItemBytes, key -> true, TierObserver.NONE);
    }

    /**
     * @param durable the store of record; every write goes there first
     * @param maxBytes the bound on the cached content, in bytes (0 disables caching)
     * @param maxItemBytes blobs larger than this are never cached; at most {@code maxBytes} and
     *     {@link #MAX_ITEM_LIMIT}
     * @param cacheable which keys may be cached at all (others are never looked up nor counted)
     * @param observer receives hot-tier hits, misses, evictions and load failures
     */
    public HotTierBlobStore(
            BlobStore durable, long maxBytes, long maxItemBytes, Predicate<BlobKey> cacheable, TierObserver observer) {
        this.durable = Objects.requireNonNull(durable, "durable");
        this.cacheable = Objects.requireNonNull(cacheable, "cacheable");
        this.observer = Objects.requireNonNull(observer, "observer");
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes " + maxBytes + " < 0");
        }
        if (maxItemBytes < 0 || maxItemBytes > maxBytes || maxItemBytes > MAX_ITEM_LIMIT) {
            throw new IllegalArgumentException(
                    "maxItemBytes " + maxItemBytes + " outside 0.." + Math.min(maxBytes, MAX_ITEM_LIMIT));
        }
        this.maxBytes = maxBytes;
        this.maxItemBytes = maxItemBytes;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher(HotTierBlobStore::weight)
                .executor(Runnable::run)
                .recordStats()
                .removalListener((BlobKey key, Hot hot, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE && key != null && hot != null) {
                        try {
                            observer.evicted(key, hot.bytes.length);
                        } catch (RuntimeException e) {
                            log.warn("tier observer failed on eviction", e);
                        }
                    }
                })
                .build();
    }

    /**
     * Answers from memory, or opens the durable blob and caches it when small and cacheable (see the
     * class description). Reports a hot hit or miss for every cacheable key.
     */
    @Override
    public Optional<Blob> get(BlobKey key) throws IOException {
        Objects.requireNonNull(key, "key");
        boolean eligible = maxItemBytes > 0 && cacheable.test(key);
        if (eligible) {
            Hot hot = cache.getIfPresent(key);
            lookup(key, hot != null);
            if (hot != null) {
                return Optional.of(Blob.ofBytes(hot.bytes, hot.etag.orElse(null)));
            }
        }
        long generation = generations.get(stripe(key));
        Optional<Blob> found = durable.get(key);
        if (!eligible || found.isEmpty() || found.get().size() > maxItemBytes) {
            return found;
        }
        Blob blob = found.get();
        long size = blob.size();
        Optional<String> etag = blob.etag();
        byte[] bytes;
        try (blob) {
            bytes = blob.readAllBytes();
            if (bytes.length != size) {
                throw new StorageException("read " + bytes.length + " of the " + size + " bytes of " + key);
            }
        } catch (IOException | RuntimeException e) {
            error("load", e);
            throw e;
        }
        Hot entry = new Hot(bytes, etag);
        cache.asMap().compute(key, (k, old) -> generations.get(stripe(k)) == generation ? entry : old);
        return Optional.of(Blob.ofBytes(bytes, etag.orElse(null)));
    }

    /** Asks the durable store. */
    @Override
    public Optional<BlobStat> stat(BlobKey key) throws IOException {
        return durable.stat(key);
    }

    /** Writes through to the durable store, then drops the hot entry (also when the write failed). */
    @Override
    public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
        try {
            return durable.put(key, content, size, mode);
        } finally {
            invalidate(key);
        }
    }

    /** Writes through to the durable store (which may link or move), then drops the hot entry. */
    @Override
    public boolean put(BlobKey key, Path file, PutMode mode) throws IOException {
        try {
            return durable.put(key, file, mode);
        } finally {
            invalidate(key);
        }
    }

    /** Deletes from the durable store, then drops the hot entry. */
    @Override
    public boolean delete(BlobKey key) throws IOException {
        try {
            return durable.delete(key);
        } finally {
            invalidate(key);
        }
    }

    /** Asks the durable store. */
    @Override
    public List<BlobKey> list(BlobKey prefix) throws IOException {
        return durable.list(prefix);
    }

    /**
     * Drops any hot entry for {@code key}, so that the next read goes to the durable store; for when
     * the durable content changed behind this tier's back. A read in flight will not re-insert older
     * content.
     */
    public void invalidate(BlobKey key) {
        Objects.requireNonNull(key, "key");
        generations.incrementAndGet(stripe(key));
        cache.invalidate(key);
    }

    /** Drops every hot entry. */
    public void invalidateAll() {
        for (int i = 0; i < GENERATION_STRIPES; i++) {
            generations.incrementAndGet(i);
        }
        cache.invalidateAll();
    }

    /** Bytes currently charged against {@link #maxBytes()} (content plus per-entry overhead). */
    public long weightedSize() {
        cache.cleanUp();
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }

    /** The configured bound, in bytes. */
    public long maxBytes() {
        return maxBytes;
    }

    /** The largest blob that may be cached, in bytes. */
    public long maxItemBytes() {
        return maxItemBytes;
    }

    /** Entries evicted to respect the bound since construction. */
    public long evictionCount() {
        return cache.stats().evictionCount();
    }

    /** Entries currently cached (an estimate under concurrency). */
    public long entryCount() {
        return cache.estimatedSize();
    }

    /** The durable store behind this tier. */
    public BlobStore durable() {
        return durable;
    }

    /** Asks the durable store. */
    @Override
    public Optional<URI> presignGet(BlobKey key, Duration expiry) throws IOException {
        return durable.presignGet(key, expiry);
    }

    @Override
    public void checkHealth() throws IOException {
        durable.checkHealth();
    }

    @Override
    public String describe() {
        return "hot(" + maxBytes + " bytes) over " + durable.describe();
    }

    @Override
    public void close() throws IOException {
        invalidateAll();
        durable.close();
    }

    private static int weight(BlobKey key, Hot hot) {
        return (int) Math.min(
                Integer.MAX_VALUE,
                (long) hot.bytes.length + ENTRY_OVERHEAD + 2L * key.value().length());
    }

    private static int stripe(BlobKey key) {
        return Math.floorMod(key.hashCode(), GENERATION_STRIPES);
    }

    private void lookup(BlobKey key, boolean hit) {
        try {
            observer.lookup(TIER, key, hit);
        } catch (RuntimeException e) {
            log.warn("tier observer failed on lookup", e);
        }
    }

    private void error(String operation, Throwable t) {
        try {
            observer.error(TIER, operation, t);
        } catch (RuntimeException e) {
            log.warn("tier observer failed on error", e);
        }
    }
}
