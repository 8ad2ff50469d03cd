package dev.granary.core.fetch;

import dev.granary.core.ProxyException;

/** Content refused by verification; {@link #reason()} is its metrics label (zip-rules, checksum-mismatch, ...). */
public final class RefusedException extends ProxyException {
    private final String reason;

    public RefusedException(String reason, String message) {
        super(Kind.VERIFICATION_FAILED, message);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
