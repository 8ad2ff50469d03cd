package dev.granary.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log ({@code log.access}): one line per answered request on the {@code granary.access}
 * logger, which logback writes to stdout apart from diagnostics. Fields: method, path, status, body
 * bytes, duration, tier, client address (and the endpoint kind). As {@code key=value} pairs, or one
 * JSON object per line when {@code GRANARY_LOG_FORMAT=json}.
 *
 * <p>Never logged: query strings and fragments (tokens travel there), the userinfo and host of an
 * absolute-form target, request headers (Authorization). Paths are cut at 1,024 characters and
 * control characters escaped, so a hostile request cannot forge log lines.
 */
public final class AccessLog {
    private static final Logger log = LoggerFactory.getLogger("granary.access");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PATH = 1024;

    /** An access log that writes nothing. */
    public static final AccessLog OFF = new AccessLog(false, false);

    private final boolean enabled;
    private final boolean json;

    private AccessLog(boolean enabled, boolean json) {
        this.enabled = enabled;
        this.json = json;
    }

    /** On or off as configured; JSON when the environment asks for JSON logs. */
    public static AccessLog of(boolean enabled, Map<String, String> env) {
        return enabled
                ? new AccessLog(
                        true,
                        "json"
                                .equalsIgnoreCase(env.getOrDefault("GRANARY_LOG_FORMAT", "")
                                        .strip()))
                : OFF;
    }

    boolean enabled() {
        return enabled;
    }

    /** Logs one answered request. */
    void record(
            String method, String target, int status, long bytes, long nanos, String tier, String client, String kind) {
        if (enabled) {
            log.info(
                    json
                            ? json(Instant.now(), method, target, status, bytes, nanos, tier, client, kind)
                            : text(method, target, status, bytes, nanos, tier, client, kind));
        }
    }

    static String text(
            String method, String target, int status, long bytes, long nanos, String tier, String client, String kind) {
        return "method=" + method + " path=" + quote(path(target)) + " status=" + status + " bytes=" + bytes
                + " duration_ms=" + millis(nanos) + " tier=" + tier + " client=" + client + " kind=" + kind;
    }

    static String json(
            Instant time,
            String method,
            String target,
            int status,
            long bytes,
            long nanos,
            String tier,
            String client,
            String kind) {
        ObjectNode n = JSON.createObjectNode();
        n.put("time", time.toString());
        n.put("method", method);
        n.put("path", path(target));
        n.put("status", status);
        n.put("bytes", bytes);
        n.put("duration_ms", Double.parseDouble(millis(nanos)));
        n.put("tier", tier);
        n.put("client", client);
        n.put("kind", kind);
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The path of a request target: no scheme, authority, query or fragment; bounded. */
    static String path(String target) {
        String p = target;
        int scheme = p.indexOf("://");
        if (scheme > 0 && scheme < 10) {
            int slash = p.indexOf('/', scheme + 3);
            p = slash < 0 ? "/" : p.substring(slash);
        }
        int cut = p.length();
        for (char c : new char[] {'?', '#'}) {
            int i = p.indexOf(c);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        p = p.substring(0, cut);
        return p.length() > MAX_PATH ? p.substring(0, MAX_PATH) + "..." : p;
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /** Quoted when it holds a space, quote or '='; control and non-ASCII characters escaped. */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder();
        boolean needs = s.isEmpty();
        for (char c : s.toCharArray()) {
            if (c < 0x20) {
                b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            } else if (c >= 0x7f) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else if (c == '"' || c == '\\') {
                b.append('\\').append(c);
                needs = true;
            } else {
                if (c == ' ' || c == '=') {
                    needs = true;
                }
                b.append(c);
            }
        }
        return needs ? "\"" + b + "\"" : b.toString();
    }
}
