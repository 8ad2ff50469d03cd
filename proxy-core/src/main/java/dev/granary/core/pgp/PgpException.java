package dev.granary.core.pgp;

/**
 * An OpenPGP key or signature was refused. {@link #reason()} tells the cases apart, {@link #fingerprint()}
 * names the key concerned when there is one, and the message is one line meant for people: it names the
 * key by fingerprint (and user id when known) and says why. Messages never contain a passphrase or key
 * material. Checked: callers decide how a refusal surfaces (the CLI prints it and exits 1; an import
 * refuses the bundle).
 */
public class PgpException extends Exception {

    /** Why a key or signature was refused. */
    public enum Reason {
        /** A key file is not OpenPGP key material, is truncated, or holds the wrong kind of key. */
        MALFORMED_KEY,
        /** A secret key could not be unlocked: wrong or missing passphrase. */
        WRONG_PASSPHRASE,
        /** A secret key has no usable (valid, signing-capable, unlocked) key to sign with. */
        NO_SIGNING_KEY,
        /**
         * A signature is missing, truncated, garbage, not a document signature, several where one is
         * expected, made before its key existed, or framed wrongly (cleartext).
         */
        MALFORMED_SIGNATURE,
        /** The signature's issuer is not in the keyring of trusted keys. */
        UNKNOWN_KEY,
        /** The signing key or subkey carries a valid revocation signature. */
        KEY_REVOKED,
        /** The signing key or subkey had expired when the signature was made, or has expired since. */
        KEY_EXPIRED,
        /** The signing key has no valid self-signature, or the subkey no valid binding signature. */
        INVALID_BINDING,
        /** The subkey (or primary key) that signed is not marked for signing data. */
        NOT_SIGNING_KEY,
        /** The key's algorithm or size, or the signature's hash algorithm, is not accepted (DSA, SHA-1, RSA under 2000 bits). */
        UNACCEPTABLE_ALGORITHM,
        /** The signature claims a creation time in the future (beyond a small clock skew). */
        FUTURE_SIGNATURE,
        /** The signature carries an expiration time, and it has passed. */
        SIGNATURE_EXPIRED,
        /** The signature does not match the data: the data was changed or the signature belongs to other data. */
        BAD_SIGNATURE
    }

    private final Reason reason;
    private final String fingerprint;

    public PgpException(Reason reason, String message) {
        this(reason, null, message, null);
    }

    public PgpException(Reason reason, String fingerprint, String message) {
        this(reason, fingerprint, message, null);
    }

    public PgpException(Reason reason, String fingerprint, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.fingerprint = fingerprint;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * The fingerprint (upper-case hex, as {@code gpg --with-colons} prints it) of the key the refusal is
     * about: the subkey when a subkey is revoked, expired, unbound or not marked for signing; the
     * primary key when the primary key is; the key that made the signature for refusals of the
     * signature itself (bad, from the future, malformed); the issuer the signature names for
     * {@link Reason#UNKNOWN_KEY} (a 16-digit key ID when the signature carries no fingerprint). Null
     * when no key is concerned (input that does not parse, a signature that names no issuer).
     */
    public String fingerprint() {
        return fingerprint;
    }
}
