package dev.granary.core.sumdb;

import dev.granary.core.verify.RefusedException;
import java.nio.charset.StandardCharsets;

/**
 * The checksum database presented two signed tree heads that cannot both be true: the newer tree
 * does not contain the older one as a prefix. This is server misbehaviour (or an attack), never a
 * transient error; the newest trusted head is left as it was. Kind {@code VERIFICATION_FAILED}, reason {@code fork}.
 */
public final class SumdbForkException extends RefusedException {

    private final transient byte[] olderNote;
    private final transient byte[] newerNote;

    public SumdbForkException(String message, byte[] olderNote, byte[] newerNote) {
        super("fork", message);
        this.olderNote = olderNote.clone();
        this.newerNote = newerNote.clone();
    }

    /** The signed note of the smaller tree (evidence). */
    public byte[] olderNote() {
        return olderNote.clone();
    }

    /** The signed note of the larger tree (evidence). */
    public byte[] newerNote() {
        return newerNote.clone();
    }

    /** Both notes, as text, for a security report. */
    public String evidence() {
        return "old database:\n" + new String(olderNote, StandardCharsets.UTF_8) + "new database:\n"
                + new String(newerNote, StandardCharsets.UTF_8);
    }
}
