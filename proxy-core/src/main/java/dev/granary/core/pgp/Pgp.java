package dev.granary.core.pgp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.bcpg.KeyIdentifier;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPComponentKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPUserId;
import org.bouncycastle.openpgp.api.OpenPGPImplementation;
import org.bouncycastle.openpgp.api.bc.BcOpenPGPImplementation;

/** Shared pieces of the OpenPGP layer: the BouncyCastle implementation in use and how keys are named. */
final class Pgp {

    /**
     * Our own instance rather than {@link OpenPGPImplementation#getInstance()}, a mutable global another
     * library in the process could replace. Its policy (BouncyCastle's default) refuses SHA-1 and weaker
     * document hashes, DSA and ElGamal keys, and RSA under 2000 bits.
     */
    static final OpenPGPImplementation IMPL = new BcOpenPGPImplementation();

    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private Pgp() {}

    static String fingerprint(PGPPublicKey key) {
        return HEX.formatHex(key.getFingerprint());
    }

    static String fingerprint(OpenPGPComponentKey key) {
        return fingerprint(key.getPGPPublicKey());
    }

    static String keyId(long keyId) {
        return String.format("%016X", keyId);
    }

    /**
     * The issuer a signature names: its issuer fingerprint when it carries one (v4 signatures from GnuPG
     * 2.1 and later do), else its 16-digit key ID.
     */
    static String issuer(PGPSignature sig) {
        for (KeyIdentifier id : sig.getKeyIdentifiers()) {
            if (id.getFingerprint() != null && !id.isWildcard()) {
                return HEX.formatHex(id.getFingerprint());
            }
        }
        return keyId(sig.getKeyID());
    }

    /** The primary user id valid at {@code now}, else the first one on the key (expired or revoked keys). */
    static Optional<String> userId(OpenPGPCertificate cert, Date now) {
        OpenPGPUserId primary = cert.getPrimaryUserId(now);
        if (primary != null) {
            return Optional.of(primary.getUserId());
        }
        List<OpenPGPUserId> all = cert.getAllUserIds();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0).getUserId());
    }

    /** {@code FPR (User <id>)}: how messages name a key. */
    static String describe(OpenPGPCertificate cert, Date now) {
        return fingerprint(cert.getPrimaryKey())
                + userId(cert, now).map(u -> " (" + printable(u) + ")").orElse("");
    }

    /**
     * Text from a key (user ids, revocation reasons) made safe for a one-line message: control
     * characters, which could break lines or drive a terminal, become {@code ?}.
     */
    static String printable(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }

    static String hashName(int tag) {
        try {
            return PGPUtil.getDigestName(tag);
        } catch (PGPException e) {
            return "hash algorithm " + tag;
        }
    }

    /** How messages name a key's algorithm and size, e.g. {@code RSA-3072}, {@code EdDSA-256}. */
    static String algorithmName(PGPPublicKey key) {
        int bits = key.getBitStrength();
        return switch (key.getAlgorithm()) {
            // RSA sign-only (3) and encrypt-only (2) are deprecated tags (RFC 4880 section 9.1) a key may still carry.
            case PublicKeyAlgorithmTags.RSA_GENERAL, 2, 3 -> "RSA-" + bits;
            case PublicKeyAlgorithmTags.DSA -> "DSA-" + bits;
            case PublicKeyAlgorithmTags.ELGAMAL_ENCRYPT, 20 -> "ElGamal-" + bits;
            case PublicKeyAlgorithmTags.ECDSA -> "ECDSA-" + bits;
            case PublicKeyAlgorithmTags.ECDH -> "ECDH-" + bits;
            case PublicKeyAlgorithmTags.EDDSA_LEGACY -> "EdDSA-" + bits;
            case PublicKeyAlgorithmTags.Ed25519 -> "Ed25519";
            case PublicKeyAlgorithmTags.Ed448 -> "Ed448";
            case PublicKeyAlgorithmTags.X25519 -> "X25519";
            case PublicKeyAlgorithmTags.X448 -> "X448";
            default -> "algorithm " + key.getAlgorithm();
        };
    }

    /** An exception's message, or its class name when it has none (some BouncyCastle exceptions don't). */
    static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * Reads a whole small input (a key file, a signature), refusing one larger than {@code limit}: these
     * are parsed in memory, and a multi-gigabyte "signature" must not exhaust the heap.
     */
    static byte[] readBounded(InputStream in, int limit, String what) throws IOException, TooLarge {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) != -1) {
            if (out.size() + n > limit) {
                throw new TooLarge(what + " is larger than " + (limit >> 20) + " MiB");
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** An input over its size limit; callers turn it into the {@link PgpException} that fits. */
    static final class TooLarge extends Exception {
        TooLarge(String message) {
            super(message);
        }
    }
}
