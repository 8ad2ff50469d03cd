package dev.granary.core.sumdb.note;

import java.util.List;

/**
 * A note: text plus signatures. {@code sigs} are the verified signatures, {@code unverifiedSigs}
 * those from keys the verifier list does not know. golang.org/x/mod/sumdb/note: Note.
 *
 * @param text           the text, ending in a newline
 * @param sigs           verified signatures
 * @param unverifiedSigs signatures by unknown keys
 */
public record Note(String text, List<Signature> sigs, List<Signature> unverifiedSigs) {

    public Note {
        sigs = List.copyOf(sigs);
        unverifiedSigs = List.copyOf(unverifiedSigs);
    }

    /** An unsigned note with the given text. */
    public static Note of(String text) {
        return new Note(text, List.of(), List.of());
    }
}
