package dev.granary.core.pgp;

import dev.granary.core.pgp.PgpException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The framing of a cleartext-signed message, RFC 4880 section 7 (RFC 9580 section 7):
 * <pre>
 * -----BEGIN PGP SIGNED MESSAGE-----
 * Hash: SHA256
 *
 * dash-escaped text
 * -----BEGIN PGP SIGNATURE-----
 * ...
 * -----END PGP SIGNATURE-----
 * </pre>
 * Parsed strictly: text outside the framing, unknown armor headers and unescaped dashes are refused
 * rather than skipped, so what is verified is all there is.
 *
 * @param lines     the text lines, dash-escaping removed, line ending and trailing whitespace kept
 * @param endings   each line's ending as it appeared ({@code \n} or {@code \r\n})
 * @param hashes    the {@code Hash} header's algorithm names, upper case; empty when absent
 * @param signature the armored signature block, from its BEGIN line to its END line
 */
record Cleartext(List<byte[]> lines, List<String> endings, List<String> hashes, byte[] signature) {

    static final String BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----";
    private static final String SIG_BEGIN = "-----BEGIN PGP SIGNATURE-----";
    private static final String SIG_END = "-----END PGP SIGNATURE-----";

    static Cleartext parse(byte[] message) throws PgpException {
        List<byte[]> raw = new ArrayList<>();
        List<String> rawEndings = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= message.length; i++) {
            if (i == message.length || message[i] == '\n') {
                if (i == message.length && start == i) {
                    break;
                }
                int end = i > start && message[i - 1] == '\r' && i < message.length ? i - 1 : i;
                raw.add(Arrays.copyOfRange(message, start, end));
                rawEndings.add(i == message.length ? "" : end < i ? "\r\n" : "\n");
                start = i + 1;
            }
        }
        int n = 0;
        if (raw.isEmpty() || !trimmed(raw.get(0)).equals(BEGIN)) {
            throw malformed("not a cleartext-signed message: it does not start with " + BEGIN);
        }
        n++;
        List<String> hashes = new ArrayList<>();
        for (; ; n++) {
            if (n == raw.size()) {
                throw malformed("cleartext-signed message ends inside its armor headers");
            }
            String line = trimmed(raw.get(n));
            if (line.isEmpty()) {
                n++;
                break;
            }
            int colon = line.indexOf(": ");
            if (colon < 0 || !line.substring(0, colon).equals("Hash")) {
                throw malformed("cleartext-signed message has an armor header other than Hash: " + Pgp.printable(line));
            }
            for (String h : line.substring(colon + 2).split(",")) {
                hashes.add(h.strip().toUpperCase(Locale.ROOT));
            }
        }
        List<byte[]> lines = new ArrayList<>();
        List<String> endings = new ArrayList<>();
        for (; ; n++) {
            if (n == raw.size()) {
                throw malformed("cleartext-signed message has no " + SIG_BEGIN + " line");
            }
            byte[] line = raw.get(n);
            if (line.length > 0 && line[0] == '-') {
                if (trimmed(line).equals(SIG_BEGIN)) {
                    break;
                }
                // RFC 4880 section 7.1: every text line starting with '-' is escaped as "- ".
                if (line.length < 2 || line[1] != ' ') {
                    throw malformed("line " + (n + 1)
                            + " of the cleartext-signed message starts with a dash that is not escaped");
                }
                line = Arrays.copyOfRange(line, 2, line.length);
            }
            lines.add(line);
            endings.add(rawEndings.get(n));
        }
        ByteArrayOutputStream sig = new ByteArrayOutputStream();
        for (; ; n++) {
            if (n == raw.size()) {
                throw malformed("cleartext-signed message has no " + SIG_END + " line");
            }
            sig.writeBytes(raw.get(n));
            sig.write('\n');
            if (trimmed(raw.get(n)).equals(SIG_END)) {
                n++;
                break;
            }
        }
        for (; n < raw.size(); n++) {
            if (!trimmed(raw.get(n)).isEmpty()) {
                throw malformed("cleartext-signed message has text after " + SIG_END + " (line " + (n + 1) + ")");
            }
        }
        return new Cleartext(lines, endings, hashes, sig.toByteArray());
    }

    /** The length of {@code line} without trailing spaces and tabs, which the signature does not cover (RFC 4880 section 7.1). */
    static int signedLength(byte[] line) {
        int len = line.length;
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t')) {
            len--;
        }
        return len;
    }

    /** The text as {@code gpg --decrypt} writes it: trailing whitespace removed, endings kept, the last line ended too. */
    byte[] content() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < lines.size(); i++) {
            byte[] line = lines.get(i);
            out.write(line, 0, signedLength(line));
            out.writeBytes(endings.get(i).getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private static String trimmed(byte[] line) {
        return new String(line, StandardCharsets.UTF_8).stripTrailing();
    }

    private static PgpException malformed(String message) {
        return new PgpException(Reason.MALFORMED_SIGNATURE, message);
    }
}
