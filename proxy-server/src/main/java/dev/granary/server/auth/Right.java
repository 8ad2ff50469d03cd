package dev.granary.server.auth;

/** What a request needs a client to be allowed: the rights a token line grants. */
public enum Right {
    /** Read modules (of the patterns a token's {@code read:} grants, or all with plain {@code read}). */
    READ,
    /** Read the shared Go build cache. */
    CACHE_READ,
    /** Write to the shared Go build cache (implies {@link #CACHE_READ}). */
    CACHE_WRITE,
    /** Read {@code /metrics} when {@code auth.metrics} is on. */
    METRICS,
    /** Everything. */
    ADMIN
}
