package dev.granary.server.auth;

import dev.granary.core.module.ModulePatterns;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The rights of one token, as its line in the token file grants them: {@code read} (every module),
 * {@code read:<patterns>} (modules matching GOPRIVATE-style patterns, comma-separated; may repeat),
 * {@code cache-read}, {@code cache-write} (implies {@code cache-read}), {@code metrics}, {@code admin}
 * (everything).
 *
 * @param rights       the rights held outright ({@link Right#READ} only when every module may be read)
 * @param readPatterns module patterns readable besides, comma-separated, or empty
 */
public record Grants(Set<Right> rights, String readPatterns) {

    public Grants {
        rights = Set.copyOf(rights);
    }

    /**
     * Parses the rights words of a token line.
     *
     * @throws IllegalArgumentException naming an unknown right or a malformed pattern
     */
    public static Grants parse(List<String> words) {
        Set<Right> rights = EnumSet.noneOf(Right.class);
        List<String> patterns = new ArrayList<>();
        for (String w : words) {
            switch (w) {
                case "read" -> rights.add(Right.READ);
                case "cache-read" -> rights.add(Right.CACHE_READ);
                case "cache-write" -> rights.addAll(List.of(Right.CACHE_READ, Right.CACHE_WRITE));
                case "metrics" -> rights.add(Right.METRICS);
                case "admin" -> rights.addAll(EnumSet.allOf(Right.class));
                default -> {
                    if (!w.startsWith("read:")) {
                        throw new IllegalArgumentException("unknown right '" + w
                                + "' (rights: read, read:<patterns>, cache-read, cache-write, metrics, admin)");
                    }
                    for (String glob : w.substring("read:".length()).split(",", -1)) {
                        if (!ModulePatterns.isWellFormed(glob)) {
                            throw new IllegalArgumentException(
                                    "malformed module pattern '" + glob + "' in '" + w + "'");
                        }
                        patterns.add(glob);
                    }
                }
            }
        }
        if (rights.isEmpty() && patterns.isEmpty()) {
            throw new IllegalArgumentException("no rights given");
        }
        return new Grants(rights, String.join(",", patterns));
    }

    /** True when these grants allow {@code right} ({@link Right#READ} here means every module). */
    public boolean has(Right right) {
        return rights.contains(right);
    }

    /** True when the module at {@code path} may be read. */
    public boolean mayRead(String path) {
        return rights.contains(Right.READ) || ModulePatterns.matchPrefixPatterns(readPatterns, path);
    }

    /** True when some module may be read (what checksum-database requests need). */
    public boolean readsAnything() {
        return rights.contains(Right.READ) || !readPatterns.isEmpty();
    }

    /** The read rights, for a refusal that says what the token may read instead. */
    String describeReads() {
        if (rights.contains(Right.READ)) {
            return "every module";
        }
        return readPatterns.isEmpty() ? "no modules" : readPatterns;
    }
}
