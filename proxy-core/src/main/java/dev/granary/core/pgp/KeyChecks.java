package dev.granary.core.pgp;

import dev.granary.core.pgp.PgpException.Reason;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.bcpg.sig.RevocationReason;
import org.bouncycastle.bcpg.sig.RevocationReasonTags;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureException;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPComponentKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPComponentSignature;
import org.bouncycastle.openpgp.api.OpenPGPPolicy;

/**
 * Decides whether a key of the keyring may have made a document signature, before any data is read.
 *
 * <p>Implementation notes. Key state is judged as GnuPG judges it: from the key's current
 * self-signatures, at the present time. Judging it "as of the signature time" instead would need the
 * self-signatures that were current back then, and GnuPG replaces a key's self-signature whenever its
 * expiry changes ({@code --quick-set-expire}), so every older signature would look unbound. Against
 * that present state:
 * <ul>
 *   <li>revocation is absolute: a key or subkey with a valid revocation signature is refused whatever
 *       the signature's date and whatever the revocation's reason (GnuPG accepts signatures made before
 *       a "superseded" or "retired" revocation; a supply chain does not need to);</li>
 *   <li>expiry is the key creation time plus the current self-signature's key expiration time; a
 *       signature made at or after it is refused ("had expired"), and so is any signature once the key
 *       has expired, however old (GnuPG calls that a good signature with a warning);</li>
 *   <li>binding, key flags and the algorithm policy are checked by BouncyCastle's certificate model
 *       ({@link OpenPGPCertificate}), which verifies every self-signature, subkey binding and embedded
 *       primary-key binding (back-signature) it relies on.</li>
 * </ul>
 * The certificate model caches verification results in its signature objects and is not thread-safe:
 * callers hold the certificate's monitor.
 */
final class KeyChecks {

    private KeyChecks() {}

