package dev.granary.server.config;

/**
 * Every configuration key, in one place: its YAML path, its environment variable and its default.
 * The example config in {@code deploy/granary.yaml} documents the same keys; a test keeps them in step.
 */
public enum ConfigKey {
    LISTEN("listen", "0.0.0.0:3000", "HOST:PORT to listen on"),
    STORAGE("storage", null, "disk tier root (default: <user cache dir>/granary)"),
    UPSTREAM("upstream", "https://proxy.golang.org", "upstream list in GOPROXY syntax: ',' falls through on 404/410, '|' on any error; 'off' = offline"),
    SUMDB("sumdb", "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
            "checksum databases in GOSUMDB syntax, comma-separated ('<name>+<hash>+<key> [<url>]'); 'off' disables verification"),
    NOSUMDB("nosumdb", "", "GONOSUMDB-style patterns of private modules: not looked up, pinned to the h1 of their first fetch"),
    S3_ENDPOINT("s3.endpoint", null, "S3 endpoint URL (any S3-compatible store); empty = AWS"),
    S3_BUCKET("s3.bucket", null, "S3 bucket: when set, S3 is the durable tier shared by all replicas"),
    S3_PREFIX("s3.prefix", "", "key prefix inside the bucket"),
    S3_REGION("s3.region", "us-east-1", "S3 region"),
    S3_PATH_STYLE("s3.path-style", "false", "path-style addressing (MinIO, Ceph, s3proxy)"),
    S3_ACCESS_KEY_ID("s3.access-key-id", null, "S3 access key; default: AWS_ACCESS_KEY_ID or the SDK's default chain"),
    S3_SECRET_ACCESS_KEY("s3.secret-access-key", null, "S3 secret key; default: AWS_SECRET_ACCESS_KEY or the SDK's default chain"),
    S3_LOCAL_CACHE("s3.local-cache", "false", "keep a read-through copy of S3 objects on the local disk tier (storage)"),
    S3_REDIRECT("s3.redirect", "false", "answer .zip downloads with a redirect to a presigned S3 URL"),
    S3_REDIRECT_EXPIRY("s3.redirect-expiry", "15m", "lifetime of presigned .zip URLs"),
    S3_LEASE_TTL("s3.lease-ttl", "5m", "how long a replica's fetch lease lasts before another replica may take the fetch over"),
    HOT_MAX_BYTES("hot.max-bytes", "256MiB", "hot tier (memory) capacity in bytes"),
    HOT_MAX_ITEM_BYTES("hot.max-item-bytes", "1MiB", "largest artifact kept in the hot tier; larger zips stream from the durable tier"),
    CACHE_LIST_TTL("cache.list-ttl", "60s", "how long list, @latest and query answers are fresh"),
    CACHE_NOT_FOUND_TTL("cache.not-found-ttl", "30s", "how long a not-found answer is remembered"),
    FETCH_TIMEOUT("fetch.timeout", "5m", "timeout of one upstream request"),
    FETCH_CONNECT_TIMEOUT("fetch.connect-timeout", "10s", "timeout to connect to an upstream"),
    FETCH_RETRIES("fetch.retries", "2", "retries of an upstream request on connection errors and 5xx"),
    FETCH_MAX_ZIP_BYTES("fetch.max-zip-bytes", "500MiB", "largest module zip accepted from an upstream"),
    SHUTDOWN_GRACE("shutdown.grace", "30s", "how long SIGTERM waits for in-flight responses"),
    GIT_ROUTES("git.routes", "", "private modules straight from git, one route per line or ';'-separated: "
            + "'PATTERN [go-get|URL-TEMPLATE] [insecure] [netrc[=FILE]] [user=NAME] [token-file=FILE|token-env=VAR] "
            + "[ssh-key=FILE [known-hosts=FILE]]'; "
            + "matching modules never go to the upstream proxies or the checksum database"),
    GIT_MIRROR_DIR("git.mirror-dir", null, "bare mirrors of the routed repositories (default: <storage>/.git-mirrors; with S3, a temporary directory)"),
    GIT_TIMEOUT("git.timeout", "5m", "timeout of one git fetch or go-import meta request"),
    GIT_MAX_REPO_BYTES("git.max-repo-bytes", "2GiB", "largest mirror of one repository; a fetch beyond it is cancelled");

    private final String path;
    private final String defaultValue;
    private final String description;

    ConfigKey(String path, String defaultValue, String description) {
        this.path = path;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /** Dotted YAML path, such as {@code hot.max-bytes}. */
    public String path() {
        return path;
    }

    /** The environment variable: {@code GRANARY_} + the path upper-cased with {@code .} and {@code -} as {@code _}. */
    public String env() {
        return "GRANARY_" + path.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }
}
