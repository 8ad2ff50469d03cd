package dev.granary.core.git;

import java.util.ArrayList;
import java.util.List;

/** The two things Granary reads from a go.mod, as golang.org/x/mod/modfile reads them. */
final class GoMods {

    private GoMods() {}

    /** modfile.ModulePath: the module path of the first {@code module} line, or "". */
    static String modulePath(String mod) {
        for (String raw : mod.split("\n", -1)) {
            String line = raw;
            int c = line.indexOf("//");
            if (c >= 0) {
                line = line.substring(0, c);
            }
            line = line.strip();
            if (!line.startsWith("module")) {
                continue;
            }
            String rest = line.substring("module".length());
            int n = rest.length();
            rest = rest.strip();
            if (rest.length() == n || rest.isEmpty()) {
                continue;
            }
            if (rest.charAt(0) == '"' || rest.charAt(0) == '`') {
                char q = rest.charAt(0);
                if (rest.length() < 2 || rest.charAt(rest.length() - 1) != q || rest.indexOf('\\') >= 0 && q == '"') {
                    return "";
                }
                return rest.substring(1, rest.length() - 1);
            }
            return rest;
        }
        return "";
    }

    /**
     * The {@code retract} directives as [low, high] intervals (a single version is [v, v]), from the line and
     * block forms; anything unparsable is skipped, as ParseLax would not fail the lookup for it.
     */
    static List<String[]> retractions(String mod) {
        List<String[]> out = new ArrayList<>();
        boolean inBlock = false;
        for (String raw : mod.split("\n", -1)) {
            String line = raw;
            int c = line.indexOf("//");
            if (c >= 0) {
                line = line.substring(0, c);
            }
            line = line.strip();
            String spec;
            if (inBlock) {
                if (line.equals(")")) {
                    inBlock = false;
                    continue;
                }
                spec = line;
            } else if (line.startsWith("retract")
                    && line.length() > 7
                    && (Character.isWhitespace(line.charAt(7)) || line.charAt(7) == '(' || line.charAt(7) == '[')) {
                spec = line.substring(7).strip();
                if (spec.equals("(")) {
                    inBlock = true;
                    continue;
                }
            } else {
                continue;
            }
            if (spec.isEmpty()) {
                continue;
            }
            if (spec.startsWith("[") && spec.endsWith("]")) {
                String[] lh = spec.substring(1, spec.length() - 1).split(",");
                if (lh.length == 2) {
                    out.add(new String[] {unquote(lh[0].strip()), unquote(lh[1].strip())});
                }
            } else {
                String v = unquote(spec.split("\\s+")[0]);
                out.add(new String[] {v, v});
            }
        }
        return out;
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
}
