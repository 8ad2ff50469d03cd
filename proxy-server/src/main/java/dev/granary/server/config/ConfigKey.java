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
    HOT_MAX_BYTES("hot.max-bytes", "256MiB", "hot tier (memory) capacity in bytes"),
    HOT_MAX_ITEM_BYTES("hot.max-item-bytes", "1MiB", "largest artifact kept in the hot tier; larger zips stream from the durable tier"),
    CACHE_LIST_TTL("cache.list-ttl", "60s", "how long list, @latest and query answers are fresh"),
    CACHE_NOT_FOUND_TTL("cache.not-found-ttl", "30s", "how long a not-found answer is remembered"),
    FETCH_TIMEOUT("fetch.timeout", "5m", "timeout of one upstream request"),
    FETCH_CONNECT_TIMEOUT("fetch.connect-timeout", "10s", "timeout to connect to an upstream"),
    FETCH_RETRIES("fetch.retries", "2", "retries of an upstream request on connection errors and 5xx"),
    FETCH_MAX_ZIP_BYTES("fetch.max-zip-bytes", "500MiB", "largest module zip accepted from an upstream"),
    SHUTDOWN_GRACE("shutdown.grace", "30s", "how long SIGTERM waits for in-flight responses");

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
