package dev.granary.core.sumdb.tlog;

/**
 * A transparency-log check failed or its input was malformed: a proof that does not prove, a tile
 * inconsistent with the signed tree, a malformed tile path, tree note or record. Checked, so that
 * callers decide how a verification failure surfaces (the sumdb client turns it into a
 * {@link dev.granary.core.ProxyException} of kind {@code VERIFICATION_FAILED}).
 */
public class TlogException extends Exception {

    public TlogException(String message) {
        super(message);
    }

    public TlogException(String message, Throwable cause) {
        super(message, cause);
    }
}
