package dev.granary.core.zip;

/** Go's slash-separated path functions (package path) and case folding used by the zip rules. */
final class GoPaths {

    private GoPaths() {}

    /**
     * path.Clean: the shortest equivalent path by lexical processing; "." for the empty path. Multiple slashes
     * collapse, "." elements go, ".." eats the element before it, and ".." at the start of a rooted path goes.
     */
    static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        boolean rooted = path.charAt(0) == '/';
        int n = path.length();
        StringBuilder out = new StringBuilder(n);
        int r = 0;
        int dotdot = 0; // out length beyond which ".." can backtrack
        if (rooted) {
            out.append('/');
            r = 1;
            dotdot = 1;
        }
        while (r < n) {
            if (path.charAt(r) == '/') {
                r++;
            } else if (path.charAt(r) == '.' && (r + 1 == n || path.charAt(r + 1) == '/')) {
                r++;
            } else if (path.charAt(r) == '.'
                    && path.charAt(r + 1) == '.'
                    && (r + 2 == n || path.charAt(r + 2) == '/')) {
                r += 2;
                if (out.length() > dotdot) {
                    int w = out.length() - 1;
                    while (w > dotdot && out.charAt(w) != '/') {
                        w--;
                    }
                    out.setLength(w);
                } else if (!rooted) {
                    if (out.length() > 0) {
                        out.append('/');
                    }
                    out.append("..");
                    dotdot = out.length();
                }
            } else {
                if (rooted && out.length() != 1 || !rooted && out.length() != 0) {
                    out.append('/');
                }
                while (r < n && path.charAt(r) != '/') {
                    out.append(path.charAt(r));
                    r++;
                }
            }
        }
        if (out.length() == 0) {
            return ".";
        }
        return out.toString();
    }

    /** path.Dir for a cleaned relative path: "." when there is no slash. */
    static String dir(String cleanPath) {
        int i = cleanPath.lastIndexOf('/');
        return i < 0 ? "." : cleanPath.substring(0, i);
    }

    /** path.Base for a cleaned path without trailing slash. */
    static String base(String cleanPath) {
        return cleanPath.substring(cleanPath.lastIndexOf('/') + 1);
    }

    /**
     * A key equal for two paths exactly when Go's strToFold (Unicode simple case folding) makes them equal.
     *
     * <p>Upper-casing then lower-casing each code point gives the same equivalence classes as Go's SimpleFold
     * orbits (K, k and the Kelvin sign; S, s and the long s; the three sigmas; the title-case digraphs),
     * except for the Turkish dotted and dotless i, which simple folding keeps apart from i and I.
     */
    static String foldKey(String s) {
        boolean simple = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || 'A' <= c && c <= 'Z') {
                simple = false;
                break;
            }
        }
        if (simple) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0x130 || cp == 0x131) {
                b.appendCodePoint(cp);
            } else {
                b.appendCodePoint(Character.toLowerCase(Character.toUpperCase(cp)));
            }
        }
        return b.toString();
    }
}
