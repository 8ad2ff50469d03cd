package dev.granary.core.pgp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A cleartext-signed message ({@code gpg --clearsign}) that verified: its signed text and its signature.
 *
 * @param content   the signed text as {@code gpg --decrypt} writes it: dash-escaping removed, trailing
 *                  spaces and tabs removed from every line (they are not signed, RFC 4880 section 7.1),
 *                  each line ending as in the message ({@code \n} or {@code \r\n}), the last line included
 * @param signature who signed it and when
 */
public record VerifiedMessage(byte[] content, VerifiedSignature signature) {

    public VerifiedMessage {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(signature, "signature");
        content = content.clone();
    }

    @Override
    public byte[] content() {
        return content.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifiedMessage m && Arrays.equals(content, m.content) && signature.equals(m.signature);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(content) + signature.hashCode();
    }

    @Override
    public String toString() {
        return "VerifiedMessage[" + content.length + " bytes, signed by " + signature + "]";
    }

    /** The content decoded as UTF-8 (the charset RFC 4880 section 5.9 gives text by default). */
    public String text() {
        return new String(content, StandardCharsets.UTF_8);
    }
}
