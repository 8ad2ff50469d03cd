package dev.granary.core;

/**
 * Every meter name Granary registers, in one catalogue. Names are Micrometer's dotted form of
 * {@code granary_<noun>_<unit>}; the Prometheus registry appends {@code _total}, {@code _seconds} and
 * {@code _bytes}. Dashboards and alerting rules name the Prometheus forms of these.
 */
public final class Meters {
    private Meters() {}

    // ---- requests (server) ---------------------------------------------------------------------
    /** Timer {kind, status}: HTTP requests by endpoint kind and status. */
    public static final String HTTP_REQUESTS = "granary.http.requests";
    /** Counter {kind}, bytes: body bytes written to clients. */
    public static final String SERVED_BYTES = "granary.served";
    /** Gauge: client connections open now. */
    public static final String HTTP_CONNECTIONS_OPEN = "granary.http.connections.open";
    /** Gauge: requests accepted and not yet answered. */
    public static final String HTTP_REQUESTS_IN_FLIGHT = "granary.http.requests.in.flight";
    /** Counter {reason}: connections turned away at a connection cap (server-limit, client-limit). */
    public static final String HTTP_CONNECTIONS_REJECTED = "granary.http.connections.rejected";
    /** Counter {phase}: connections closed by a timeout (header, idle, write). */
    public static final String HTTP_CONNECTIONS_TIMEOUTS = "granary.http.connections.timeouts";
    /** Counter: connections that ended before their request was answered. */
    public static final String HTTP_CONNECTIONS_ABORTED = "granary.http.connections.aborted";

    // ---- storage tiers (server, fed by proxy-storage's TierObserver) ---------------------------
    /** Counter {tier, kind, result}: storage lookups by tier, artifact kind and hit/miss. */
    public static final String CACHE_LOOKUPS = "granary.cache.lookups";
    /** Counter: hot tier evictions. */
    public static final String HOT_EVICTIONS = "granary.hot.evictions";
    /** Gauge, bytes: bytes held by the hot tier. */
    public static final String HOT_SIZE = "granary.hot.size";
    /** Gauge, bytes: hot tier capacity. */
    public static final String HOT_CAPACITY = "granary.hot.capacity";
    /** Counter {tier, operation}: storage errors. */
    public static final String STORAGE_ERRORS = "granary.storage.errors";
    /** Timer {tier, operation}: storage operation latency. */
    public static final String STORAGE_OPERATIONS = "granary.storage.operations";
    /** Counter {tier, operation}, bytes: content bytes read or written. */
    public static final String STORAGE_TRANSFERRED = "granary.storage.transferred";
    /** Gauge, bytes: free space on the disk tier's file system (what a non-root process may use). */
    public static final String STORAGE_DISK_FREE = "granary.storage.disk.free";
    /** Gauge, bytes: size of the disk tier's file system. */
    public static final String STORAGE_DISK_TOTAL = "granary.storage.disk.total";
    /** Gauge, bytes: heap high-water mark since start. */
    public static final String JVM_HEAP_PEAK = "granary.jvm.heap.peak";

    // ---- fetch pipeline (core) -----------------------------------------------------------------
    /** Timer {kind, result}: requests to the upstream chain. */
    public static final String UPSTREAM_FETCH = "granary.upstream.fetch";
    /** Counter: requests that joined a fetch already in progress. */
    public static final String SINGLEFLIGHT_JOINS = "granary.singleflight.joins";
    /** Counter: module versions fetched, verified and committed. */
    public static final String VERSIONS_COMMITTED = "granary.versions.committed";
    /**
     * Counter {reason}: content refused by verification (zip rules, go.mod mismatch, checksums; for
     * release archives dl-size-mismatch, dl-sha256-mismatch, dl-signature-missing, dl-signature-refused).
     */
    public static final String VERIFICATION_FAILURES = "granary.verification.failures";
    /** Counter: fetches left to another replica holding the lease. */
    public static final String LEASE_WAITS = "granary.leases.waits";

    /** Gauge: upstream requests in progress now (bounded by fetch.max-concurrent). */
    public static final String UPSTREAM_IN_FLIGHT = "granary.upstream.in.flight";
    /** Gauge: upstream requests waiting for one of the fetch.max-concurrent slots. */
    public static final String UPSTREAM_WAITING = "granary.upstream.waiting";

    // ---- policy (core) -------------------------------------------------------------------------
    /** Counter {reason}: versions refused by policy (denied, not-allowed, quarantined). */
    public static final String POLICY_REFUSALS = "granary.policy.refusals";

