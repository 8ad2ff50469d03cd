package dev.granary.core.policy;

import dev.granary.core.ProxyException;

/**
 * A version refused by policy: {@code FORBIDDEN} (403, so the go command stops instead of falling
 * through to the next proxy or {@code direct}), with a reason for metrics ({@link #DENIED},
 * {@link #NOT_ALLOWED}, {@link #QUARANTINED}) and a message that tells the user why and, for a
 * quarantine, until when.
 */
public final class PolicyException extends ProxyException {
    /** Covered by a deny rule. */
    public static final String DENIED = "denied";
    /** An allow list is configured and no rule on it covers the version. */
    public static final String NOT_ALLOWED = "not-allowed";
    /** Younger than the minimum age, or of unknown age. */
    public static final String QUARANTINED = "quarantined";

    private final String reason;

    public PolicyException(String reason, String message) {
        super(Kind.FORBIDDEN, message);
        this.reason = reason;
    }

    /** The metrics label: {@link #DENIED}, {@link #NOT_ALLOWED} or {@link #QUARANTINED}. */
    public String reason() {
        return reason;
    }

    /** A copy for another waiter of the same refusal, caused by this one. */
    public PolicyException copy() {
        PolicyException e = new PolicyException(reason, getMessage());
        e.initCause(this);
        return e;
    }
}
