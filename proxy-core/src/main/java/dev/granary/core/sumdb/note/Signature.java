package dev.granary.core.sumdb.note;

/**
 * One signature line of a note: {@code — NAME BASE64}, where BASE64 encodes the 4-byte big-endian
 * key hash followed by the signature bytes. golang.org/x/mod/sumdb/note: Signature.
 *
 * @param name   the signer's name
 * @param hash   the key hash
 * @param base64 the base64 of key hash and signature, as it appears on the line
 */
public record Signature(String name, int hash, String base64) {

    @Override
    public String toString() {
        return name + "+" + NoteException.hex(hash) + " " + base64;
    }
}
