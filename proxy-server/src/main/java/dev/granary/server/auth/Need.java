package dev.granary.server.auth;

/**
 * What a request needs to be answered, declared by its route ({@code Router.Route#requiring}) and
 * checked by the edge before the answer is computed.
 *
 * @param right   the right needed, or null when the request is open to everybody and credentials
 *                are not even looked at (health, readiness, the index page)
 * @param subject what it is about: the module path for {@link Right#READ} (null: every module, as
 *                for {@link #catalog}), the checksum database's name for {@link #sumdb}, else null
 */
public record Need(Right right, String subject, boolean anyRead) {

    /** Open: health and readiness probes, the index page. */
    public static final Need OPEN = new Need(null, null, false);

    /** A module's artifacts, list, @latest or queries: {@code path} is the module path. */
    public static Need read(String path) {
        return new Need(Right.READ, path, false);
    }

    /** The checksum-database proxy: guarded when {@code auth.required} matches the database's name; any read right will do. */
    public static Need sumdb(String name) {
        return new Need(Right.READ, name, true);
    }

    /**
     * The module catalog's listings (every stored module path): with {@code auth.required} set, a token
     * that may read every module ({@code read} or {@code admin}); a token limited to some patterns
     * would otherwise learn the others' module paths.
     */
    public static Need catalog() {
        return new Need(Right.READ, null, false);
    }

    /** {@code /metrics}: a token with {@code metrics} (or {@code admin}) when {@code auth.metrics} is on. */
    public static Need metrics() {
        return new Need(Right.METRICS, null, false);
    }

    /** Reading the shared build cache: a token with {@code cache-read} (or better) when client authentication is on. */
    public static Need cacheRead() {
        return new Need(Right.CACHE_READ, null, false);
    }

    /** Writing to the shared build cache: always a token with {@code cache-write} (or {@code admin}). */
    public static Need cacheWrite() {
        return new Need(Right.CACHE_WRITE, null, false);
    }

    /** Administration: always a token with {@code admin}. */
    public static Need admin() {
        return new Need(Right.ADMIN, null, false);
    }

    public boolean isOpen() {
        return right == null;
    }
}
