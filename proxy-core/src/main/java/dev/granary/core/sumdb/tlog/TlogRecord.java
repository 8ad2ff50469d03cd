package dev.granary.core.sumdb.tlog;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A log record as served in a lookup response or a data tile: the decimal record id on one line,
 * the record text (valid UTF-8, no control characters but newline, no blank line, ending in a
 * newline), then a blank line. In a lookup response the signed tree note follows ({@link #rest()}).
 * golang.org/x/mod/sumdb/tlog: FormatRecord, ParseRecord.
 *
 * @param id   record id (its leaf index in the tree)
 * @param text record text, e.g. the go.sum lines of one module version
 * @param rest the bytes after the terminating blank line (never null; empty if none)
 */
public record TlogRecord(long id, String text, byte[] rest) {

    /** The record's leaf data, as hashed into the tree: the UTF-8 bytes of {@link #text()}. */
    public byte[] textBytes() {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Formats a record.
     *
     * @throws TlogException "malformed record data" if {@code text} is not valid record text
     */
    public static byte[] formatRecord(long id, byte[] text) throws TlogException {
        if (validText(text) == null) {
            throw new TlogException("malformed record data");
        }
        byte[] head = (id + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(head, head.length + text.length + 1);
        System.arraycopy(text, 0, out, head.length, text.length);
        out[out.length - 1] = '\n';
        return out;
    }

    /**
     * Parses the record at the start of {@code msg}, stopping right after its blank line.
     *
     * @throws TlogException "malformed record data" if it is not a record
     */
    public static TlogRecord parseRecord(byte[] msg) throws TlogException {
        TlogException bad = new TlogException("malformed record data");
        int i = indexOf(msg, 0, false);
        if (i < 0) {
            throw bad;
        }
        String idStr = new String(msg, 0, i, StandardCharsets.ISO_8859_1);
        long id;
        try {
            // Go's strconv.ParseInt: optional sign, decimal digits only.
            if (!idStr.matches("[+-]?[0-9]+")) {
                throw bad;
            }
            id = Long.parseLong(idStr);
        } catch (NumberFormatException e) {
            throw bad;
        }
        int textStart = i + 1;
        int j = indexOf(msg, textStart, true);
        if (j < 0) {
            throw bad;
        }
        byte[] text = Arrays.copyOfRange(msg, textStart, j + 1);
        String s = validText(text);
        if (s == null) {
            throw bad;
        }
        return new TlogRecord(id, s, Arrays.copyOfRange(msg, j + 2, msg.length));
    }

    // Index of the first "\n" (or "\n\n" when blankLine) at or after from; -1 if none.
    private static int indexOf(byte[] b, int from, boolean blankLine) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n' && (!blankLine || (i + 1 < b.length && b[i + 1] == '\n'))) {
                return i;
            }
        }
        return -1;
    }

    // golang.org/x/mod/sumdb/tlog: isValidRecordText. Returns the decoded text, or null if invalid.
    static String validText(byte[] text) {
        String s;
        try {
            s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(text))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        int last = 0;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            if ((c < 0x20 && c != '\n') || (last == '\n' && c == '\n')) {
                return null;
            }
            last = c;
            i += Character.charCount(c);
        }
        return last == '\n' ? s : null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlogRecord r && r.id == id && r.text.equals(text) && Arrays.equals(r.rest, rest);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id) * 31 + text.hashCode();
    }

    @Override
    public String toString() {
        return "TlogRecord[id=" + id + ", text=" + text + ", rest=" + rest.length + " bytes]";
    }
}
