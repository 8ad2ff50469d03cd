package dev.granary.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.granary.core.dl.DlTrust;
import dev.granary.core.upstream.HttpUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolved configuration. Each key's value comes from, in order: the command line, the environment
 * ({@link ConfigKey#env()}), the YAML file, the built-in default.
 */
public final class GranaryConfig {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B?|B)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);

    private final Map<ConfigKey, String> values;
    private final Map<ConfigKey, String> sources;

    private GranaryConfig(Map<ConfigKey, String> values, Map<ConfigKey, String> sources) {
        this.values = values;
        this.sources = sources;
    }

    /**
     * Resolves every key.
     *
     * @param flags values given on the command line (absent keys omitted)
     * @param env the environment, usually {@code System.getenv()}
     * @param yaml the config file, if any
     * @throws IllegalArgumentException for an unreadable file, an unknown key in it, or a bad value
     */
    public static GranaryConfig load(Map<ConfigKey, String> flags, Map<String, String> env, Optional<Path> yaml) {
        Map<ConfigKey, String> fromFile = yaml.map(GranaryConfig::readYaml).orElse(Map.of());
        Map<ConfigKey, String> values = new EnumMap<>(ConfigKey.class);
        Map<ConfigKey, String> sources = new EnumMap<>(ConfigKey.class);
        for (ConfigKey k : ConfigKey.values()) {
            String v;
            String src;
            if (flags.get(k) != null) {
                v = flags.get(k);
                src = "flag";
            } else if (env.get(k.env()) != null && !env.get(k.env()).isBlank()) {
                v = env.get(k.env());
                src = k.env();
            } else if (fromFile.get(k) != null) {
                v = fromFile.get(k);
                src = yaml.get().toString();
            } else {
                v = k.defaultValue();
                src = "default";
            }
            if (v != null) {
                values.put(k, v.strip());
            }
            sources.put(k, src);
        }
        GranaryConfig c = new GranaryConfig(values, sources);
        c.validate();
        return c;
    }

    private void validate() {
        listen();
        for (ConfigKey k : ConfigKey.values()) {
            String v = values.get(k);
            if (v == null) {
                continue;
            }
            switch (k) {
                case FETCH_REDIRECTS -> redirects();
                case DL_UPSTREAM -> dlUpstream();
                case DL_KEY_FINGERPRINT, DL_KEYRING, DL_KEYRING_URL -> dlTrust();
                case TLS_PLAIN_LISTEN -> {
                    if (!v.isEmpty()) {
                        address(k);
                    }
                }
                case HTTP_MAX_CONNECTIONS, FETCH_MAX_CONCURRENT -> positive(k, integer(k));
                case FETCH_QUEUE_TIMEOUT, RELOAD_INTERVAL ->
                    positive(k, duration(k).toMillis());
                case HTTP_HEADER_TIMEOUT, HTTP_IDLE_TIMEOUT ->
                    positive(k, duration(k).toMillis());
                default -> {}
            }
            switch (k.type()) {
                case SIZE -> bytes(k);
                case SIZE_OR_PERCENT -> sizeOrPercent(k);
                case DURATION -> duration(k);
                case BOOL -> bool(k);
                case COUNT -> integer(k);
                default -> {}
            }
        }
    }

    static Map<ConfigKey, String> readYaml(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("config " + file + ": " + e.getMessage(), e);
        }
        Map<ConfigKey, String> out = new EnumMap<>(ConfigKey.class);
        if (root == null || root.isMissingNode() || root.isNull()) {
            return out;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("config " + file + ": expected a mapping at the top level");
        }
        flatten(file, "", root, out);
        return out;
    }

    private static void flatten(Path file, String prefix, JsonNode node, Map<ConfigKey, String> out) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                flatten(file, path, v, out);
                continue;
            }
            ConfigKey key = byPath(path)
                    .orElseThrow(() -> new IllegalArgumentException("config " + file + ": unknown key '" + path + "'"));
            if (!v.isNull()) {
                out.put(key, v.asText());
            }
        }
    }

    static Optional<ConfigKey> byPath(String path) {
        for (ConfigKey k : ConfigKey.values()) {
            if (k.path().equals(path)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** The raw value of a key, or null when it has none. */
    public String get(ConfigKey k) {
        return values.get(k);
    }

    /** Where a key's value came from: flag, an environment variable, the file, or default. */
    public String source(ConfigKey k) {
        return sources.get(k);
    }

    public String host() {
        return listen()[0];
    }

    public int port() {
        return Integer.parseInt(listen()[1]);
    }

    private String[] listen() {
        return address(ConfigKey.LISTEN);
    }

    /** A HOST:PORT key as host and port; {@code [v6]} brackets removed, an empty host is 0.0.0.0. */
    public String[] address(ConfigKey k) {
        String v = values.get(k);
        int i = v.lastIndexOf(':');
        if (i < 0) {
            throw new IllegalArgumentException(k.path() + ": expected HOST:PORT, got '" + v + "'");
        }
        String host = v.substring(0, i);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String port = v.substring(i + 1);
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(k.path() + ": invalid port in '" + v + "'");
        }
        return new String[] {host.isEmpty() ? "0.0.0.0" : host, port};
    }

    /** The storage root: configured, or {@code <user cache dir>/granary}. */
    public Path storage(Map<String, String> env) {
        String v = values.get(ConfigKey.STORAGE);
        return v != null ? Path.of(v) : userCacheDir(env).resolve("granary");
    }

    /** Like Go's os.UserCacheDir: $XDG_CACHE_HOME, else ~/Library/Caches on macOS, else ~/.cache. */
    static Path userCacheDir(Map<String, String> env) {
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg);
        }
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("mac")) {
            return Path.of(home, "Library", "Caches");
        }
        return Path.of(home, ".cache");
    }

    /** {@code fetch.redirects}: which redirects an upstream may send Granary to. */
    public HttpUpstream.Redirects redirects() {
        try {
            return HttpUpstream.Redirects.parse(values.get(ConfigKey.FETCH_REDIRECTS));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ConfigKey.FETCH_REDIRECTS.path() + ": " + e.getMessage(), e);
        }
    }

    /** {@code dl.upstream}: the release site's base URL (ending in /), or empty for {@code off}. */
    public Optional<URI> dlUpstream() {
        String v = values.get(ConfigKey.DL_UPSTREAM);
        if (v == null || v.isBlank() || v.equalsIgnoreCase("off")) {
            return Optional.empty();
        }
        return Optional.of(httpUrl(ConfigKey.DL_UPSTREAM, v.endsWith("/") ? v : v + "/"));
    }

    /** {@code dl.keyring}, {@code dl.keyring-url} and {@code dl.key-fingerprint}: where trust in release archives comes from. */
    public DlTrust.Settings dlTrust() {
        String file = values.get(ConfigKey.DL_KEYRING);
        String fpr = values.getOrDefault(ConfigKey.DL_KEY_FINGERPRINT, "");
        List<String> pins = fpr.isBlank() || fpr.strip().equalsIgnoreCase("none")
                ? List.of()
                : Arrays.stream(fpr.split(","))
                        .map(String::strip)
                        .filter(x -> !x.isEmpty())
                        .toList();
        Path keyring = file == null || file.isBlank() ? null : Path.of(file);
        URI url = keyring != null
                ? null
                : httpUrl(ConfigKey.DL_KEYRING_URL, values.getOrDefault(ConfigKey.DL_KEYRING_URL, ""));
        try {
            return new DlTrust.Settings(keyring, url, pins);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    ConfigKey.DL_KEY_FINGERPRINT.path() + ": " + e.getMessage()
                            + (keyring == null ? " (set dl.keyring to trust the keys of a file)" : ""),
                    e);
        }
    }

    private static URI httpUrl(ConfigKey k, String v) {
        URI u;
        try {
            u = new URI(v.strip());
        } catch (URISyntaxException e) {
            // The value is not quoted: a URL may carry a password.
            throw new IllegalArgumentException(k.path() + ": not a valid URL");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
            throw new IllegalArgumentException(k.path() + ": expected an http(s) URL with a host");
        }
        return u;
    }

    public long bytes(ConfigKey k) {
        return parseBytes(k.path(), values.get(k));
    }

    public Duration duration(ConfigKey k) {
        return parseDuration(k.path(), values.get(k));
    }

    public boolean bool(ConfigKey k) {
        String v = values.get(k).toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0", "" -> false;
            default ->
                throw new IllegalArgumentException(k.path() + ": expected true or false, got '" + values.get(k) + "'");
        };
    }

    public int integer(ConfigKey k) {
        try {
            int v = Integer.parseInt(values.get(k));
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    k.path() + ": expected a non-negative integer, got '" + values.get(k) + "'");
        }
    }

    private static void positive(ConfigKey k, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(k.path() + ": must be greater than zero");
        }
    }

    /** A size in bytes, or a percentage of a whole (such as a file system's size): {@code 1GiB} or {@code 5%}. */
    public record SizeOrPercent(long bytes, double percent) {
        /** The amount out of {@code whole} bytes. */
        public long of(long whole) {
            return percent >= 0 ? (long) Math.ceil(whole * percent / 100) : bytes;
        }
    }

    public SizeOrPercent sizeOrPercent(ConfigKey k) {
        String v = values.get(k).strip();
        if (v.endsWith("%")) {
            try {
                double p = Double.parseDouble(v.substring(0, v.length() - 1).strip());
                if (!(p >= 0 && p <= 100)) {
                    throw new NumberFormatException();
                }
                return new SizeOrPercent(-1, p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        k.path() + ": expected a size like 1GiB or a percentage like 5%, got '" + v + "'");
            }
        }
        return new SizeOrPercent(bytes(k), -1);
    }

    /** Parses {@code 1024}, {@code 64KiB}, {@code 256MiB}, {@code 1GB} (binary units throughout). */
    static long parseBytes(String key, String v) {
        Matcher m = SIZE.matcher(v.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + ": expected a size like 256MiB, got '" + v + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        int shift = switch (unit.charAt(0)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        return Math.multiplyExact(n, 1L << shift);
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d}; a bare number is seconds. */
    static Duration parseDuration(String key, String v) {
        Matcher m = DURATION.matcher(v.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + ": expected a duration like 30s or 5m, got '" + v + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
