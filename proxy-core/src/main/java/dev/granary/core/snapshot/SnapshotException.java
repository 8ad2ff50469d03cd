package dev.granary.core.snapshot;

import java.util.Optional;

/**
 * A snapshot was refused, or could not be made: the message says why in one line, naming the member
 * concerned when there is one ({@link #member()}). Export, verification and import all report their
 * refusals this way; the command line prints the message and exits non-zero.
 */
public class SnapshotException extends Exception {
    private final String member;

    public SnapshotException(String message) {
        this(null, message, null);
    }

    public SnapshotException(String message, Throwable cause) {
        this(null, message, cause);
    }

    /** @param member the snapshot member concerned (its path in the archive), or null */
    public SnapshotException(String member, String message, Throwable cause) {
        super(oneLine(member == null ? message : "member " + member + ": " + message), cause);
        this.member = member;
    }

    /** Refusals are reported on one line: multi-line details (hashes, notes) are joined with "; ". */
    private static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\n\\s*", "; ");
    }

    /** A refusal about one member. */
    public static SnapshotException member(String member, String message) {
        return new SnapshotException(member, message, null);
    }

    /** The archive path of the member concerned, when the refusal is about one. */
    public Optional<String> member() {
        return Optional.ofNullable(member);
    }
}
