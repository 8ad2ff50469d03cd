package dev.granary.core.gocache;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One action entry of a build cache directory, the content of a {@code <xx>/<action>-a} file
 * ({@code cmd/go/internal/cache/cache.go}, unchanged from Go 1.10 to 1.26):
 * <pre>
 * v1 &lt;hex action id&gt; &lt;hex output id&gt; &lt;size, space-padded to 20&gt; &lt;unix nanos, space-padded to 20&gt;\n
 * </pre>
 * The go command treats anything else as a miss; a bundle refuses it.
 *
 * @param actionId  the action's ID, which is also the file's name
 * @param outputId  the SHA-256 of the output, stored as {@code <xx>/<output>-d}
 * @param size      the output's size in bytes
 * @param timeNanos when the entry was written (the go command compares test results with it)
 */
public record ActionEntry(String actionId, String outputId, long size, long timeNanos) {
    /** The exact length of an entry file. */
    public static final int LENGTH = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1;

    public ActionEntry {
        if (!CacheIds.isId(actionId) || !CacheIds.isId(outputId) || size < 0 || timeNanos < 0) {
            throw new IllegalArgumentException("invalid action entry");
        }
    }

    /** Parses an entry file's content; empty when it is not exactly one well-formed entry. */
    public static Optional<ActionEntry> parse(byte[] content) {
        if (content.length != LENGTH) {
            return Optional.empty();
        }
        String s = new String(content, StandardCharsets.US_ASCII);
        if (!s.startsWith("v1 ")
                || s.charAt(67) != ' '
                || s.charAt(132) != ' '
                || s.charAt(153) != ' '
                || s.charAt(LENGTH - 1) != '\n') {
            return Optional.empty();
        }
        String action = s.substring(3, 67);
        String output = s.substring(68, 132);
        try {
            long size = Long.parseLong(s.substring(133, 153).stripLeading());
            long time = Long.parseLong(s.substring(154, 174).stripLeading());
            if (!CacheIds.isId(action) || !CacheIds.isId(output) || size < 0 || time < 0) {
                return Optional.empty();
            }
            return Optional.of(new ActionEntry(action, output, size, time));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The entry file's content, as the go command writes it. */
    public byte[] format() {
        return String.format("v1 %s %s %20d %20d\n", actionId, outputId, size, timeNanos)
                .getBytes(StandardCharsets.US_ASCII);
    }
}
