package dev.granary.core.policy;

import dev.granary.core.module.ModulePatterns;
import dev.granary.core.module.ModuleVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of a deny or allow list: module path patterns in GOPRIVATE syntax (comma-separated globs
 * matching a path prefix, {@link ModulePatterns}), an optional {@link VersionRange}, and an optional
 * note after {@code #} that is shown to clients with a refusal, such as
 * {@code github.com/evil/*} or {@code golang.org/x/crypto <v0.31.0 # CVE-2024-45337}.
 *
 * @param patterns the module patterns, as written
 * @param versions the versions the rule covers; {@link VersionRange#ANY} when none are given
 * @param note     what the operator wrote after {@code #}, or empty
 */
public record PolicyRule(String patterns, VersionRange versions, String note) {

    public PolicyRule {
        if (patterns == null || patterns.isBlank() || patterns.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("a rule starts with module patterns (comma-separated, no spaces)");
        }
        if ("<>=".indexOf(patterns.charAt(0)) >= 0) {
            throw new IllegalArgumentException("a rule starts with module patterns, then the versions");
        }
        for (String glob : patterns.split(",", -1)) {
            if (!ModulePatterns.isWellFormed(glob)) {
                throw new IllegalArgumentException("malformed module pattern '" + glob + "' in '" + patterns + "'");
            }
        }
    }

    /**
     * Parses rules: one per line or separated by {@code ;}; blank lines and lines that hold only a
     * {@code #} comment are skipped.
     *
     * @throws IllegalArgumentException naming the rule that is not one
     */
    public static List<PolicyRule> parseList(String text) {
        List<PolicyRule> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        for (String line : text.split("[;\n]")) {
            String body = line;
            String note = "";
            int hash = line.indexOf('#');
            if (hash >= 0) {
                body = line.substring(0, hash);
                note = line.substring(hash + 1).strip();
            }
            body = body.strip();
            if (body.isEmpty()) {
                continue;
            }
            String[] words = body.split("\\s+", 2);
            try {
                out.add(new PolicyRule(
                        words[0], words.length > 1 ? VersionRange.parse(words[1]) : VersionRange.ANY, note));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("rule '" + line.strip() + "': " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** True when the module path matches a pattern and the version is in the range. */
    public boolean covers(ModuleVersion mv) {
        return ModulePatterns.matchPrefixPatterns(patterns, mv.path().value()) && versions.contains(mv.version());
    }

    /** The rule as written, without its note. */
    public String text() {
        return versions.isAny() ? patterns : patterns + " " + versions;
    }

    @Override
    public String toString() {
        return note.isEmpty() ? text() : text() + " # " + note;
    }
}