    /**
     * Refuses the signature if its structure or its key's state does not allow it; returns normally
     * when the cryptographic check is all that remains.
     *
     * @param skewMillis how far in the future a signature may claim to be made (clock differences)
     */
    static void check(OpenPGPCertificate cert, OpenPGPComponentKey signer, PGPSignature sig, Date now, long skewMillis)
            throws PgpException {
        OpenPGPComponentKey primary = cert.getPrimaryKey();
        String fpr = Pgp.fingerprint(primary);
        String who = Pgp.describe(cert, now);
        boolean subkey = signer != primary;
        String signerFpr = Pgp.fingerprint(signer);
        String signerName = subkey ? "subkey " + signerFpr + " of key " + who : "key " + who;
        OpenPGPPolicy policy = Pgp.IMPL.policy();

        // RFC 9580 section 5.2.3: v4 and later signatures carry their creation time in the hashed area;
        // v3 signatures (no subpackets at all) are obsolete.
        if (sig.getVersion() < 4) {
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE,
                    signerFpr,
                    "version " + sig.getVersion() + " signature from " + signerName + " is not accepted");
        }
        PGPSignatureSubpacketVector hashed = sig.getHashedSubPackets();
        if (hashed == null || hashed.getSignatureCreationTime() == null) {
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE,
                    signerFpr,
                    "signature from " + signerName + " has no signed creation time");
        }
        if (!policy.hasNoCriticalUnknownSubpackets(sig) || !policy.hasNoCriticalUnknownNotations(sig)) {
            // RFC 9580 section 5.2.3.7: a critical subpacket the verifier does not understand makes the
            // signature invalid.
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE,
                    signerFpr,
                    "signature from " + signerName + " has a critical subpacket that is not understood");
        }
        for (OpenPGPComponentKey k : subkey ? List.of(primary, signer) : List.of(primary)) {
            if (!policy.isAcceptablePublicKey(k.getPGPPublicKey())) {
                throw new PgpException(
                        Reason.UNACCEPTABLE_ALGORITHM,
                        Pgp.fingerprint(k),
                        (k == primary ? "key " + who : "subkey " + Pgp.fingerprint(k) + " of key " + who) + " uses "
                                + Pgp.algorithmName(k.getPGPPublicKey()) + ", which is not accepted");
            }
        }
        if (!policy.hasAcceptableSignatureHashAlgorithm(sig)) {
            throw new PgpException(
                    Reason.UNACCEPTABLE_ALGORITHM,
                    signerFpr,
                    "signature from " + signerName + " uses hash algorithm " + Pgp.hashName(sig.getHashAlgorithm())
                            + ", which is not accepted");
        }

        Date created = sig.getCreationTime();
        if (created.getTime() > now.getTime() + skewMillis) {
            throw new PgpException(
                    Reason.FUTURE_SIGNATURE,
                    signerFpr,
                    "signature from " + signerName + " claims to be made in the future (" + created.toInstant()
                            + ", now " + now.toInstant() + ")");
        }
        if (created.before(signer.getCreationTime())) {
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE,
                    signerFpr,
                    "signature from " + signerName
                            + " is dated " + created.toInstant() + ", before the key was created ("
                            + signer.getCreationTime().toInstant() + ")");
        }
        long sigExpiry = hashed.getSignatureExpirationTime();
        if (sigExpiry > 0 && !now.before(new Date(created.getTime() + sigExpiry * 1000))) {
            throw new PgpException(
                    Reason.SIGNATURE_EXPIRED,
                    signerFpr,
                    "signature from " + signerName + " expired on "
                            + new Date(created.getTime() + sigExpiry * 1000).toInstant());
        }

        revoked(primary, now, fpr, "key " + who);
        if (subkey) {
            revoked(signer, now, signerFpr, signerName);
        }
        expired(primary, created, now, fpr, "key " + who);
        if (subkey) {
            expired(signer, created, now, signerFpr, signerName);
        }
        if (!primary.isBoundAt(now)) {
            throw new PgpException(Reason.INVALID_BINDING, fpr, "key " + who + " has no valid self-signature");
        }
        if (subkey && !signer.isBoundAt(now)) {
            throw new PgpException(Reason.INVALID_BINDING, signerFpr, signerName + " has no valid binding signature");
        }
        if (!signer.isSigningKey(now)) {
            throw new PgpException(
                    Reason.NOT_SIGNING_KEY,
                    signerFpr,
                    signerName + " is not marked for signing data (key flags: " + flags(signer, now) + ")");
        }
    }

    private static void revoked(OpenPGPComponentKey key, Date now, String fpr, String name) throws PgpException {
        OpenPGPComponentSignature revocation = key.getRevocation(now);
        if (revocation == null || !correct(revocation)) {
            // An incorrect revocation is ignored here; the binding check below then refuses the key if
            // it shadows the valid self-signature.
            return;
        }
        throw new PgpException(
                Reason.KEY_REVOKED,
                fpr,
                name + " is revoked (since " + revocation.getCreationTime().toInstant()
                        + reason(revocation.getSignature()) + ")");
    }

    private static void expired(OpenPGPComponentKey key, Date created, Date now, String fpr, String name)
            throws PgpException {
        Date expiry = key.getKeyExpirationDateAt(now);
        if (expiry == null) {
            return;
        }
        if (!created.before(expiry)) {
            throw new PgpException(
                    Reason.KEY_EXPIRED,
                    fpr,
                    name + " had expired (" + expiry.toInstant() + ") when the signature was made ("
                            + created.toInstant() + ")");
        }
        if (!now.before(expiry)) {
            throw new PgpException(
                    Reason.KEY_EXPIRED,
                    fpr,
                    name + " expired on " + expiry.toInstant()
                            + "; signatures from expired keys are refused even when made before (renew it: gpg --quick-set-expire, then export it again)");
        }
    }

    private static boolean correct(OpenPGPComponentSignature sig) {
        try {
            sig.verify(Pgp.IMPL);
            return true;
        } catch (PGPSignatureException e) {
            return false;
        }
    }

    private static String reason(PGPSignature revocation) {
        PGPSignatureSubpacketVector hashed = revocation.getHashedSubPackets();
        RevocationReason reason = hashed == null ? null : hashed.getRevocationReason();
        if (reason == null) {
            return "";
        }
        String code = switch (reason.getRevocationReason()) {
            case RevocationReasonTags.NO_REASON -> "no reason given";
            case RevocationReasonTags.KEY_SUPERSEDED -> "key superseded";
            case RevocationReasonTags.KEY_COMPROMISED -> "key compromised";
            case RevocationReasonTags.KEY_RETIRED -> "key retired";
            default -> "reason code " + reason.getRevocationReason();
        };
        String text = Pgp.printable(reason.getRevocationDescription());
        return ", " + code + (text.isBlank() ? "" : ": " + text);
    }

    private static String flags(OpenPGPComponentKey key, Date now) {
        KeyFlags flags = key.getKeyFlags(now);
        if (flags == null) {
            return "none";
        }
        int f = flags.getFlags();
        List<String> names = new ArrayList<>();
        if ((f & KeyFlags.CERTIFY_OTHER) != 0) {
            names.add("certify");
        }
        if ((f & KeyFlags.SIGN_DATA) != 0) {
            names.add("sign");
        }
        if ((f & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) != 0) {
            names.add("encrypt");
        }
        if ((f & KeyFlags.AUTHENTICATION) != 0) {
            names.add("authenticate");
        }
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