    // ---- security at the edge (server) ---------------------------------------------------------
    /** Counter {reason}: requests refused by client authentication (missing, invalid, forbidden). */
    public static final String AUTH_REFUSALS = "granary.auth.refusals";
    /** Gauge: client tokens loaded (auth.tokens-file and auth.tokens). */
    public static final String AUTH_TOKENS = "granary.auth.tokens";
    /** Counter {limit}: requests refused at a limit (client-rate, token-rate: 429; upstream-concurrency: 503). */
    public static final String LIMIT_REFUSALS = "granary.limits.refusals";
    /** Counter {file, result}: reloads of the TLS certificate and the token file after they changed (ok, failed). */
    public static final String RELOADS = "granary.reloads";
    /** Gauge, seconds: the TLS certificate's notAfter, as seconds since the epoch (alert well before it). */
    public static final String TLS_CERTIFICATE_EXPIRY = "granary.tls.certificate.expiry";
    /** Counter: TLS handshakes that failed (wrong protocol, untrusted certificate on the client side, timeout). */
    public static final String TLS_HANDSHAKE_FAILURES = "granary.tls.handshake.failures";

    // ---- checksum database (core) --------------------------------------------------------------
    /** Counter {result}: checksum verifications of fetched versions. */
    public static final String SUMDB_VERIFICATIONS = "granary.sumdb.verifications";
    /** Counter {endpoint, cache}: /sumdb/ answers by endpoint and cache result. */
    public static final String SUMDB_SERVED = "granary.sumdb.served";
    /** Timer {db, endpoint, result}: requests to a checksum database. */
    public static final String SUMDB_FETCH = "granary.sumdb.fetch";
    /** Gauge {db}: size of the newest verified tree head. */
    public static final String SUMDB_TREE_SIZE = "granary.sumdb.tree.size";
    /** Counter {db}: databases caught presenting inconsistent tree heads. */
    public static final String SUMDB_FORKS = "granary.sumdb.forks";
    /**
     * Counter {db}: offline, requests for tiles beyond the newest imported tree head, made by clients
     * that hold a newer head (they were online since).
     */
    public static final String SUMDB_CLIENT_AHEAD = "granary.sumdb.client.ahead";

    // ---- snapshots (core, server and the import command) ---------------------------------------
    /** Counter {result}: snapshot imports by result (imported, unchanged, refused, failed, recovered). */
    public static final String SNAPSHOT_IMPORTS = "granary.snapshot.imports";
    /** Gauge {db}: tree size of the newest imported snapshot's checksum-database head. */
    public static final String SNAPSHOT_TREE_SIZE = "granary.snapshot.tree.size";
    /** Gauge, seconds: age of the newest imported snapshot (since it was exported). */
    public static final String SNAPSHOT_AGE = "granary.snapshot.age";

    // ---- build caches (core) -------------------------------------------------------------------
    /** Counter {result}: remote build cache lookups by action ID (hit, miss). */
    public static final String GOCACHE_LOOKUPS = "granary.gocache.lookups";
    /** Counter {result}: remote build cache puts (stored, refused). */
    public static final String GOCACHE_PUTS = "granary.gocache.puts";
    /** Counter {direction}, bytes: output bytes stored (upload) and found by lookups (download). */
    public static final String GOCACHE_TRANSFERRED = "granary.gocache.transferred";
    /** Distribution, seconds: age of the entries lookups hit (time since their put). */
    public static final String GOCACHE_ENTRY_AGE = "granary.gocache.entry.age";
    /** Gauge, bytes: outputs held by the remote build cache, as its size bound counts them. */
    public static final String GOCACHE_SIZE = "granary.gocache.size";
    /** Gauge: entries (action IDs) held by the remote build cache. */
    public static final String GOCACHE_ENTRIES = "granary.gocache.entries";
    /** Counter {cause}: entries removed by the size bound (size) or for not being used (age). */
    public static final String GOCACHE_EVICTIONS = "granary.gocache.evictions";
    /** Counter {result}: pre-warm bundles published (stored, refused). */
    public static final String GOCACHE_BUNDLES_PUBLISHED = "granary.gocache.bundles.published";
    // ---- catalog and retention (core) ----------------------------------------------------------
    /** Gauge: modules with at least one stored version, as the catalog's index knows them. */
    public static final String CATALOG_MODULES = "granary.catalog.modules";
    /** Gauge: stored versions, as the catalog's index knows them. */
    public static final String CATALOG_VERSIONS = "granary.catalog.versions";
    /** Counter {what}: what retention removed: version (a module version) or blob (size-bound caches). */
    public static final String GC_REMOVED = "granary.gc.removed";
    /** Counter, bytes: storage released by retention. */
    public static final String GC_RECLAIMED = "granary.gc.reclaimed";
    /** Counter {result}: retention runs by result (ok, error). */
    public static final String GC_RUNS = "granary.gc.runs";
    /** Gauge, seconds since the epoch: end of the last retention run that succeeded (0 before any). */
    public static final String GC_LAST_SUCCESS = "granary.gc.last.success.timestamp";

    // ---- release archive mirror (core) ---------------------------------------------------------
    /** Counter: release archives fetched, verified (SHA-256 and signature) and committed. */
    public static final String DL_COMMITTED = "granary.dl.committed";
    /** Counter: release listing answers served stale because the release site failed. */
    public static final String DL_LISTING_STALE = "granary.dl.listing.stale";
}
