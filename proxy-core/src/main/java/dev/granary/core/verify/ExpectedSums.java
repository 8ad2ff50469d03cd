package dev.granary.core.verify;

import dev.granary.core.module.GoSum;

/**
 * The hashes a version must have, and who says so.
 *
 * @param sums      the authoritative go.sum lines
 * @param authority who vouches for them, for messages: a checksum database name, or {@code pin}
 * @param pinned    true when the authority is the first fetch of a private module (a pin)
 */
public record ExpectedSums(GoSum sums, String authority, boolean pinned) {

    public static ExpectedSums fromDatabase(GoSum sums, String database) {
        return new ExpectedSums(sums, database, false);
    }

    public static ExpectedSums fromPin(GoSum sums) {
        return new ExpectedSums(sums, "pin", true);
    }
}
