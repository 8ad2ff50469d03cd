package dev.granary.core.gocache;

/** A pre-warm bundle was refused: malformed, or a file that is not what its manifest or name says. */
public final class BundleException extends Exception {

    /** Why a bundle was refused. */
    public enum Reason {
        /** Not a zstd-compressed tar with a valid manifest first, or an entry the manifest does not list. */
        MALFORMED,
        /** A file whose size or SHA-256 differs from the manifest, or an output whose name is not its SHA-256. */
        CORRUPT,
        /** Files the manifest lists are missing from the archive (truncated). */
        INCOMPLETE
    }

    private final Reason reason;

    public BundleException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public BundleException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
