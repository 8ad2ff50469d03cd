package dev.granary.core.module;

import dev.granary.core.ProxyException;
import java.util.List;

/**
 * The validity rules of module paths, import paths and file paths, ported from
 * {@code golang.org/x/mod/module} (CheckPath, CheckImportPath, CheckFilePath, CheckPathMajor).
 *
 * <p>Every check throws {@link ProxyException} of kind {@link ProxyException.Kind#INVALID} whose message
 * is the go command's own wording, e.g. {@code malformed module path "cache": missing dot in first path element}.
 *
 * <p>Java strings are UTF-16: a lone surrogate is treated as the invalid UTF-8 Go would have seen.
 */
public final class ModuleChecks {

    /** What kind of path is checked; module, import and file paths allow different characters. */
    enum PathKind {
        MODULE,
        IMPORT,
        FILE
    }

    // golang.org/x/mod/module: badWindowsNames, the reserved file path elements on Windows.
    private static final List<String> BAD_WINDOWS_NAMES = List.of(
            "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1",
            "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9");

    private ModuleChecks() {}

    /**
     * module.CheckPath: a valid import path whose first element is a lower-case domain-like name with a dot
     * and no leading dash, whose elements do not start with a dot, and whose major version suffix
     * ({@code /vN}, or {@code .vN} for gopkg.in) is well-formed.
     *
     * @throws ProxyException INVALID, message {@code malformed module path "...": reason}
     */
    public static void checkPath(String path) {
        String reason = modulePathProblem(path);
        if (reason != null) {
            throw ProxyException.invalid("malformed module path " + GoQuote.quote(path) + ": " + reason);
        }
    }

    /**
     * module.CheckImportPath: slash-separated non-empty elements of ASCII letters, digits and {@code -._~+},
     * no leading dash, no element that is only dots or ends in a dot, no Windows reserved names and
     * no Windows short-name suffix ({@code ~1}).
     *
     * @throws ProxyException INVALID, message {@code malformed import path "...": reason}
     */
    public static void checkImportPath(String path) {
        String reason = pathProblem(path, PathKind.IMPORT);
        if (reason != null) {
            throw ProxyException.invalid("malformed import path " + GoQuote.quote(path) + ": " + reason);
        }
    }

    /**
     * module.CheckFilePath: like an import path but allowing all Unicode letters, the space and
     * {@code !#$%&()+,-.=@[]^_{}~}; a leading dash and leading dots are allowed.
     *
     * @throws ProxyException INVALID, message {@code malformed file path "...": reason}
     */
    public static void checkFilePath(String path) {
        String reason = pathProblem(path, PathKind.FILE);
        if (reason != null) {
            throw ProxyException.invalid("malformed file path " + GoQuote.quote(path) + ": " + reason);
        }
    }

    /**
     * module.CheckPathMajor: whether semantic version {@code version} fits the path's major suffix
     * {@code pathMajor} ("" , "/vN", ".vN" or ".vN-unstable"). An empty suffix accepts v0, v1 and
     * {@code +incompatible} versions; {@code .v1} also accepts the old {@code v0.0.0-} pseudo-versions.
     *
     * @throws ProxyException INVALID, message {@code version "v2.0.0" invalid: should be v0 or v1, not v2}
     */
    public static void checkPathMajor(String version, String pathMajor) {
        String reason = pathMajorProblem(version, pathMajor);
        if (reason != null) {
            throw ProxyException.invalid("version " + GoQuote.quote(version) + " invalid: " + reason);
        }
    }

