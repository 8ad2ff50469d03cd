package dev.granary.core.verify;

import dev.granary.core.ProxyException;

/**
 * Content refused by verification, never cached and never answered as not-found. {@link #reason()}
 * is its metrics label: zip-rules, go-mod-mismatch, checksum-mismatch, pin-mismatch, not-in-sumdb,
 * invalid-proof, fork; for release archives dl-size-mismatch, dl-sha256-mismatch, dl-signature-missing,
 * dl-signature-refused. The fetch pipeline (and the release archive mirror) counts and logs every
 * refusal once.
 */
public class RefusedException extends ProxyException {
    private final String reason;

    public RefusedException(String reason, String message) {
        super(Kind.VERIFICATION_FAILED, message);
        this.reason = reason;
    }

    public RefusedException(String reason, String message, Throwable cause) {
        super(Kind.VERIFICATION_FAILED, message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
