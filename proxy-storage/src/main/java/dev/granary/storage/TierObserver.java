package dev.granary.storage;

/**
 * Receives what storage tiers see, for metrics: lookups (hit or miss), evictions and failures.
 *
 * <p>The tier names are free text chosen by whoever wires the stores, such as {@code "hot"},
 * {@code "disk"} or {@code "s3"}; {@link dev.granary.storage.tier.HotTierBlobStore} reports as
 * {@code "hot"}.
 *
 * <p>Implementations must be thread-safe, cheap and must not block: they are called on the storage
 * path, sometimes while a cache holds an internal lock. They should not throw; stores in this module
 * catch and log what an observer throws rather than fail the operation.
 */
public interface TierObserver {

    /** An observer that ignores everything. */
    TierObserver NONE = (tier, key, hit) -> {};

    /**
     * A lookup of {@code key} in {@code tier} found a blob ({@code hit}) or did not.
     *
     * @param tier the tier's name
     * @param key the key looked up
     * @param hit whether the tier held a blob under the key
     */
    void lookup(String tier, BlobKey key, boolean hit);

    /**
     * A cache tier dropped {@code key} to respect its bound (not an explicit invalidation).
     *
     * @param key the evicted key
     * @param bytes the content size that was released
     */
    default void evicted(BlobKey key, long bytes) {}

    /**
     * An operation on {@code tier} failed with {@code t} (the failure is still raised to the caller).
     *
     * @param tier the tier's name
     * @param operation the operation, such as {@code "get"} or {@code "put"}
     * @param t what was raised
     */
    default void error(String tier, String operation, Throwable t) {}

    /** How long one operation on a tier took (success or failure). */
    default void latency(String tier, String operation, long nanos) {}

    /** Content bytes moved by one operation: the size of a blob found by get, or written by put. */
    default void transferred(String tier, String operation, long bytes) {}
}
