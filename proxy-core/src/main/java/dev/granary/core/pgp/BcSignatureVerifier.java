package dev.granary.core.pgp;

import dev.granary.core.pgp.PgpException.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.bcpg.KeyIdentifier;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPRuntimeOperationException;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPComponentKey;

/** {@link SignatureVerifier} on BouncyCastle's packet layer and certificate model. */
final class BcSignatureVerifier implements SignatureVerifier {

    /** Large enough to keep per-call overhead out of the hash loop, small enough to be irrelevant per thread. */
    private static final int CHUNK = 64 << 10;

    private final Keyring keyring;
    private final Clock clock;

    BcSignatureVerifier(Keyring keyring, Clock clock) {
        this.keyring = keyring;
        this.clock = clock;
    }

    @Override
    public VerifiedSignature verifyDetached(InputStream data, InputStream signature) throws IOException, PgpException {
        byte[] sigBytes;
        try {
            sigBytes = Pgp.readBounded(signature, MAX_SIGNATURE_BYTES, "signature");
        } catch (Pgp.TooLarge e) {
            throw new PgpException(Reason.MALFORMED_SIGNATURE, e.getMessage());
        }
        PGPSignature sig = parseSignature(sigBytes);
        int type = sig.getSignatureType();
        if (type != PGPSignature.BINARY_DOCUMENT && type != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE,
                    Pgp.issuer(sig),
                    "signature of type 0x" + Integer.toHexString(type)
                            + " is not a signature over a document (0x00 binary or 0x01 text)");
        }
        return verify(sig, s -> {
            // A canonical-text signature hashes line endings as CRLF (RFC 4880 section 5.2.1):
            // PGPSignature.update rewrites them as it goes, carrying a CR across chunk boundaries.
            byte[] buf = new byte[CHUNK];
            int n;
            while ((n = data.read(buf)) != -1) {
                s.update(buf, 0, n);
            }
        });
    }

    @Override
    public VerifiedSignature verifyDetached(Path data, Path signature) throws IOException, PgpException {
        try (InputStream sig = Files.newInputStream(signature);
                InputStream in = Files.newInputStream(data)) {
            return verifyDetached(in, sig);
        }
    }

    @Override
    public VerifiedMessage verifyCleartext(InputStream message) throws IOException, PgpException {
        byte[] bytes;
        try {
            bytes = Pgp.readBounded(message, MAX_CLEARTEXT_BYTES, "cleartext-signed message");
        } catch (Pgp.TooLarge e) {
            throw new PgpException(Reason.MALFORMED_SIGNATURE, e.getMessage());
        }
        Cleartext text = Cleartext.parse(bytes);
        PGPSignature sig = parseSignature(text.signature());
        if (sig.getSignatureType() != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE,
                    Pgp.issuer(sig),
                    "the signature of a cleartext-signed message must be" + " a text signature (0x01), not 0x"
                            + Integer.toHexString(sig.getSignatureType()));
        }
        String hash = Pgp.hashName(sig.getHashAlgorithm());
        if (!text.hashes().isEmpty() && !text.hashes().contains(hash)) {
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE,
                    Pgp.issuer(sig),
                    "the message's Hash header says " + String.join(",", text.hashes()) + " but its signature uses "
                            + hash);
        }
        VerifiedSignature verified = verify(sig, s -> {
            // RFC 4880 section 7.1: lines joined by CRLF, without trailing whitespace, and without the
            // line ending that precedes the signature.
            List<byte[]> lines = text.lines();
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) {
                    s.update((byte) '\r');
                    s.update((byte) '\n');
                }
                byte[] line = lines.get(i);
                s.update(line, 0, Cleartext.signedLength(line));
            }
        });
        return new VerifiedMessage(text.content(), verified);
    }

    @Override
    public VerifiedMessage verifyCleartext(Path message) throws IOException, PgpException {
        try (InputStream in = Files.newInputStream(message)) {
            return verifyCleartext(in);
        }
    }

    /** Feeds the signed data to an initialised signature. */
    @FunctionalInterface
    private interface Feeder {
        void feed(PGPSignature sig) throws IOException;
    }

    private VerifiedSignature verify(PGPSignature sig, Feeder feeder) throws IOException, PgpException {
        if (sig.getKeyIdentifiers().stream().allMatch(KeyIdentifier::isWildcard)) {
            // RFC 9580 section 5.2.3.12 allows an anonymous issuer (key ID 0); a trust decision cannot.
            throw new PgpException(Reason.MALFORMED_SIGNATURE, "the signature does not name the key that made it");
        }
        Date now = Date.from(clock.instant());
        OpenPGPCertificate cert = null;
        OpenPGPComponentKey signer = null;
        for (OpenPGPCertificate c : keyring.certificates()) {
            synchronized (c) {
                signer = c.getSigningKeyFor(sig);
            }
            if (signer != null) {
                cert = c;
                break;
            }
        }
        if (cert == null) {
            String issuer = Pgp.issuer(sig);
            throw new PgpException(
                    Reason.UNKNOWN_KEY, issuer, "signed by key " + issuer + ", which is not in the keyring");
        }
        VerifiedSignature result;
        synchronized (cert) {
            KeyChecks.check(cert, signer, sig, now, MAX_CLOCK_SKEW.toMillis());
            result = new VerifiedSignature(
                    Pgp.fingerprint(cert.getPrimaryKey()),
                    Pgp.fingerprint(signer),
                    Pgp.userId(cert, now),
                    sig.getCreationTime().toInstant(),
                    sig.getSignatureType() == PGPSignature.CANONICAL_TEXT_DOCUMENT,
                    Pgp.hashName(sig.getHashAlgorithm()));
        }
        String who = result.keyFingerprint()
                + result.userId().map(u -> " (" + Pgp.printable(u) + ")").orElse("");
        boolean good;
        try {
            // The signature object is this call's own (parsed from this call's input): no lock needed.
            sig.init(Pgp.IMPL.pgpContentVerifierBuilderProvider(), signer.getPGPPublicKey());
            feeder.feed(sig);
            good = sig.verify();
        } catch (PGPException | PGPRuntimeOperationException e) {
            // The key and signature parsed but do not fit together (wrong algorithm, malformed value).
            throw new PgpException(
                    Reason.BAD_SIGNATURE,
                    result.signingKeyFingerprint(),
                    "bad signature from key " + who + ": " + Pgp.message(e),
                    e);
        }
        if (!good) {
            throw new PgpException(
                    Reason.BAD_SIGNATURE,
                    result.signingKeyFingerprint(),
                    "bad signature from key " + who
                            + ": the data does not match the signature (changed, or the signature is for other data)");
        }
        return result;
    }

    /** Exactly one signature, armored or binary. */
    static PGPSignature parseSignature(byte[] bytes) throws PgpException {
        if (bytes.length == 0) {
            throw new PgpException(Reason.MALFORMED_SIGNATURE, "the signature is empty");
        }
        List<PGPSignature> sigs = new ArrayList<>();
        try {
            InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(bytes));
            PGPObjectFactory objects = Pgp.IMPL.pgpObjectFactory(in);
            Object o;
            while ((o = objects.nextObject()) != null) {
                if (o instanceof PGPSignatureList list) {
                    list.forEach(sigs::add);
                } else if (!(o instanceof PGPMarker)) {
                    throw new PgpException(
                            Reason.MALFORMED_SIGNATURE,
                            "not a detached signature: it holds "
                                    + o.getClass().getSimpleName().replaceFirst("^PGP", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // BouncyCastle reports truncation, garbage and armor checksum errors as IOException, and some
            // malformed packets as runtime exceptions.
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE, null, "not a valid OpenPGP signature: " + Pgp.message(e), e);
        }
        if (sigs.isEmpty()) {
            throw new PgpException(Reason.MALFORMED_SIGNATURE, "no OpenPGP signature found");
        }
        if (sigs.size() > 1) {
            throw new PgpException(
                    Reason.MALFORMED_SIGNATURE,
                    "the input holds " + sigs.size() + " signatures; exactly one is expected");
        }
        return sigs.get(0);
    }
}
