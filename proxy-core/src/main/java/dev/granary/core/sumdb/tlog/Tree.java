package dev.granary.core.sumdb.tlog;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * A tree head: the size of the log and its root hash. Its note text is three lines, each ending in
 * a newline: {@code go.sum database tree}, the decimal size, the base64 root hash. Extra lines
 * after those are ignored (reserved for backwards-compatible additions).
 * golang.org/x/mod/sumdb/tlog: Tree, FormatTree, ParseTree.
 *
 * @param n    number of records
 * @param hash root hash ({@link Hash#ZERO} for the empty tree)
 */
public record Tree(long n, Hash hash) {

    private static final String PREFIX = "go.sum database tree\n";

    public Tree {
        if (n < 0) {
            throw new IllegalArgumentException("negative tree size " + n);
        }
        Objects.requireNonNull(hash, "hash");
    }

    /** The note text of this tree head. */
    public String formatTree() {
        return PREFIX + n + "\n" + hash + "\n";
    }

    /** Parses the text of a tree note (see {@link #formatTree()}). */
    public static Tree parseTree(String text) throws TlogException {
        return parseTree(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Parses the text of a tree note.
     *
     * @throws TlogException "malformed tree note" if it is not the format above
     */
    public static Tree parseTree(byte[] text) throws TlogException {
        TlogException bad = new TlogException("malformed tree note");
        String s = new String(text, StandardCharsets.UTF_8);
        if (!s.startsWith(PREFIX)
                || text.length > 1_000_000
                || s.chars().filter(c -> c == '\n').count() < 3) {
            throw bad;
        }
        String[] lines = s.split("\n", 4);
        long n;
        try {
            n = Long.parseLong(lines[1]);
        } catch (NumberFormatException e) {
            throw bad;
        }
        if (n < 0 || !lines[1].equals(Long.toString(n))) {
            throw bad;
        }
        byte[] h = decodeBase64Std(lines[2]);
        if (h == null || h.length != Hash.SIZE) {
            throw bad;
        }
        return new Tree(n, Hash.of(h));
    }

    // Go's base64.StdEncoding insists on padding; java.util.Base64 does not, so check the length.
    static byte[] decodeBase64Std(String s) {
        if (s.length() % 4 != 0) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
