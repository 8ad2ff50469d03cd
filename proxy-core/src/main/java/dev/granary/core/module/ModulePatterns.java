package dev.granary.core.module;

/**
 * GOPRIVATE / GONOSUMDB-style pattern matching: golang.org/x/mod/module.MatchPrefixPatterns over
 * Go's path.Match globs.
 */
public final class ModulePatterns {
    private ModulePatterns() {}

    /**
     * True when any path prefix of {@code target} matches one of the comma-separated glob patterns.
     * A pattern with N slashes is matched against the first N+1 elements of the target; empty or
     * malformed patterns are ignored and a trailing slash is dropped (module.MatchPrefixPatterns).
     */
    public static boolean matchPrefixPatterns(String globs, String target) {
        if (globs == null) {
            return false;
        }
        for (String raw : globs.split(",", -1)) {
            String glob = raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
            if (glob.isEmpty()) {
                continue;
            }
            int n = (int) glob.chars().filter(c -> c == '/').count();
            String prefix = target;
            for (int i = 0; i < target.length(); i++) {
                if (target.charAt(i) == '/') {
                    if (n == 0) {
                        prefix = target.substring(0, i);
                        break;
                    }
                    n--;
                }
            }
            if (n > 0) {
                continue;
            }
            if (match(glob, prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when {@code glob} is one non-empty, well-formed pattern: Go ignores a malformed pattern
     * silently, which is right for an environment variable and wrong for a policy an operator wrote.
     */
    public static boolean isWellFormed(String glob) {
        if (glob == null || glob.isEmpty()) {
            return false;
        }
        try {
            checkRest(glob, 0);
            return true;
        } catch (IllegalArgumentException malformed) {
            return false;
        }
    }

    /**
     * Go's path.Match: {@code *} is any run of non-slash characters, {@code ?} one non-slash
     * character, {@code [...]} a class ({@code ^} negates, {@code a-z} ranges), {@code \} escapes.
     * A malformed pattern matches nothing.
     */
    static boolean match(String pattern, String name) {
        try {
            return match(pattern, 0, name, 0);
        } catch (IllegalArgumentException malformed) {
            return false;
        }
    }

    private static boolean match(String p, int pi, String s, int si) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                // Collapse runs of '*'; try every split that does not cross a '/'.
                while (pi < p.length() && p.charAt(pi) == '*') {
                    pi++;
                }
                for (int k = si; ; k++) {
                    if (match(p, pi, s, k)) {
                        return true;
                    }
                    if (k >= s.length() || s.charAt(k) == '/') {
                        checkRest(p, pi);
                        return false;
                    }
                }
            }
            if (si >= s.length()) {
                checkRest(p, pi);
                return false;
            }
            char sc = s.charAt(si);
            switch (c) {
                case '?' -> {
                    if (sc == '/') {
                        return false;
                    }
                    pi++;
                }
                case '[' -> {
                    int end = classEnd(p, pi);
                    if (sc == '/' || !classMatches(p, pi + 1, end, sc)) {
                        return false;
                    }
                    pi = end + 1;
                }
                case '\\' -> {
                    if (pi + 1 >= p.length()) {
                        throw new IllegalArgumentException("trailing backslash");
                    }
                    if (p.charAt(pi + 1) != sc) {
                        return false;
                    }
                    pi += 2;
                }
                default -> {
                    if (c != sc) {
                        return false;
                    }
                    pi++;
                }
            }
            si++;
        }
        return si == s.length();
    }

    /** Go reports ErrBadPattern for the rest of a pattern even after a mismatch; so do we. */
    private static void checkRest(String p, int pi) {
        for (int i = pi; i < p.length(); i++) {
            if (p.charAt(i) == '[') {
                i = classEnd(p, i);
            } else if (p.charAt(i) == '\\') {
                if (++i >= p.length()) {
                    throw new IllegalArgumentException("trailing backslash");
                }
            }
        }
    }

    private static int classEnd(String p, int open) {
        int i = open + 1;
        if (i < p.length() && p.charAt(i) == '^') {
            i++;
        }
        boolean first = true;
        while (i < p.length()) {
            char c = p.charAt(i);
            if (c == ']' && !first) {
                return i;
            }
            if (c == '\\') {
                i++;
            }
            first = false;
            i++;
        }
        throw new IllegalArgumentException("unterminated class");
    }

    private static boolean classMatches(String p, int from, int end, char sc) {
        boolean negate = p.charAt(from) == '^';
        int i = negate ? from + 1 : from;
        boolean matched = false;
        while (i < end) {
            char lo = p.charAt(i);
            if (lo == '\\') {
                lo = p.charAt(++i);
            }
            i++;
            char hi = lo;
            if (i + 1 < end && p.charAt(i) == '-') {
                hi = p.charAt(i + 1);
                if (hi == '\\') {
                    hi = p.charAt(i + 2);
                    i++;
                }
                i += 2;
            }
            if (lo <= sc && sc <= hi) {
                matched = true;
            }
        }
        return matched != negate;
    }
}
