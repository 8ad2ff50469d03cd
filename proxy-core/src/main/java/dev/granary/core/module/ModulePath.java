package dev.granary.core.module;

import dev.granary.core.ProxyException;
import java.util.Optional;

/**
 * A valid module path such as {@code github.com/Azure/go-autorest} or {@code rsc.io/quote/v3}, in its plain
 * (unescaped) form. The canonical constructor validates with {@link ModuleChecks#checkPath}.
 *
 * @param value the module path
 */
public record ModulePath(String value) {

    /**
     * A module path split into its prefix and major version suffix (module.SplitPathVersion).
     *
     * @param prefix    the path without the suffix, e.g. {@code rsc.io/quote} or {@code gopkg.in/yaml}
     * @param pathMajor "" or {@code /vN} (N &ge; 2), or for gopkg.in {@code .vN} (possibly {@code -unstable})
     */
    public record Split(String prefix, String pathMajor) {}

    /** @throws ProxyException INVALID when {@code value} is not a valid module path */
    public ModulePath {
        if (value == null) {
            throw ProxyException.invalid("missing module path");
        }
        ModuleChecks.checkPath(value);
    }

    /** module.CheckPath, as a value. */
    public static ModulePath parse(String path) {
        return new ModulePath(path);
    }

    /** The case-escaped form used in GOPROXY URLs and storage keys ({@code !azure} for {@code Azure}). */
    public String escaped() {
        return ModuleEscaping.escapeString(value);
    }

    /** The path without its major version suffix, e.g. {@code rsc.io/quote} for {@code rsc.io/quote/v3}. */
    public String prefix() {
        return split().prefix();
    }

    /** The major version suffix: "" or {@code /vN}, or {@code .vN} for gopkg.in. */
    public String pathMajor() {
        return split().pathMajor();
    }

    /**
     * module.CheckPathMajor against this path's suffix: {@code rsc.io/quote/v3} takes only v3.x.y,
     * a path without suffix takes v0, v1 and {@code +incompatible} versions.
     *
     * @throws ProxyException INVALID, e.g. {@code rsc.io/quote@v2.0.0: invalid version: should be v0 or v1, not v2}
     */
    public void checkMajor(String version) {
        String reason = ModuleChecks.pathMajorProblem(version, pathMajor());
        if (reason != null) {
            throw ProxyException.invalid(value + "@" + version + ": invalid version: " + reason);
        }
    }

    @Override
    public String toString() {
        return value;
    }

    private Split split() {
        // A valid path always splits.
        return splitPathVersion(value).orElseThrow();
    }

    /**
     * module.SplitPathVersion: returns prefix and pathMajor with {@code prefix + pathMajor == path}, or empty
     * when the last element looks like a malformed major suffix ({@code /v1}, {@code /v0}, {@code /v2.0},
     * {@code /v02}, or a gopkg.in path without {@code .vN}). Does not otherwise validate the path.
     */
    public static Optional<Split> splitPathVersion(String path) {
        if (path.startsWith("gopkg.in/")) {
            return splitGopkgIn(path);
        }
        int i = path.length();
        boolean dot = false;
        while (i > 0 && (isDigit(path.charAt(i - 1)) || path.charAt(i - 1) == '.')) {
            if (path.charAt(i - 1) == '.') {
                dot = true;
            }
            i--;
        }
        if (i <= 1 || i == path.length() || path.charAt(i - 1) != 'v' || path.charAt(i - 2) != '/') {
            return Optional.of(new Split(path, ""));
        }
        String prefix = path.substring(0, i - 2);
        String pathMajor = path.substring(i - 2);
        if (dot || pathMajor.length() <= 2 || pathMajor.charAt(2) == '0' || pathMajor.equals("/v1")) {
            return Optional.empty();
        }
        return Optional.of(new Split(prefix, pathMajor));
    }

    /** golang.org/x/mod/module: splitGopkgIn, gopkg.in paths end in .vN or .vN-unstable, N may be 0. */
    private static Optional<Split> splitGopkgIn(String path) {
        int i = path.length();
        if (path.endsWith("-unstable")) {
            i -= "-unstable".length();
        }
        while (i > 0 && isDigit(path.charAt(i - 1))) {
            i--;
        }
        if (i <= 1 || path.charAt(i - 1) != 'v' || path.charAt(i - 2) != '.') {
            return Optional.empty();
        }
        String prefix = path.substring(0, i - 2);
        String pathMajor = path.substring(i - 2);
        if (pathMajor.length() <= 2 || pathMajor.charAt(2) == '0' && !pathMajor.equals(".v0")) {
            return Optional.empty();
        }
        return Optional.of(new Split(prefix, pathMajor));
    }

    private static boolean isDigit(char c) {
        return '0' <= c && c <= '9';
    }
}
