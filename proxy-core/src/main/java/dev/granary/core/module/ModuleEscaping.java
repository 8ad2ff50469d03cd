package dev.granary.core.module;

import dev.granary.core.ProxyException;

/**
 * The case-escaping of module paths and versions in GOPROXY URLs and on disk, ported from
 * {@code golang.org/x/mod/module} (EscapePath, UnescapePath, EscapeVersion, UnescapeVersion).
 *
 * <p>go.dev/ref/mod#goproxy-protocol: every upper-case letter is replaced by {@code !} and its lower-case
 * form, so {@code github.com/Azure/x} is served as {@code github.com/!azure/x} and no two modules need
 * two casings of one URL or file name. All methods throw {@link ProxyException} of kind INVALID.
 */
public final class ModuleEscaping {

    private ModuleEscaping() {}

    /** module.EscapePath: validates the module path, then escapes upper-case letters. */
    public static String escapePath(String path) {
        ModuleChecks.checkPath(path);
        return escapeString(path);
    }

    /**
     * module.EscapeVersion: versions may be non-semver (branch names, queries) but must be a valid file name
     * element, ASCII, and contain no {@code !}.
     */
    public static String escapeVersion(String version) {
        // Go then fails in escapeString on non-ASCII letters (which a file name allows); same refusal here.
        if (version.contains("!")
                || ModuleChecks.elemProblem(version, ModuleChecks.PathKind.FILE) != null
                || !version.chars().allMatch(c -> c < 0x80)) {
            throw ProxyException.invalid("version " + GoQuote.quote(version) + " invalid: disallowed version string");
        }
        return escapeString(version);
    }

    /**
     * module.UnescapePath: rejects upper-case letters, a {@code !} not followed by a lower-case letter and
     * non-ASCII, then validates the decoded path with module.CheckPath.
     */
    public static String unescapePath(String escaped) {
        String path = unescapeString(escaped);
        if (path == null) {
            throw ProxyException.invalid("invalid escaped module path " + GoQuote.quote(escaped));
        }
        String reason = ModuleChecks.modulePathProblem(path);
        if (reason != null) {
            throw ProxyException.invalid("invalid escaped module path " + GoQuote.quote(escaped)
                    + ": malformed module path " + GoQuote.quote(path) + ": " + reason);
        }
        return path;
    }

    /** module.UnescapeVersion: decodes, then requires a valid file name element. */
    public static String unescapeVersion(String escaped) {
        String v = unescapeString(escaped);
        if (v == null) {
            throw ProxyException.invalid("invalid escaped version " + GoQuote.quote(escaped));
        }
        String reason = ModuleChecks.elemProblem(v, ModuleChecks.PathKind.FILE);
        if (reason != null) {
            throw ProxyException.invalid("invalid escaped version " + GoQuote.quote(v) + ": " + reason);
        }
        return v;
    }

    /** golang.org/x/mod/module: escapeString; the input was validated, so it is ASCII without '!'. */
    static String escapeString(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '!' || c >= 0x80) {
                // Disallowed by the checks; the escaping below is only correct without them.
                throw ProxyException.invalid("internal error: inconsistency in EscapePath");
            }
            if ('A' <= c && c <= 'Z') {
                if (b == null) {
                    b = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                b.append('!').append((char) (c + ('a' - 'A')));
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }

    /** golang.org/x/mod/module: unescapeString; null when the escaping is malformed. */
    private static String unescapeString(String escaped) {
        StringBuilder b = new StringBuilder(escaped.length());
        boolean bang = false;
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c >= 0x80) {
                return null;
            }
            if (bang) {
                bang = false;
                if (c < 'a' || 'z' < c) {
                    return null;
                }
                b.append((char) (c - ('a' - 'A')));
                continue;
            }
            if (c == '!') {
                bang = true;
                continue;
            }
            if ('A' <= c && c <= 'Z') {
                return null;
            }
            b.append(c);
        }
        return bang ? null : b.toString();
    }
}
