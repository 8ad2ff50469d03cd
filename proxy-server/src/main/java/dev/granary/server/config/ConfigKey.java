package dev.granary.server.config;

import dev.granary.core.dl.DlTrust;
import java.util.Locale;

/**
 * Every configuration key, in one place: its YAML path, command-line flag, environment variable,
 * type and default.
 * The example config in {@code deploy/granary.yaml} documents the same keys; a test keeps them in step.
 */
public enum ConfigKey {
    LISTEN("listen", Type.ADDRESS, "0.0.0.0:3000", "HOST:PORT to listen on"),
    STORAGE("storage", Type.TEXT, null, "disk tier root (default: <user cache dir>/granary)"),
    UPSTREAM(
            "upstream",
            Type.TEXT,
            "https://proxy.golang.org",
            "upstream list in GOPROXY syntax: ',' falls through on 404/410, '|' on any error; 'off' = offline"),
    SUMDB(
            "sumdb",
            Type.TEXT,
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
            "checksum databases in GOSUMDB syntax, comma-separated ('<name>+<hash>+<key> [<url>]'); 'off' disables verification"),
    NOSUMDB(
            "nosumdb",
            Type.TEXT,
            "",
            "GONOSUMDB-style patterns of private modules: not looked up, pinned to the h1 of their first fetch"),
    S3_ENDPOINT("s3.endpoint", Type.TEXT, null, "S3 endpoint URL (any S3-compatible store); empty = AWS"),
    S3_BUCKET("s3.bucket", Type.TEXT, null, "S3 bucket: when set, S3 is the durable tier shared by all replicas"),
    S3_PREFIX("s3.prefix", Type.TEXT, "", "key prefix inside the bucket"),
    S3_REGION("s3.region", Type.TEXT, "us-east-1", "S3 region"),
    S3_PATH_STYLE("s3.path-style", Type.BOOL, "false", "path-style addressing (MinIO, Ceph, s3proxy)"),
    S3_ACCESS_KEY_ID(
            "s3.access-key-id",
            Type.SECRET,
            null,
            "S3 access key; default: AWS_ACCESS_KEY_ID or the SDK's default chain"),
    S3_SECRET_ACCESS_KEY(
            "s3.secret-access-key",
            Type.SECRET,
            null,
            "S3 secret key; default: AWS_SECRET_ACCESS_KEY or the SDK's default chain"),
    S3_LOCAL_CACHE(
            "s3.local-cache",
            Type.BOOL,
            "false",
            "keep a read-through copy of S3 objects on the local disk tier (storage)"),
    S3_REDIRECT("s3.redirect", Type.BOOL, "false", "answer .zip downloads with a redirect to a presigned S3 URL"),
    S3_REDIRECT_EXPIRY("s3.redirect-expiry", Type.DURATION, "15m", "lifetime of presigned .zip URLs"),
    S3_LEASE_TTL(
            "s3.lease-ttl",
            Type.DURATION,
            "5m",
            "how long a replica's fetch lease lasts before another replica may take the fetch over"),
    HOT_MAX_BYTES("hot.max-bytes", Type.SIZE, "256MiB", "hot tier (memory) capacity in bytes"),
    HOT_MAX_ITEM_BYTES(
            "hot.max-item-bytes",
            Type.SIZE,
            "1MiB",
            "largest artifact kept in the hot tier; larger zips stream from the durable tier"),
    CACHE_LIST_TTL("cache.list-ttl", Type.DURATION, "60s", "how long list, @latest and query answers are fresh"),
    CACHE_NOT_FOUND_TTL("cache.not-found-ttl", Type.DURATION, "30s", "how long a not-found answer is remembered"),
    CACHE_FAILURE_TTL(
            "cache.failure-ttl",
            Type.DURATION,
            "5s",
            "how long an upstream failure or a refused version is remembered (no refetch meanwhile)"),
    FETCH_TIMEOUT(
            "fetch.timeout",
            Type.DURATION,
            "5m",
            "bound on one upstream fetch: connect, headers, the whole body, and every retry"),
    FETCH_IDLE_TIMEOUT(
            "fetch.idle-timeout",
            Type.DURATION,
            "30s",
            "an upstream body that delivers nothing for this long fails (504)"),
    FETCH_CONNECT_TIMEOUT("fetch.connect-timeout", Type.DURATION, "10s", "timeout to connect to an upstream"),
    FETCH_RETRIES(
            "fetch.retries",
            Type.COUNT,
            "2",
            "retries on connection errors, stalled bodies, 429 and 5xx (jittered backoff, or the upstream's Retry-After up to 5s)"),
    FETCH_REDIRECTS(
            "fetch.redirects",
            Type.TEXT,
            "same-host",
            "upstream redirects followed: same-host, any or none (never https to http, at most 5 hops)"),
    FETCH_CREDENTIALS(
            "fetch.credentials",
            Type.TEXT,
            "",
            "upstream credentials: 'HOST[:PORT]=bearer:env:VAR' or '=basic:USER:file:PATH' entries, comma-separated"),
    FETCH_MAX_ZIP_BYTES("fetch.max-zip-bytes", Type.SIZE, "500MiB", "largest module zip accepted from an upstream"),
    DL_UPSTREAM(
            "dl.upstream",
            Type.TEXT,
            "https://go.dev/dl/",
            "Go release site mirrored at /dl/: listing <url>?mode=json&include=all, files <url><filename> (redirects to any https host are followed; the content is verified); 'off' = stored archives only"),
    DL_KEYRING(
            "dl.keyring",
            Type.TEXT,
            null,
            "OpenPGP public key file trusted to sign release archives (gpg --export [--armor]); unset = fetch the key from dl.keyring-url"),
    DL_KEYRING_URL(
            "dl.keyring-url",
            Type.TEXT,
            DlTrust.Settings.GOOGLE_KEY_URL.toString(),
            "where the release signing key is fetched from, once, when dl.keyring is unset; accepted only if it is the pinned key"),
    DL_KEY_FINGERPRINT(
            "dl.key-fingerprint",
            Type.TEXT,
            DlTrust.Settings.GOOGLE_LINUX_SIGNING_KEY,
            "primary key fingerprints trusted to sign release archives, comma-separated (default: Google's Linux packages signing key); 'none' = every key of dl.keyring"),
    DL_LISTING_TTL(
            "dl.listing-ttl",
            Type.DURATION,
            "5m",
            "how long the release listing is fresh; after that it is fetched again (and answered stale if the site fails)"),
    DL_MAX_ARCHIVE_BYTES(
            "dl.max-archive-bytes", Type.SIZE, "1GiB", "largest release archive accepted from the release site"),
    SHUTDOWN_GRACE("shutdown.grace", Type.DURATION, "30s", "how long SIGTERM waits for in-flight responses"),
    HTTP_HEADER_TIMEOUT(
            "http.header-timeout",
            Type.DURATION,
            "20s",
            "time a client has to send a request line and headers once it starts (and after connecting); then 408 and close"),
    HTTP_IDLE_TIMEOUT(
            "http.idle-timeout",
            Type.DURATION,
            "2m",
            "a keep-alive connection with no request, or whose client stopped reading an answer, is closed after this long"),
    HTTP_MAX_CONNECTIONS(
            "http.max-connections",
            Type.COUNT,
            "10000",
            "most client connections open at once (lowered to fit the open-file limit); more are answered 503 and closed"),
    HTTP_MAX_CONNECTIONS_PER_CLIENT(
            "http.max-connections-per-client",
            Type.COUNT,
            "256",
            "most connections open at once from one client address; 0 = no per-address limit (behind a load balancer)"),
    READINESS_MIN_FREE(
            "readiness.min-free",
            Type.SIZE_OR_PERCENT,
            "1GiB",
            "/readyz fails when the disk tier's file system has less free space than this (a size, or a percentage like 5%)"),
    GOCACHE_MAX_BYTES(
            "gocache.max-bytes",
            Type.SIZE,
            "10GiB",
            "remote build cache (GOCACHEPROG) size bound: least recently used entries go beyond it"),
    GOCACHE_MAX_AGE(
            "gocache.max-age", Type.DURATION, "7d", "remote build cache entries not used for this long are removed"),
    GOCACHE_MAX_ENTRY_BYTES(
            "gocache.max-entry-bytes", Type.SIZE, "1GiB", "largest build cache output accepted by a PUT"),
    GOCACHE_MAX_BUNDLE_BYTES(
            "gocache.max-bundle-bytes", Type.SIZE, "8GiB", "largest pre-warm bundle accepted by a PUT"),
    GOCACHE_CLIENT_MODULE(
            "gocache.client-module",
            Type.BOOL,
            "true",
            "publish the GOCACHEPROG client (granary.dev/gocacheprog) as a module version at start, for go install"),
    GIT_ROUTES(
            "git.routes",
            Type.TEXT,
            "",
            "private modules straight from git, one route per line or ';'-separated: "
                    + "PATTERN [go-get | URL-TEMPLATE] [insecure] [netrc[=FILE]] [user=NAME] [token-file=FILE | token-env=VAR] [ssh-key=FILE [known-hosts=FILE]]"),
    GIT_MIRROR_DIR(
            "git.mirror-dir",
            Type.TEXT,
            null,
            "bare mirrors of the routed repositories (default: <storage>/.git-mirrors; with S3, a temporary directory)"),
    GIT_TIMEOUT("git.timeout", Type.DURATION, "5m", "timeout of one git fetch or go-import meta request"),
    GIT_MAX_REPO_BYTES(
            "git.max-repo-bytes",
            Type.SIZE,
            "2GiB",
            "largest mirror of one repository; a fetch beyond it is cancelled"),
    LOG_ACCESS(
            "log.access",
            Type.BOOL,
            "false",
            "access log on stdout, one line per request: method, path, status, bytes, duration, tier, client (JSON with GRANARY_LOG_FORMAT=json)"),
    GC_MAX_AGE(
            "gc.max-age",
            Type.DURATION,
            "0",
            "retention: module versions not requested for this long are removed (granary gc, gc.schedule); 0 = keep every version"),
    GC_SCHEDULE(
            "gc.schedule",
            Type.DURATION,
            "0",
            "how often serve applies retention (gc.max-age) itself; 0 = never (run granary gc from cron instead)"),
    TLS_CERT(
            "tls.cert",
            Type.TEXT,
            null,
            "PEM certificate chain, leaf first; with tls.key the listener speaks TLS (HTTP/2 and HTTP/1.1), reloaded when the files change"),
    TLS_KEY("tls.key", Type.TEXT, null, "PEM private key of tls.cert (PKCS#8, PKCS#1 RSA or SEC1 EC, not encrypted)"),
    TLS_PLAIN_LISTEN(
            "tls.plain-listen",
            Type.ADDRESS,
            null,
            "with TLS on, also serve plain HTTP/1.1 at this HOST:PORT (e.g. 127.0.0.1:3080 for local probes and tools); empty = no"),
    RELOAD_INTERVAL(
            "reload-interval",
            Type.DURATION,
            "10s",
            "how often tls.cert, tls.key and auth.tokens-file are read for changes"),
    AUTH_TOKENS_FILE(
            "auth.tokens-file",
            Type.TEXT,
            null,
            "client tokens, one per line: '<name> sha256:<hex> <right>...' ('granary token new' prints one); reloaded when it changes"),
    AUTH_TOKENS("auth.tokens", Type.TEXT, "", "more client token lines, ';'-separated (hashes, never tokens)"),
    AUTH_REQUIRED(
            "auth.required",
            Type.TEXT,
            "",
            "GOPRIVATE-style patterns of modules only clients with a token and a read right get; '*' = all (and /sumdb/); empty = none. "
                    + "When set, reading the build caches needs a token with cache-read too"),
    AUTH_METRICS("auth.metrics", Type.BOOL, "false", "/metrics needs a token with the metrics (or admin) right"),
    POLICY_DENY(
            "policy.deny",
            Type.TEXT,
            "",
            "versions refused (403): '<patterns> [<range>] [# note]' rules, one per line or ';'-separated, e.g. 'golang.org/x/crypto <v0.31.0'"),
    POLICY_ALLOW(
            "policy.allow", Type.TEXT, "", "when set, only versions these rules cover are served (deny still wins)"),
    POLICY_MIN_AGE(
            "policy.min-age",
            Type.DURATION,
            "0",
            "quarantine: a version whose .info Time is more recent than this is refused (403) until it is that old; 0 = off"),
    POLICY_MIN_AGE_EXEMPT(
            "policy.min-age-exempt",
            Type.TEXT,
            "",
            "GOPRIVATE-style patterns of modules policy.min-age does not apply to (your own)"),
    LIMITS_CLIENT_RATE(
            "limits.client-rate",
            Type.COUNT,
            "0",
            "requests per second from one client address (health, readiness and metrics excepted); more get 429; 0 = no limit"),
    LIMITS_CLIENT_BURST(
            "limits.client-burst",
            Type.COUNT,
            "200",
            "requests one client address may make at once before limits.client-rate applies"),
    LIMITS_TOKEN_RATE(
            "limits.token-rate", Type.COUNT, "0", "requests per second with one token; more get 429; 0 = no limit"),
    LIMITS_TOKEN_BURST(
            "limits.token-burst",
            Type.COUNT,
            "200",
            "requests one token may make at once before limits.token-rate applies"),
    LIMITS_TRUSTED_PROXIES(
            "limits.trusted-proxies",
            Type.TEXT,
            "",
            "load balancers (IP addresses or CIDR ranges) whose X-Forwarded-For names the client, for limits.client-rate"),
    FETCH_MAX_CONCURRENT(
            "fetch.max-concurrent",
            Type.COUNT,
            "64",
            "upstream requests (proxies, git routes, checksum databases) in progress at once; more wait for fetch.queue-timeout, then 503"),
    FETCH_QUEUE_TIMEOUT(
            "fetch.queue-timeout",
            Type.DURATION,
            "30s",
            "how long a request waits for one of the fetch.max-concurrent slots");

