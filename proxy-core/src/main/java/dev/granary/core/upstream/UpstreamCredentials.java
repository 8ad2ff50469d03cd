package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Credentials for upstream hosts: HTTP Basic or Bearer, the secret read from an environment variable
 * or a file, never written in the configuration itself.
 *
 * <p>Entries, separated by commas or whitespace:
 * <pre>
 *   HOST[:PORT]=bearer:env:VAR
 *   HOST[:PORT]=bearer:file:/path/to/token
 *   HOST[:PORT]=basic:USER:env:VAR
 *   HOST[:PORT]=basic:USER:file:/path/to/password
 * </pre>
 * An entry without a port applies to every port of its host; one with a port wins over one without.
 * Each request (and each redirect hop) gets the credential of the host it goes to, so a redirect to
 * another host never carries it. A secret file is read again when it changes (rotated tokens,
 * mounted Kubernetes secrets); trailing whitespace in it is ignored.
 *
 * <p>No message, log line or {@code toString} of this class contains a secret: parse errors name the
 * entry's host and position and the variable or file, not what was written after them.
 */
public final class UpstreamCredentials {
    private static final Logger log = LoggerFactory.getLogger(UpstreamCredentials.class);

    /** No credentials for any host. */
    public static final UpstreamCredentials NONE = new UpstreamCredentials(List.of());

    private final List<Entry> entries;

    private UpstreamCredentials(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Parses the entries above.
     *
     * @param env the environment {@code env:} sources are read from (resolved now: the process
     *     environment does not change)
     * @throws IllegalArgumentException for a malformed entry, an unset variable, an unreadable or
     *     empty file, or a secret that cannot go into an HTTP header
     */
    public static UpstreamCredentials parse(String spec, Map<String, String> env) {
        if (spec == null || spec.isBlank()) {
            return NONE;
        }
        List<Entry> entries = new ArrayList<>();
        int n = 0;
        for (String item : spec.strip().split("[,\\s]+")) {
            n++;
            entries.add(Entry.parse(item, n, env));
        }
        return new UpstreamCredentials(entries);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The configured hosts and where their secrets come from, for logs: {@code host:8443 bearer (env TOKEN)}. */
    public String describe() {
        List<String> out = new ArrayList<>();
        for (Entry e : entries) {
            out.add(e.host + (e.port < 0 ? "" : ":" + e.port) + " " + (e.user == null ? "bearer" : "basic " + e.user)
                    + " (" + e.secret.describe() + ")");
        }
        return entries.isEmpty() ? "none" : String.join(", ", out);
    }

    @Override
    public String toString() {
        return "UpstreamCredentials[" + describe() + "]";
    }

    /**
     * The {@code Authorization} for a request to {@code target}, if its host has an entry.
     *
     * @throws ProxyException {@code UPSTREAM_FAILED} when a secret file cannot be read any more
     */
    Optional<Authorization> authorization(URI target) {
        String host = target.getHost() == null ? "" : target.getHost().toLowerCase(Locale.ROOT);
        int port = effectivePort(target);
        Entry best = null;
        for (Entry e : entries) {
            if (e.host.equals(host) && (e.port == port || e.port < 0) && (best == null || best.port < 0)) {
                best = e;
            }
        }
        return best == null ? Optional.empty() : Optional.of(best.authorization());
    }

    static int effectivePort(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /** HTTP Basic credentials (RFC 7617) as a header value. */
    static Authorization basic(String user, String password) {
        String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return new Authorization("Basic " + token, List.of(password, token));
    }

    /** An {@code Authorization} header value and the strings that must never be shown (the secret, its encodings). */
    static final class Authorization {
        private final String header;
        private final List<String> secrets;

        Authorization(String header, List<String> secrets) {
            this.header = header;
            this.secrets = List.copyOf(secrets);
        }

        String header() {
            return header;
        }

        List<String> secrets() {
            return secrets;
        }

        @Override
        public String toString() {
            return "Authorization[***]";
        }
    }

    private static final class Entry {
        final String host;
        final int port;
        final String user;
        final Secret secret;

        private Entry(String host, int port, String user, Secret secret) {
            this.host = host;
            this.port = port;
            this.user = user;
            this.secret = secret;
        }

        static Entry parse(String item, int n, Map<String, String> env) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                // The text may be a pasted secret: never echo it.
                throw new IllegalArgumentException("upstream credentials: entry " + n
                        + ": expected HOST[:PORT]=bearer:SOURCE or HOST[:PORT]=basic:USER:SOURCE");
            }
            String hostPort = item.substring(0, eq).toLowerCase(Locale.ROOT);
            String where = "upstream credentials: entry " + n + " (" + Texts.printable(hostPort) + ")";
            String host = hostPort;
            int port = -1;
            int colon = hostPort.lastIndexOf(':');
            if (colon >= 0 && hostPort.indexOf(']', colon) < 0) {
                host = hostPort.substring(0, colon);
                try {
                    port = Integer.parseInt(hostPort.substring(colon + 1));
                    if (port < 1 || port > 65535) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + ": invalid port");
                }
            }
            if (host.isEmpty() || host.contains("/") || host.contains("@")) {
                throw new IllegalArgumentException(where + ": expected a host name, optionally with :PORT");
            }
            String rest = item.substring(eq + 1);
            String user = null;
            String source;
            if (rest.startsWith("bearer:")) {
                source = rest.substring("bearer:".length());
            } else if (rest.startsWith("basic:")) {
                String s = rest.substring("basic:".length());
                int c = s.indexOf(':');
                if (c <= 0) {
                    throw new IllegalArgumentException(where + ": expected basic:USER:env:VAR or basic:USER:file:PATH");
                }
                user = s.substring(0, c);
                source = s.substring(c + 1);
                if (!user.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
                    throw new IllegalArgumentException(where + ": the user name must be printable ASCII");
                }
            } else {
                throw new IllegalArgumentException(where + ": expected bearer:SOURCE or basic:USER:SOURCE");
            }
            Secret secret;
            if (source.startsWith("env:") && source.length() > 4) {
                secret = Secret.env(source.substring(4), env, where);
            } else if (source.startsWith("file:") && source.length() > 5) {
                secret = Secret.file(Path.of(source.substring(5)), where);
            } else {
                throw new IllegalArgumentException(where + ": the secret must come from env:VAR or file:PATH");
            }
            Entry e = new Entry(host, port, user, secret);
            e.authorization(); // validates the secret now, so a bad one fails at start-up
            return e;
        }

        Authorization authorization() {
            String s = secret.get();
            if (user != null) {
                return basic(user, s);
            }
            return new Authorization("Bearer " + s, List.of(s));
        }
    }

