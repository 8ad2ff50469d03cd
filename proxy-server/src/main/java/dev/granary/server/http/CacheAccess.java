package dev.granary.server.http;

/**
 * Whether a request may use the build caches in one way: read (look up entries, download bundles) or
 * write (put entries, publish bundles). Writing is a right of its own, so that an untrusted build (a
 * pull request) can read the shared cache but never poison it. Today {@link TokenCacheAccess} decides
 * by a configured token; client authentication with rights replaces it behind this interface.
 * Decided on a request's head, on the event loop: implementations do no I/O.
 */
@FunctionalInterface
public interface CacheAccess {
    /** Everyone: reads when no read token is configured. */
    CacheAccess OPEN = ex -> true;
    /** No one: writes when no write token is configured. */
    CacheAccess NONE = ex -> false;

    boolean allowed(Exchange ex);
}
