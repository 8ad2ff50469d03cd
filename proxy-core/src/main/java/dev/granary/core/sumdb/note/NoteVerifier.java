package dev.granary.core.sumdb.note;

/**
 * Verifies signatures made with one key. golang.org/x/mod/sumdb/note: Verifier.
 * {@link #parse} reads the verifier keys databases publish, e.g.
 * {@code sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8}.
 */
public interface NoteVerifier {

    /** The server name of the key. */
    String name();

    /** The key hash: the first 4 bytes of SHA-256(name + "\n" + alg || key), big-endian. */
    int keyHash();

    /** True if {@code sig} is a valid signature of {@code msg}. Never throws. */
    boolean verify(byte[] msg, byte[] sig);

    /**
     * Parses a verifier key {@code name+hash+base64(alg||key)}; alg 1 is Ed25519 (32-byte key).
     *
     * @throws NoteException MALFORMED_KEY, UNKNOWN_ALGORITHM or KEY_HASH_MISMATCH
     */
    static NoteVerifier parse(String vkey) throws NoteException {
        return Keys.parseVerifier(vkey);
    }
}
