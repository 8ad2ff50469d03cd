package dev.granary.storage;

/** How {@link BlobStore#put} treats an existing blob under the same key. */
public enum PutMode {
    /** Replace any existing blob atomically: readers see the old or the new content, never a mix. */
    REPLACE,
    /**
     * Write only if no blob exists under the key. When several writers race, exactly one wins and the
     * others observe {@code false}; stores without a native conditional write must still guarantee
     * that the winner's content is what readers see.
     */
    CREATE_ONLY
}
