package dev.granary.core.sumdb.note;

/**
 * Signs with one key. golang.org/x/mod/sumdb/note: Signer.
 */
public interface NoteSigner {

    /** The server name of the key. */
    String name();

    /** The key hash of the corresponding verifier key. */
    int keyHash();

    /** Signs {@code msg}. */
    byte[] sign(byte[] msg) throws NoteException;

    /**
     * Parses a signer key {@code PRIVATE+KEY+name+hash+base64(alg||seed)}; alg 1 is Ed25519 with a
     * 32-byte seed. The hash is checked against the public key derived from the seed.
     *
     * @throws NoteException MALFORMED_KEY, UNKNOWN_ALGORITHM or KEY_HASH_MISMATCH
     */
    static NoteSigner parse(String skey) throws NoteException {
        return Keys.parseSigner(skey);
    }
}
