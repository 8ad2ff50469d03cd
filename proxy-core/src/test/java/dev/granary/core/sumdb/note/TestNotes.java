package dev.granary.core.sumdb.note;

/** Signs notes in tests outside this package (the signer's parser is package-private). */
public final class TestNotes {
    private TestNotes() {}

    /** Signs {@code text} with the signer key {@code PRIVATE+KEY+...}. */
    public static byte[] sign(String text, String signerKey) throws NoteException {
        return Notes.sign(text, NoteSigner.parse(signerKey));
    }
}
