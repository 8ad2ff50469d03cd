package dev.granary.core.module;

import java.util.Comparator;
import java.util.List;

/**
 * Semantic versions as the go command understands them, ported from {@code golang.org/x/mod/semver}.
 *
 * <p>Versions must start with {@code v}; {@code vMAJOR} and {@code vMAJOR.MINOR} are accepted as shorthands
 * for {@code vMAJOR.0.0} and {@code vMAJOR.MINOR.0}, but not with a prerelease or build suffix.
 * Invalid versions compare less than all valid ones and equal to each other.
 */
public final class Semver {

    /**
     * semver.Sort's order: by {@link #compare}, ties broken by plain string order. Invalid versions compare
     * below every valid one, so they come first, among themselves in string order.
     */
    public static final Comparator<String> ORDER = (v, w) -> {
        int c = compare(v, w);
        return c != 0 ? c : compareStrings(v, w);
    };

    private Semver() {}

    /** The parsed parts of a version; {@code shortSuffix} is what Canonical appends (".0.0", ".0" or ""). */
    private record Parsed(
            String major, String minor, String patch, String shortSuffix, String prerelease, String build) {}

    /** semver.IsValid. */
    public static boolean isValid(String v) {
        return parse(v) != null;
    }

    /**
     * semver.Canonical: {@code vMAJOR.MINOR.PATCH[-prerelease]}, build metadata dropped, or "" when invalid.
     */
    public static String canonical(String v) {
        Parsed p = parse(v);
        if (p == null) {
            return "";
        }
        if (!p.build.isEmpty()) {
            return v.substring(0, v.length() - p.build.length());
        }
        return v + p.shortSuffix;
    }

    /** semver.Major: {@code "v2"} for {@code "v2.1.0"}, or "" when invalid. */
    public static String major(String v) {
        Parsed p = parse(v);
        return p == null ? "" : v.substring(0, 1 + p.major.length());
    }

    /** semver.MajorMinor: {@code "v2.1"} for {@code "v2.1.0"} and {@code "v2.0"} for {@code "v2"}, or "" when invalid. */
    public static String majorMinor(String v) {
        Parsed p = parse(v);
        if (p == null) {
            return "";
        }
        int i = 1 + p.major.length();
        int j = i + 1 + p.minor.length();
        if (j <= v.length() && v.charAt(i) == '.' && v.substring(i + 1, j).equals(p.minor)) {
            return v.substring(0, j);
        }
        return v.substring(0, i) + "." + p.minor;
    }

    /** semver.Prerelease: {@code "-pre"} for {@code "v1.2.3-pre+meta"}, or "" when none or invalid. */
    public static String prerelease(String v) {
        Parsed p = parse(v);
        return p == null ? "" : p.prerelease;
    }

    /** semver.Build: {@code "+meta"} for {@code "v1.2.3-pre+meta"}, or "" when none or invalid. */
    public static String build(String v) {
        Parsed p = parse(v);
        return p == null ? "" : p.build;
    }

    /**
     * semver.Compare: -1, 0 or +1. Build metadata is ignored; an invalid version is less than any valid one
     * and equal to any other invalid one.
     */
    public static int compare(String v, String w) {
        Parsed pv = parse(v);
        Parsed pw = parse(w);
        if (pv == null && pw == null) {
            return 0;
        }
        if (pv == null) {
            return -1;
        }
        if (pw == null) {
            return +1;
        }
        int c = compareInt(pv.major, pw.major);
        if (c != 0) {
            return c;
        }
        c = compareInt(pv.minor, pw.minor);
        if (c != 0) {
            return c;
        }
        c = compareInt(pv.patch, pw.patch);
        if (c != 0) {
            return c;
        }
        return comparePrerelease(pv.prerelease, pw.prerelease);
    }

    /** semver.Max: the larger of the two canonical forms (the second when equal). */
    public static String max(String v, String w) {
        v = canonical(v);
        w = canonical(w);
        return compare(v, w) > 0 ? v : w;
    }

    /** semver.Sort: sorts the list in place by {@link #ORDER}. */
    public static void sort(List<String> versions) {
        versions.sort(ORDER);
    }

