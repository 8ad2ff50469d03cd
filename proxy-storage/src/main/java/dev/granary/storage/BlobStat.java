package dev.granary.storage;

import java.time.Instant;
import java.util.Optional;

/**
 * What a store knows about a blob without opening it.
 *
 * @param key the blob's key
 * @param size exact size in bytes
 * @param lastModified when the blob was written, as the store records it
 * @param etag an entity tag when the store has one cheaply
 */
public record BlobStat(BlobKey key, long size, Instant lastModified, Optional<String> etag) {}
