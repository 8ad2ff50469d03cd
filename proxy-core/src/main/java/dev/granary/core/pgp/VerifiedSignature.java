package dev.granary.core.pgp;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A signature that verified: who made it and when. {@link SignatureVerifier} returns one only when the
 * data matched a good signature from a trusted, valid key; anything else is a {@link PgpException}.
 *
 * @param keyFingerprint        the primary key's fingerprint (upper-case hex, as {@code gpg} prints it)
 * @param signingKeyFingerprint the fingerprint of the key that made the signature: a signing subkey, or
 *                              the primary key itself (then equal to {@code keyFingerprint})
 * @param userId                the key's primary user id, empty when the key has none
 * @param created               the signature's creation time (from its hashed subpackets)
 * @param textMode              true for a canonical-text signature (type 0x01, {@code gpg --textmode}
 *                              and {@code --clearsign}), false for a binary one (type 0x00)
 * @param hashAlgorithm         the signature's hash algorithm, e.g. {@code SHA512}
 */
public record VerifiedSignature(
        String keyFingerprint,
        String signingKeyFingerprint,
        Optional<String> userId,
        Instant created,
        boolean textMode,
        String hashAlgorithm) {

    public VerifiedSignature {
        Objects.requireNonNull(keyFingerprint, "keyFingerprint");
        Objects.requireNonNull(signingKeyFingerprint, "signingKeyFingerprint");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(hashAlgorithm, "hashAlgorithm");
    }

    /** True when a subkey, not the primary key, made the signature. */
    public boolean bySubkey() {
        return !keyFingerprint.equals(signingKeyFingerprint);
    }

    /** {@code KEYFPR "User <id>"} (plus {@code subkey SUBFPR} when a subkey signed), for logs and messages. */
    @Override
    public String toString() {
        return keyFingerprint + userId.map(u -> " \"" + Pgp.printable(u) + "\"").orElse("")
                + (bySubkey() ? " subkey " + signingKeyFingerprint : "") + " at " + created;
    }
}