    /** Go's string order: by UTF-8 bytes, which is code point order (not Java's UTF-16 order). */
    public static int compareStrings(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static Parsed parse(String v) {
        if (v == null || v.isEmpty() || v.charAt(0) != 'v') {
            return null;
        }
        int[] pos = {1};
        String major = parseInt(v, pos);
        if (major == null) {
            return null;
        }
        if (pos[0] == v.length()) {
            return new Parsed(major, "0", "0", ".0.0", "", "");
        }
        if (v.charAt(pos[0]) != '.') {
            return null;
        }
        pos[0]++;
        String minor = parseInt(v, pos);
        if (minor == null) {
            return null;
        }
        if (pos[0] == v.length()) {
            return new Parsed(major, minor, "0", ".0", "", "");
        }
        if (v.charAt(pos[0]) != '.') {
            return null;
        }
        pos[0]++;
        String patch = parseInt(v, pos);
        if (patch == null) {
            return null;
        }
        String prerelease = "";
        if (pos[0] < v.length() && v.charAt(pos[0]) == '-') {
            prerelease = parsePrerelease(v, pos);
            if (prerelease == null) {
                return null;
            }
        }
        String build = "";
        if (pos[0] < v.length() && v.charAt(pos[0]) == '+') {
            build = parseBuild(v, pos);
            if (build == null) {
                return null;
            }
        }
        if (pos[0] != v.length()) {
            return null;
        }
        return new Parsed(major, minor, patch, "", prerelease, build);
    }

    /** Decimal digits without a leading zero (unless just "0"); advances pos. */
    private static String parseInt(String v, int[] pos) {
        int start = pos[0];
        int i = start;
        while (i < v.length() && isDigit(v.charAt(i))) {
            i++;
        }
        if (i == start || v.charAt(start) == '0' && i - start != 1) {
            return null;
        }
        pos[0] = i;
        return v.substring(start, i);
    }

    /** "-" then dot-separated non-empty identifiers, numeric ones without leading zeros; advances pos. */
    private static String parsePrerelease(String v, int[] pos) {
        int begin = pos[0];
        int i = begin + 1;
        int start = i;
        while (i < v.length() && v.charAt(i) != '+') {
            char c = v.charAt(i);
            if (!isIdentChar(c) && c != '.') {
                return null;
            }
            if (c == '.') {
                if (start == i || isBadNum(v, start, i)) {
                    return null;
                }
                start = i + 1;
            }
            i++;
        }
        if (start == i || isBadNum(v, start, i)) {
            return null;
        }
        pos[0] = i;
        return v.substring(begin, i);
    }

    /** "+" then dot-separated non-empty identifiers; advances pos. */
    private static String parseBuild(String v, int[] pos) {
        int begin = pos[0];
        int i = begin + 1;
        int start = i;
        while (i < v.length()) {
            char c = v.charAt(i);
            if (!isIdentChar(c) && c != '.') {
                return null;
            }
            if (c == '.') {
                if (start == i) {
                    return null;
                }
                start = i + 1;
            }
            i++;
        }
        if (start == i) {
            return null;
        }
        pos[0] = i;
        return v.substring(begin, i);
    }

    private static boolean isDigit(char c) {
        return '0' <= c && c <= '9';
    }

    private static boolean isIdentChar(char c) {
        return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || isDigit(c) || c == '-';
    }

    /** A numeric identifier with a leading zero. */
    private static boolean isBadNum(String v, int from, int to) {
        int i = from;
        while (i < to && isDigit(v.charAt(i))) {
            i++;
        }
        return i == to && to - from > 1 && v.charAt(from) == '0';
    }

    private static boolean isNum(String v) {
        return v.chars().allMatch(c -> '0' <= c && c <= '9');
    }

    private static int compareInt(String x, String y) {
        if (x.equals(y)) {
            return 0;
        }
        if (x.length() != y.length()) {
            return x.length() < y.length() ? -1 : +1;
        }
        return x.compareTo(y) < 0 ? -1 : +1;
    }

    private static int comparePrerelease(String x, String y) {
        // "When major, minor, and patch are equal, a pre-release version has lower precedence than a normal
        // version. Identifiers consisting of only digits are compared numerically; others in ASCII order;
        // numeric identifiers have lower precedence than non-numeric; a larger set of fields wins."
        if (x.equals(y)) {
            return 0;
        }
        if (x.isEmpty()) {
            return +1;
        }
        if (y.isEmpty()) {
            return -1;
        }
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            i++; // skip - or .
            j++;
            int ei = nextDot(x, i);
            int ej = nextDot(y, j);
            String dx = x.substring(i, ei);
            String dy = y.substring(j, ej);
            i = ei;
            j = ej;
            if (!dx.equals(dy)) {
                boolean ix = isNum(dx);
                boolean iy = isNum(dy);
                if (ix != iy) {
                    return ix ? -1 : +1;
                }
                if (ix && dx.length() != dy.length()) {
                    return dx.length() < dy.length() ? -1 : +1;
                }
                return dx.compareTo(dy) < 0 ? -1 : +1;
            }
        }
        return i == x.length() ? -1 : +1;
    }

    private static int nextDot(String s, int from) {
        int k = s.indexOf('.', from);
        return k < 0 ? s.length() : k;
    }
}
