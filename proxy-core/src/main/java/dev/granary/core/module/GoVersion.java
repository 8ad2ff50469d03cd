package dev.granary.core.module;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;

/**
 * Go release versions as the go command orders them (Go's {@code internal/gover}): {@code 1.21rc1 <
 * 1.21.0 < 1.21.1}, {@code 1.20 == 1.20.0}, {@code 1.21 < 1.21rc1} (since Go 1.21 a version without
 * patch is the language version, before any release of it). Written without the {@code go} prefix;
 * {@link #strip} removes it from release names ({@code go1.26.3}) and toolchain names.
 *
 * @param major decimal
 * @param minor decimal, or empty
 * @param patch decimal, or empty
 * @param kind  empty, or a prerelease kind such as alpha, beta, rc
 * @param pre   the prerelease number, or empty
 */
public record GoVersion(String major, String minor, String patch, String kind, String pre)
        implements Comparable<GoVersion> {

    /** Orders version strings; invalid ones sort before every valid one, as gover.Compare does. */
    public static final Comparator<String> ORDER = GoVersion::compare;

    /** The parsed version, or empty when {@code v} is not a Go version (gover.Parse). */
    public static Optional<GoVersion> parse(String v) {
        if (v == null) {
            return Optional.empty();
        }
        String[] cut = cutInt(v);
        if (cut == null) {
            return Optional.empty();
        }
        String major = cut[0];
        String x = cut[1];
        if (x.isEmpty()) {
            // "1" means 1.0.0.
            return Optional.of(new GoVersion(major, "0", "0", "", ""));
        }
        if (x.charAt(0) != '.') {
            return Optional.empty();
        }
        cut = cutInt(x.substring(1));
        if (cut == null) {
            return Optional.empty();
        }
        String minor = cut[0];
        x = cut[1];
        if (x.isEmpty()) {
            // Before Go 1.21 a missing patch means .0; since, it is the language version.
            return Optional.of(new GoVersion(major, minor, cmpInt(minor, "21") < 0 ? "0" : "", "", ""));
        }
        if (x.charAt(0) == '.') {
            cut = cutInt(x.substring(1));
            // No prerelease of a patch release (gover refuses 1.21.3rc1).
            if (cut == null || !cut[1].isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new GoVersion(major, minor, cut[0], "", ""));
        }
        int i = 0;
        while (i < x.length() && (x.charAt(i) < '0' || x.charAt(i) > '9')) {
            if (x.charAt(i) < 'a' || x.charAt(i) > 'z') {
                return Optional.empty();
            }
            i++;
        }
        if (i == 0) {
            return Optional.empty();
        }
        String kind = x.substring(0, i);
        x = x.substring(i);
        if (x.isEmpty()) {
            return Optional.of(new GoVersion(major, minor, "", kind, ""));
        }
        cut = cutInt(x);
        if (cut == null || !cut[1].isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new GoVersion(major, minor, "", kind, cut[0]));
    }

    public static boolean isValid(String v) {
        return parse(v).isPresent();
    }

    /** gover.Compare: -1, 0 or +1; invalid versions compare equal to each other and below valid ones. */
    public static int compare(String x, String y) {
        GoVersion a = parse(x).orElse(null);
        GoVersion b = parse(y).orElse(null);
        if (a == null || b == null) {
            return a == null && b == null ? 0 : a == null ? -1 : 1;
        }
        return a.compareTo(b);
    }

    @Override
    public int compareTo(GoVersion o) {
        int c = cmpInt(major, o.major);
        if (c == 0) {
            c = cmpInt(minor, o.minor);
        }
        if (c == 0) {
            c = cmpInt(patch, o.patch);
        }
        if (c == 0) {
            // "" < alpha < beta < rc
            c = Integer.signum(kind.compareTo(o.kind));
        }
        if (c == 0) {
            c = cmpInt(pre, o.pre);
        }
        return c;
    }

    /** gover.Lang: {@code 1.21} for {@code 1.21.3} and {@code 1.21rc1}. */
    public static String lang(String v) {
        GoVersion g = parse(v).orElse(null);
        if (g == null) {
            return "";
        }
        if (g.minor.isEmpty() || g.major.equals("1") && g.minor.equals("0")) {
            return g.major;
        }
        return g.major + "." + g.minor;
    }

    /** gover.IsLang: a language version (1.21), not a release (1.21.0, 1.20, which is 1.20.0). */
    public static boolean isLang(String v) {
        return parse(v).map(g -> g.patch.isEmpty() && g.kind.isEmpty() && g.pre.isEmpty())
                .orElse(false);
    }

    /** True for alpha, beta and rc versions. */
    public static boolean isPrerelease(String v) {
        return parse(v).map(g -> !g.kind.isEmpty()).orElse(false);
    }

    /** {@code 1.26.3} for {@code go1.26.3}; other strings unchanged. */
    public static String strip(String v) {
        return v != null && v.startsWith("go") ? v.substring(2) : v;
    }

    /**
     * The version a prefetch spec names among {@code available} (versions without the {@code go}
     * prefix): {@code 1.26.3} (or {@code go1.26.3}) exactly, or {@code 1.26.x}, the newest release of
     * 1.26 that is not a prerelease.
     */
    public static Optional<String> resolve(String spec, Collection<String> available) {
        String s = strip(spec.strip().toLowerCase(Locale.ROOT));
        if (s.endsWith(".x")) {
            String lang = s.substring(0, s.length() - 2);
            if (!isValid(lang)) {
                return Optional.empty();
            }
            return available.stream()
                    .filter(v -> isValid(v) && !isPrerelease(v) && !isLang(v) && lang(v).equals(lang))
                    .max(ORDER);
        }
        if (!isValid(s)) {
            return Optional.empty();
        }
        return available.stream().filter(v -> compare(v, s) == 0).findFirst();
    }

    /** A decimal without an unnecessary leading zero, and the rest; null when there is none. */
    private static String[] cutInt(String x) {
        int i = 0;
        while (i < x.length() && x.charAt(i) >= '0' && x.charAt(i) <= '9') {
            i++;
        }
        if (i == 0 || x.charAt(0) == '0' && i != 1) {
            return null;
        }
        return new String[] {x.substring(0, i), x.substring(i)};
    }

    /** Compares decimals of any length (gover.CmpInt). */
    private static int cmpInt(String x, String y) {
        if (x.equals(y)) {
            return 0;
        }
        if (x.length() != y.length()) {
            return x.length() < y.length() ? -1 : 1;
        }
        return x.compareTo(y) < 0 ? -1 : 1;
    }

    @Override
    public String toString() {
        return major + (minor.isEmpty() ? "" : "." + minor) + (patch.isEmpty() ? "" : "." + patch) + kind + pre;
    }
}