    /** What a key's value is: decides its validation, its flag's arity, and whether it is ever shown. */
    public enum Type {
        /** Free text. */
        TEXT,
        /** HOST:PORT. */
        ADDRESS,
        /** A size such as 256MiB. */
        SIZE,
        /** A size, or a share of a file system such as 5%. */
        SIZE_OR_PERCENT,
        /** A duration such as 30s or 5m. */
        DURATION,
        /** true or false; as a flag, given alone it means true. */
        BOOL,
        /** A non-negative integer. */
        COUNT,
        /** Text that is never printed (credentials). */
        SECRET
    }

    private final String path;
    private final Type type;
    private final String defaultValue;
    private final String description;

    ConfigKey(String path, Type type, String defaultValue, String description) {
        this.path = path;
        this.type = type;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    public Type type() {
        return type;
    }

    /** The command-line flag: {@code --} + the path with {@code .} as {@code -}, such as {@code --s3-path-style}. */
    public String flag() {
        return "--" + path.replace('.', '-');
    }

    /** Dotted YAML path, such as {@code hot.max-bytes}. */
    public String path() {
        return path;
    }

    /** The environment variable: {@code GRANARY_} + the path upper-cased with {@code .} and {@code -} as {@code _}. */
    public String env() {
        return "GRANARY_" + path.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }
}