    /** The reason {@code path} is not a valid module path, or null. */
    static String modulePathProblem(String path) {
        String reason = pathProblem(path, PathKind.MODULE);
        if (reason != null) {
            return reason;
        }
        int i = path.indexOf('/');
        if (i < 0) {
            i = path.length();
        }
        if (i == 0) {
            return "leading slash";
        }
        String first = path.substring(0, i);
        if (!first.contains(".")) {
            return "missing dot in first path element";
        }
        if (path.charAt(0) == '-') {
            return "leading dash in first path element";
        }
        for (int k = 0; k < first.length(); k++) {
            char c = first.charAt(k);
            // golang.org/x/mod/module: firstPathOK, an LDH domain name, lower case to avoid case ambiguity.
            if (!(c == '-' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z')) {
                return "invalid char " + GoQuote.quoteRune(first.codePointAt(k)) + " in first path element";
            }
        }
        if (ModulePath.splitPathVersion(path).isEmpty()) {
            return "invalid version";
        }
        return null;
    }

    /** The reason {@code version} does not fit {@code pathMajor}, or null. */
    static String pathMajorProblem(String version, String pathMajor) {
        if (pathMajor.startsWith(".v") && pathMajor.endsWith("-unstable")) {
            pathMajor = pathMajor.substring(0, pathMajor.length() - "-unstable".length());
        }
        // golang.org/x/mod/module: allow the old bug of v0.0.0- pseudo-versions for gopkg.in .v1 paths.
        if (version.startsWith("v0.0.0-") && pathMajor.equals(".v1")) {
            return null;
        }
        String m = Semver.major(version);
        String want = pathMajor;
        if (pathMajor.isEmpty()) {
            if (m.equals("v0") || m.equals("v1") || Semver.build(version).equals("+incompatible")) {
                return null;
            }
            want = "v0 or v1";
        } else if (pathMajor.charAt(0) == '/' || pathMajor.charAt(0) == '.') {
            if (m.equals(pathMajor.substring(1))) {
                return null;
            }
            want = pathMajor.substring(1);
        }
        return "should be " + want + ", not " + m;
    }

    /** golang.org/x/mod/module: checkPath, the rules shared by module, import and file paths. */
    static String pathProblem(String path, PathKind kind) {
        if (!isValidUtf16(path)) {
            return "invalid UTF-8";
        }
        if (path.isEmpty()) {
            return "empty string";
        }
        if (path.charAt(0) == '-' && kind != PathKind.FILE) {
            return "leading dash";
        }
        if (path.contains("//")) {
            return "double slash";
        }
        if (path.charAt(path.length() - 1) == '/') {
            return "trailing slash";
        }
        int start = 0;
        for (int i = 0; i <= path.length(); i++) {
            if (i == path.length() || path.charAt(i) == '/') {
                String reason = elemProblem(path.substring(start, i), kind);
                if (reason != null) {
                    return reason;
                }
                start = i + 1;
            }
        }
        return null;
    }

    /** golang.org/x/mod/module: checkElem, the rules for one path element. */
    static String elemProblem(String elem, PathKind kind) {
        if (elem.isEmpty()) {
            return "empty path element";
        }
        if (elem.chars().allMatch(c -> c == '.')) {
            return "invalid path element " + GoQuote.quote(elem);
        }
        if (elem.charAt(0) == '.' && kind == PathKind.MODULE) {
            return "leading dot in path element";
        }
        if (elem.charAt(elem.length() - 1) == '.') {
            return "trailing dot in path element";
        }
        for (int i = 0; i < elem.length(); ) {
            int cp = elem.codePointAt(i);
            i += Character.charCount(cp);
            boolean ok = switch (kind) {
                case MODULE -> modPathOK(cp);
                case IMPORT -> modPathOK(cp) || cp == '+';
                case FILE -> fileNameOK(cp);
            };
            if (!ok) {
                return "invalid char " + GoQuote.quoteRune(cp);
            }
        }

        // Windows disallows a bunch of path elements, sadly.
        String shortName = elem;
        int dot = shortName.indexOf('.');
        if (dot >= 0) {
            shortName = shortName.substring(0, dot);
        }
        for (String bad : BAD_WINDOWS_NAMES) {
            // Go's EqualFold: no non-ASCII rune folds to a letter of these names, so ASCII-only case folding.
            if (bad.equalsIgnoreCase(shortName) && isAscii(shortName)) {
                return GoQuote.quote(shortName) + " disallowed as path element component on Windows";
            }
        }

        if (kind == PathKind.FILE) {
            // Windows short-names are only an issue for import paths.
            return null;
        }
        // Reject path components that look like Windows short-names: a tilde followed by digits.
        int tilde = shortName.lastIndexOf('~');
        if (tilde >= 0 && tilde < shortName.length() - 1) {
            String suffix = shortName.substring(tilde + 1);
            if (suffix.chars().allMatch(c -> '0' <= c && c <= '9')) {
                return "trailing tilde and digits in path element";
            }
        }
        return null;
    }

    /** golang.org/x/mod/module: modPathOK, ASCII letters, digits and {@code - . _ ~}. */
    private static boolean modPathOK(int r) {
        return r == '-'
                || r == '.'
                || r == '_'
                || r == '~'
                || '0' <= r && r <= '9'
                || 'A' <= r && r <= 'Z'
                || 'a' <= r && r <= 'z';
    }

    /** golang.org/x/mod/module: fileNameOK, ASCII letters, digits, {@code !#$%&()+,-.=@[]^_{}~ } and Unicode letters. */
    static boolean fileNameOK(int r) {
        if (r < 0x80) {
            if ('0' <= r && r <= '9' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z') {
                return true;
            }
            return "!#$%&()+,-.=@[]^_{}~ ".indexOf(r) >= 0;
        }
        return Character.isLetter(r) && !(r <= 0xFFFF && Character.isSurrogate((char) r));
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    /** True when the string has no unpaired surrogates, so it corresponds to valid UTF-8. */
    static boolean isValidUtf16(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
