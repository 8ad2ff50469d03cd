package dev.granary.core.sumdb.note;

/**
 * A signed note or a key could not be used. {@link #reason()} tells the cases apart; the messages
 * are those of golang.org/x/mod/sumdb/note. Checked: callers decide how it surfaces (the sumdb
 * client reports it as a {@link dev.granary.core.ProxyException} of kind VERIFICATION_FAILED).
 */
public class NoteException extends Exception {

    /** What was wrong. */
    public enum Reason {
        /** The note's syntax is wrong, or it has more than 100 signatures ("malformed note"). */
        MALFORMED_NOTE,
        /** A verifier key string cannot be parsed ("malformed verifier id"). */
        MALFORMED_KEY,
        /** The key's algorithm byte is not 1 (Ed25519) ("unknown verifier algorithm"). */
        UNKNOWN_ALGORITHM,
        /** The key hash does not match the name and key ("invalid verifier hash"). */
        KEY_HASH_MISMATCH,
        /** No verifier is known for a signature's name and key hash ("unknown key NAME+HASH"). */
        UNKNOWN_KEY,
        /** Several verifiers share a name and key hash ("ambiguous key NAME+HASH"). */
        AMBIGUOUS_KEY,
        /** A known key's signature does not verify ("invalid signature for key NAME+HASH"). */
        INVALID_SIGNATURE,
        /** The note parsed but none of its signatures is from a known key. {@link #note()} has it. */
        UNVERIFIED,
        /** A verifier lookup returned a verifier for another name or hash. */
        MISMATCHED_VERIFIER,
        /** A signer has an invalid name ("invalid signer"). */
        INVALID_SIGNER,
        /** Signing failed in the crypto provider. */
        SIGNING_FAILED
    }

    private final Reason reason;
    private final transient Note note;

    public NoteException(Reason reason, String message) {
        this(reason, message, null, null);
    }

    public NoteException(Reason reason, String message, Note note, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.note = note;
    }

    public Reason reason() {
        return reason;
    }

    /** For {@link Reason#UNVERIFIED}: the parsed note with its unverified signatures; else null. */
    public Note note() {
        return note;
    }

    static NoteException malformedNote() {
        return new NoteException(Reason.MALFORMED_NOTE, "malformed note");
    }

    /** The error for a name and key hash no verifier knows. */
    public static NoteException unknownKey(String name, int hash) {
        return new NoteException(Reason.UNKNOWN_KEY, "unknown key " + name + "+" + hex(hash));
    }

    static String hex(int hash) {
        return String.format("%08x", hash);
    }
}
