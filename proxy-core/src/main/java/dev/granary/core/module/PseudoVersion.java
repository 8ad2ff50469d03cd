package dev.granary.core.module;

import dev.granary.core.ProxyException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.regex.Pattern;

/**
 * Pseudo-versions ({@code v0.0.0-20191109021931-daa7c04131f5}), ported from {@code golang.org/x/mod/module}
 * pseudo.go. go.dev/ref/mod#pseudo-versions: a pseudo-version is a prerelease of the next version after the
 * latest tag ("base"), followed by a UTC timestamp {@code yyyymmddhhmmss} and a revision identifier:
 * <ol>
 *   <li>{@code vX.0.0-yyyymmddhhmmss-abcdef123456} when there is no earlier tag for the major version;</li>
 *   <li>{@code vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456} after release tag vX.Y.Z;</li>
 *   <li>{@code vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456} after prerelease tag vX.Y.Z-pre.</li>
 * </ol>
 * Build metadata such as {@code +incompatible} of the base is kept.
 */
public final class PseudoVersion {

    // golang.org/x/mod/module: pseudoVersionRE (anchors are implied by Matcher.matches).
    private static final Pattern PSEUDO_VERSION = Pattern.compile(
            "v[0-9]+\\.(0\\.0-|\\d+\\.\\d+-([^+]*\\.)?0\\.)\\d{14}-[A-Za-z0-9]+(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?");

    private PseudoVersion() {}

    /** The parts of a pseudo-version: base ("vX.Y.Z-pre.0", "vX.Y.(Z+1)-0" or "vX.0.0"), time, rev, build. */
    private record Parts(String base, String timestamp, String rev, String build) {}

    /**
     * module.PseudoVersion: the pseudo-version for revision {@code rev} committed at {@code time}, after tag
     * {@code older} (or for major version {@code major}, default "v0", when {@code older} is "").
     */
    public static String build(String major, String older, Instant time, String rev) {
        if (major == null || major.isEmpty()) {
            major = "v0";
        }
        String segment = formatTimestamp(time) + "-" + rev;
        String build = Semver.build(older);
        older = Semver.canonical(older);
        if (older.isEmpty()) {
            return major + ".0.0-" + segment; // form (1)
        }
        if (!Semver.prerelease(older).isEmpty()) {
            return older + ".0." + segment + build; // form (3)
        }
        int i = older.lastIndexOf('.') + 1;
        return older.substring(0, i) + incDecimal(older.substring(i)) + "-0." + segment + build; // form (2)
    }

    /** module.ZeroPseudoVersion: {@code vX.0.0-00010101000000-000000000000}. */
    public static String zeroPseudoVersion(String major) {
        return build(major, "", Instant.parse("0001-01-01T00:00:00Z"), "000000000000");
    }

    /** module.IsPseudoVersion. */
    public static boolean isPseudoVersion(String v) {
        return v.chars().filter(c -> c == '-').count() >= 2
                && Semver.isValid(v)
                && PSEUDO_VERSION.matcher(v).matches();
    }

    /** module.IsZeroPseudoVersion: the pseudo-version of no commit at all, used as a placeholder. */
    public static boolean isZeroPseudoVersion(String v) {
        return v.equals(zeroPseudoVersion(Semver.major(v)));
    }

    /**
     * module.PseudoVersionTime: the commit time encoded in a pseudo-version.
     *
     * @throws ProxyException INVALID when {@code v} is not a pseudo-version or its time is malformed
     */
    public static Instant pseudoVersionTime(String v) {
        String timestamp = parse(v).timestamp();
        try {
            LocalDateTime t = LocalDateTime.of(
                    Integer.parseInt(timestamp.substring(0, 4)), Integer.parseInt(timestamp.substring(4, 6)),
                    Integer.parseInt(timestamp.substring(6, 8)), Integer.parseInt(timestamp.substring(8, 10)),
                    Integer.parseInt(timestamp.substring(10, 12)), Integer.parseInt(timestamp.substring(12, 14)));
            return t.toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            throw invalid(v, "malformed time " + GoQuote.quote(timestamp));
        }
    }

    /**
     * module.PseudoVersionRev: the revision identifier (a commit hash prefix).
     *
     * @throws ProxyException INVALID when {@code v} is not a pseudo-version
     */
    public static String pseudoVersionRev(String v) {
        return parse(v).rev();
    }

    /**
     * module.PseudoVersionBase: the tag the pseudo-version was derived from, with its build metadata, or ""
     * for form (1) which has no base.
     *
     * @throws ProxyException INVALID when {@code v} is not a pseudo-version or has no consistent base
     */
    public static String pseudoVersionBase(String v) {
        Parts p = parse(v);
        String base = p.base();
        String pre = Semver.prerelease(base);
        switch (pre) {
            case "" -> {
                if (!p.build().isEmpty()) {
                    throw invalid(v, "lacks base version, but has build metadata " + GoQuote.quote(p.build()));
                }
                return "";
            }
            case "-0" -> {
                base = base.substring(0, base.length() - pre.length());
                int i = base.lastIndexOf('.');
                String patch = decDecimal(base.substring(i + 1));
                if (patch.isEmpty()) {
                    throw invalid(v, "version before " + base + " would have negative patch number");
                }
                return base.substring(0, i + 1) + patch + p.build();
            }
            default -> {
                // The regular expression guarantees the ".0" before the timestamp.
                return base.substring(0, base.length() - ".0".length()) + p.build();
            }
        }
    }

    private static Parts parse(String v) {
        if (!isPseudoVersion(v)) {
            throw invalid(v, "syntax error");
        }
        String build = Semver.build(v);
        v = v.substring(0, v.length() - build.length());
        int j = v.lastIndexOf('-');
        String rev = v.substring(j + 1);
        v = v.substring(0, j);
        int i = v.lastIndexOf('-');
        int dot = v.lastIndexOf('.');
        if (dot > i) {
            return new Parts(v.substring(0, dot), v.substring(dot + 1), rev, build); // "vX.Y.Z-pre.0" or "vX.Y.(Z+1)-0"
        }
        return new Parts(v.substring(0, i), v.substring(i + 1), rev, build); // "vX.0.0"
    }

    private static ProxyException invalid(String v, String reason) {
        return ProxyException.invalid("pseudo-version " + GoQuote.quote(v) + " invalid: " + reason);
    }

    /** Go's "20060102150405" layout in UTC; years beyond 9999 print all digits, like Go. */
    private static String formatTimestamp(Instant time) {
        ZonedDateTime t = time.atZone(ZoneOffset.UTC);
        return String.format(
                "%04d%02d%02d%02d%02d%02d",
                t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond());
    }

    /** Adds one to a decimal string of any length. */
    static String incDecimal(String decimal) {
        char[] digits = decimal.toCharArray();
        int i = digits.length - 1;
        for (; i >= 0 && digits[i] == '9'; i--) {
            digits[i] = '0';
        }
        if (i >= 0) {
            digits[i]++;
            return new String(digits);
        }
        return "1" + new String(digits);
    }

    /** Subtracts one from a decimal string; "" when it would go negative. */
    static String decDecimal(String decimal) {
        char[] digits = decimal.toCharArray();
        int i = digits.length - 1;
        for (; i >= 0 && digits[i] == '0'; i--) {
            digits[i] = '9';
        }
        if (i < 0) {
            return "";
        }
        if (i == 0 && digits[i] == '1' && digits.length > 1) {
            return new String(digits, 1, digits.length - 1);
        }
        digits[i]--;
        return new String(digits);
    }
}