    /** Where a secret comes from; holds its value but never shows it. */
    private abstract static class Secret {
        final String where;

        Secret(String where) {
            this.where = where;
        }

        abstract String get();

        abstract String describe();

        @Override
        public String toString() {
            return describe();
        }

        static Secret env(String var, Map<String, String> env, String where) {
            String v = env.get(var);
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(where + ": environment variable " + var + " is not set");
            }
            String value = check(v.strip(), where + ": environment variable " + var);
            return new Secret(where) {
                @Override
                String get() {
                    return value;
                }

                @Override
                String describe() {
                    return "env " + var;
                }
            };
        }

        static Secret file(Path file, String where) {
            FileSecret s = new FileSecret(file, where);
            try {
                s.reload();
            } catch (IOException e) {
                throw new IllegalArgumentException(where + ": reading " + file + ": " + Texts.ioReason(e));
            }
            return s;
        }

        /** Refuses what cannot be sent in a header (and would make the HTTP client fail with the value in its message). */
        static String check(String value, String what) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException(what + " is empty");
            }
            if (!value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException(what + " holds whitespace, control or non-ASCII characters");
            }
            return value;
        }
    }

    /** A secret in a file, read again whenever the file's modification time or size changes. */
    private static final class FileSecret extends Secret {
        private final Path file;
        private FileTime modified;
        private long size = -1;
        private String value;

        FileSecret(Path file, String where) {
            super(where);
            this.file = file;
        }

        @Override
        synchronized String get() {
            try {
                if (!Files.getLastModifiedTime(file).equals(modified) || Files.size(file) != size) {
                    reload();
                }
            } catch (IOException | IllegalArgumentException e) {
                if (value == null) {
                    throw unavailable(e);
                }
                // Keep serving with the last good secret; the operator sees why in the log.
                log.warn(
                        "{}: re-reading {}: {}; using the previous secret",
                        where,
                        file,
                        e instanceof IOException io ? Texts.ioReason(io) : e.getMessage());
            }
            return value;
        }

        private ProxyException unavailable(Exception e) {
            log.warn(
                    "{}: reading {}: {}",
                    where,
                    file,
                    e instanceof IOException io ? Texts.ioReason(io) : e.getMessage());
            return new ProxyException(Kind.UPSTREAM_FAILED, "upstream credentials unavailable");
        }

        synchronized void reload() throws IOException {
            FileTime m = Files.getLastModifiedTime(file);
            long sz = Files.size(file);
            String v = check(Files.readString(file, StandardCharsets.UTF_8).strip(), where + ": file " + file);
            value = v;
            modified = m;
            size = sz;
        }

        @Override
        String describe() {
            return "file " + file;
        }
    }
}
