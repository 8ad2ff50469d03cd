package dev.granary.core.pgp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;

/**
 * The public keys whose signatures are trusted. Read from files as {@code gpg --export [--armor]}
 * writes them: binary or ASCII-armored, any number of keys per file (and any number of armored blocks,
 * so {@code cat a.asc b.asc} works), each with its user ids, subkeys and signatures. Copies of one key
 * from several files are merged. A key revocation certificate ({@code gpg --gen-revoke} output, or
 * the file GnuPG keeps in {@code openpgp-revocs.d} with the colon before its first line removed) may
 * come in the same file as the key it revokes or in another one; signatures by that key are then
 * refused.
 *
 * <p>Trusting a key here is all the trust there is: there is no web of trust, no owner trust and no
 * certification by other keys. Secret keys are refused (a trust file holds public keys only).
 *
 * <p>Immutable and safe to share between threads.
 */
public final class Keyring {

    /** Keyring files are parsed in memory; a file over this size is refused. */
    public static final int MAX_FILE_BYTES = 64 << 20;

    private final List<OpenPGPCertificate> certificates;

    private Keyring(List<OpenPGPCertificate> certificates) {
        this.certificates = List.copyOf(certificates);
    }

    /**
     * Reads the keys of every file, in order.
     *
     * @throws PgpException MALFORMED_KEY when a file is not OpenPGP public key material, holds a secret
     *                      key, holds a revocation certificate for a key in none of the files, or when
     *                      the files hold no key at all
     * @throws IOException  when a file cannot be read
     */
    public static Keyring load(List<Path> files) throws IOException, PgpException {
        Parsed parsed = new Parsed();
        for (Path file : files) {
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file)) {
                bytes = Pgp.readBounded(in, MAX_FILE_BYTES, "keyring " + file);
            } catch (Pgp.TooLarge e) {
                throw new PgpException(PgpException.Reason.MALFORMED_KEY, e.getMessage());
            }
            parsed.add(bytes, file.toString());
        }
        return parsed.build(files.isEmpty() ? "no keyring files" : "no public key in " + files);
    }

    /** {@link #load(List)} for files given one by one. */
    public static Keyring load(Path... files) throws IOException, PgpException {
        return load(List.of(files));
    }

    /**
     * Reads the keys from a stream (armored or binary), as {@link #load(List)} reads a file. The stream
     * is read to its end but not closed.
     */
    public static Keyring read(InputStream in) throws IOException, PgpException {
        byte[] bytes;
        try {
            bytes = Pgp.readBounded(in, MAX_FILE_BYTES, "keyring");
        } catch (Pgp.TooLarge e) {
            throw new PgpException(PgpException.Reason.MALFORMED_KEY, e.getMessage());
        }
        Parsed parsed = new Parsed();
        parsed.add(bytes, "keyring");
        return parsed.build("no public key in keyring");
    }

    /** The primary key fingerprints, upper-case hex, in the order the keys were first read. */
    public List<String> fingerprints() {
        return certificates.stream()
                .map(c -> Pgp.fingerprint(c.getPrimaryKey()))
                .toList();
    }

    /** The number of keys (primary keys; subkeys are part of their key). */
    public int size() {
        return certificates.size();
    }

    /**
     * The keys of this keyring whose primary fingerprint is one of {@code fingerprints}: pinning a
     * trust root to known keys, so a key file that also carries other keys (or is replaced by one that
     * does) trusts none of them. Fingerprints are compared as hex without spaces, in any case.
     *
     * @throws PgpException UNKNOWN_KEY when none of the keys is pinned; the message names the
     *                      fingerprints found and the ones pinned
     */
    public Keyring only(Collection<String> fingerprints) throws PgpException {
        Set<String> pinned = new LinkedHashSet<>();
        for (String f : fingerprints) {
            pinned.add(normalizeFingerprint(f));
        }
        List<OpenPGPCertificate> kept = certificates.stream()
                .filter(c -> pinned.contains(Pgp.fingerprint(c.getPrimaryKey())))
                .toList();
        if (kept.isEmpty()) {
            throw new PgpException(
                    PgpException.Reason.UNKNOWN_KEY,
                    fingerprints().get(0),
                    "the keyring holds " + String.join(", ", fingerprints()) + ", none of which is the pinned key "
                            + String.join(", ", pinned));
        }
        return new Keyring(kept);
    }

    /** A fingerprint as {@link #fingerprints()} spells it: upper-case hex, spaces removed. */
    public static String normalizeFingerprint(String fingerprint) {
        return fingerprint.replace(" ", "").strip().toUpperCase(Locale.ROOT);
    }

    List<OpenPGPCertificate> certificates() {
        return certificates;
    }

    @Override
    public String toString() {
        return "Keyring" + fingerprints();
    }

    /** Key rings and stray revocation certificates collected from one or more inputs. */
    private static final class Parsed {
        private final Map<String, PGPPublicKeyRing> rings = new LinkedHashMap<>();
        private final List<PGPSignature> revocations = new ArrayList<>();

        void add(byte[] bytes, String source) throws PgpException {
            try {
                // Decoding twice makes BouncyCastle read every armored block of a concatenation
                // (cat a.asc b.asc), not only the first one.
                InputStream decoded =
                        PGPUtil.getDecoderStream(PGPUtil.getDecoderStream(new ByteArrayInputStream(bytes)));
                PGPObjectFactory objects = Pgp.IMPL.pgpObjectFactory(decoded);
                Object o;
                while ((o = objects.nextObject()) != null) {
                    if (o instanceof PGPMarker) {
                        continue;
                    }
                    if (o instanceof PGPPublicKeyRing ring) {
                        String fpr = Pgp.fingerprint(ring.getPublicKey());
                        PGPPublicKeyRing known = rings.get(fpr);
                        rings.put(fpr, known == null ? ring : join(known, ring, source));
                    } else if (o instanceof PGPSignatureList sigs) {
                        for (PGPSignature sig : sigs) {
                            if (sig.getSignatureType() != PGPSignature.KEY_REVOCATION) {
                                throw new PgpException(
                                        PgpException.Reason.MALFORMED_KEY,
                                        source
                                                + " holds a stray signature of type 0x"
                                                + Integer.toHexString(sig.getSignatureType())
                                                + "; a keyring holds public keys and key revocation certificates only");
                            }
                            revocations.add(sig);
                        }
                    } else if (o instanceof PGPSecretKeyRing) {
                        throw new PgpException(
                                PgpException.Reason.MALFORMED_KEY,
                                source + " holds a secret key; a keyring holds public keys only (gpg --export)");
                    } else {
                        throw new PgpException(
                                PgpException.Reason.MALFORMED_KEY,
                                source + " is not an OpenPGP public key file (found " + describe(o) + ")");
                    }
                }
            } catch (IOException | RuntimeException e) {
                // BouncyCastle reports garbage and truncation as IOException, and some malformed packets
                // as runtime exceptions; either way the input is not a key file.
                throw new PgpException(
                        PgpException.Reason.MALFORMED_KEY,
                        null,
                        source + " is not an OpenPGP public key file: " + Pgp.message(e),
                        e);
            }
        }

        Keyring build(String emptyMessage) throws PgpException {
            for (PGPSignature revocation : revocations) {
                PGPPublicKeyRing target = null;
                for (PGPPublicKeyRing ring : rings.values()) {
                    if (revocation.hasKeyIdentifier(ring.getPublicKey().getKeyIdentifier())) {
                        target = ring;
                        break;
                    }
                }
                if (target == null) {
                    throw new PgpException(
                            PgpException.Reason.MALFORMED_KEY,
                            Pgp.issuer(revocation),
                            "revocation certificate for key " + Pgp.issuer(revocation)
                                    + ", which is in no keyring file");
                }
                PGPPublicKey revoked = PGPPublicKey.addCertification(target.getPublicKey(), revocation);
                rings.put(Pgp.fingerprint(revoked), PGPPublicKeyRing.insertPublicKey(target, revoked));
            }
            if (rings.isEmpty()) {
                throw new PgpException(PgpException.Reason.MALFORMED_KEY, emptyMessage);
            }
            List<OpenPGPCertificate> certs = new ArrayList<>();
            for (PGPPublicKeyRing ring : rings.values()) {
                certs.add(new OpenPGPCertificate(ring, Pgp.IMPL, Pgp.IMPL.policy()));
            }
            return new Keyring(certs);
        }

        /**
         * Two copies of one key, merged: each may carry signatures the other lacks (a revocation, a newer
         * self-signature), and dropping either could trust a revoked key.
         */
        private static PGPPublicKeyRing join(PGPPublicKeyRing a, PGPPublicKeyRing b, String source)
                throws PgpException {
            try {
                return PGPPublicKeyRing.join(a, b);
            } catch (PGPException | RuntimeException e) {
                String fpr = Pgp.fingerprint(a.getPublicKey());
                throw new PgpException(
                        PgpException.Reason.MALFORMED_KEY,
                        fpr,
                        source + " has a copy of key " + fpr + " that cannot be merged with another: " + Pgp.message(e),
                        e);
            }
        }

        private static String describe(Object o) {
            return o.getClass()
                    .getSimpleName()
                    .replaceFirst("^PGP", "")
                    .replaceAll("([a-z])([A-Z])", "$1 $2")
                    .toLowerCase(Locale.ROOT);
        }
    }
}
