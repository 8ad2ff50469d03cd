package dev.granary.core.pgp;

import dev.granary.core.pgp.PgpException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.BCPGOutputStream;
import org.bouncycastle.bcpg.PacketFormat;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SignatureSubpacketTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.api.OpenPGPCertificate.OpenPGPComponentKey;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.OpenPGPKey.OpenPGPPrivateKey;
import org.bouncycastle.openpgp.api.OpenPGPKey.OpenPGPSecretKey;
import org.bouncycastle.openpgp.api.OpenPGPKeyGenerator;
import org.bouncycastle.openpgp.api.SignatureParameters;
import org.bouncycastle.openpgp.operator.bc.BcCFBSecretKeyEncryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;

/**
 * A secret key, unlocked, that makes detached signatures {@code gpg --verify} accepts. Loaded from a
 * file as {@code gpg --export-secret-keys [--armor]} writes it (or as {@link #generate} made it), with
 * the passphrase that protects it; the passphrase is used once, to unlock, and not kept.
 *
 * <p>Which key signs: like GnuPG, the newest subkey that is valid now and marked for signing, else the
 * primary key when it is marked for signing. A subkey whose secret part is absent
 * ({@code gpg --export-secret-subkeys} leaves the primary as a stub) is skipped.
 *
 * <p>Signatures are version 4, binary (type 0x00), over SHA-512 unless told otherwise, with the issuer's
 * fingerprint in the signed area, and ASCII-armored.
 *
 * <p>Immutable and safe to share between threads. {@link #toString()} names the key, never its secret.
 */
public final class SigningKey {

    /** Secret key files are parsed in memory; one over this size is refused. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    /**
     * Secret key protection for generated keys: AES-256 keyed by iterated and salted SHA-256 (RFC 4880
     * section 3.7.1.3) over 16,777,216 bytes (count byte 0xe0), which GnuPG 2.2 and later read. GnuPG
     * calibrates its count to about 100 ms of its own hashing; this count takes BouncyCastle about as
     * long, and every load of the key pays it once.
     */
    private static final BcCFBSecretKeyEncryptorFactory PROTECTION =
            new BcCFBSecretKeyEncryptorFactory(SymmetricKeyAlgorithmTags.AES_256, 0xe0);

    private final OpenPGPKey key;
    private final OpenPGPComponentKey signer;
    private final PGPPrivateKey privateKey;

    private SigningKey(OpenPGPKey key, OpenPGPComponentKey signer, PGPPrivateKey privateKey) {
        this.key = key;
        this.signer = signer;
        this.privateKey = privateKey;
    }

    /**
     * Loads a secret key from a file (armored or binary) and unlocks its signing key.
     *
     * @param passphrase the passphrase, or null (or empty) for an unprotected key; not modified, not kept
     * @throws PgpException MALFORMED_KEY when the file holds no secret key or several; NO_SIGNING_KEY
     *                      when no key in it may sign now (expired, revoked, not marked for signing, or
     *                      secret part absent); WRONG_PASSPHRASE when it does not unlock
     * @throws IOException  when the file cannot be read
     */
    public static SigningKey load(Path secretKeyFile, char[] passphrase) throws IOException, PgpException {
        try (InputStream in = Files.newInputStream(secretKeyFile)) {
            return read(in, passphrase, secretKeyFile.toString());
        }
    }

    /** {@link #load(Path, char[])} from a stream, read to its end and not closed. */
    public static SigningKey read(InputStream in, char[] passphrase) throws IOException, PgpException {
        return read(in, passphrase, "secret key");
    }

    /**
     * Generates a key pair: a primary key marked for certifying and signing, with one user id and no
     * expiry, protected by {@code passphrase} (AES-256, iterated SHA-256) unless that is null or empty.
     * {@link KeyAlgorithm#ED25519} keys are EdDSA (algorithm 22), the encoding GnuPG writes and reads;
     * expiry and revocation can be managed later with GnuPG after importing the secret key.
     *
     * @param userId     e.g. {@code Granary Release <release@example.org>}: not blank, no control characters
     * @param passphrase not modified, not kept
     * @throws IllegalArgumentException when the user id is blank or has control characters
     */
    public static SigningKey generate(String userId, KeyAlgorithm algorithm, char[] passphrase) {
        Objects.requireNonNull(algorithm, "algorithm");
        if (userId == null || userId.isBlank() || userId.codePoints().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("user id must be non-blank text without control characters");
        }
        try {
            OpenPGPKeyGenerator generator = new OpenPGPKeyGenerator(
                    Pgp.IMPL,
                    PublicKeyPacket.VERSION_4,
                    Pgp.IMPL.pgpKeyPairGeneratorProvider(),
                    Pgp.IMPL.pgpDigestCalculatorProvider(),
                    PROTECTION,
                    Pgp.IMPL.keyFingerPrintCalculator(),
                    new Date());
            OpenPGPKey generated = generator
                    .withPrimaryKey(
                            g -> algorithm == KeyAlgorithm.RSA_3072
                                    ? g.generateRsaKeyPair(3072)
                                    : g.generateLegacyEd25519KeyPair(),
                            SignatureParameters.Callback.Util.modifyHashedSubpackets(hashed -> {
                                // One key that certifies and signs, and no expiry: Granary refuses signatures
                                // from expired keys, so a key must not lapse on a date nobody chose.
                                hashed.removePacketsOfType(SignatureSubpacketTags.KEY_FLAGS);
                                hashed.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
                                hashed.removePacketsOfType(SignatureSubpacketTags.KEY_EXPIRE_TIME);
                                return hashed;
                            }))
                    .addUserId(userId)
                    // build(char[]) wipes the array it is given: hand it a copy.
                    .build(passphrase == null || passphrase.length == 0 ? null : passphrase.clone());
            return unlock(generated, passphrase, "generated key");
        } catch (PGPException | PgpException e) {
            // Nothing here depends on input beyond the user id checked above: a failure is a defect.
            throw new IllegalStateException("key generation failed: " + Pgp.message(e), e);
        }
    }

    /** The primary key's fingerprint, upper-case hex. */
    public String keyFingerprint() {
        return Pgp.fingerprint(key.getPrimaryKey());
    }

    /** The fingerprint of the key that signs: a subkey's, or the primary key's. */
    public String signingKeyFingerprint() {
        return Pgp.fingerprint(signer);
    }

    /** The primary user id, empty when the key has none. */
    public Optional<String> userId() {
        synchronized (key) {
            return Pgp.userId(key, new Date());
        }
    }

    /** {@link #sign(InputStream, HashAlgorithm)} over SHA-512. */
    public String sign(InputStream data) throws IOException {
        return sign(data, HashAlgorithm.SHA512);
    }

    /**
     * Makes a detached, ASCII-armored, binary-type signature over {@code data}, read to its end in
     * fixed-size chunks (memory use does not depend on its size) and not closed.
     *
     * @return the armored signature, {@code -----BEGIN PGP SIGNATURE-----} to {@code -----END PGP SIGNATURE-----}
     */
    public String sign(InputStream data, HashAlgorithm hash) throws IOException {
        Objects.requireNonNull(hash, "hash");
        PGPPublicKey pub = signer.getPGPPublicKey();
        try {
            PGPSignatureGenerator generator =
                    new PGPSignatureGenerator(new BcPGPContentSignerBuilder(pub.getAlgorithm(), hash.tag), pub);
            generator.init(PGPSignature.BINARY_DOCUMENT, privateKey);
            PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
            hashed.setSignatureCreationTime(new Date());
            hashed.setIssuerFingerprint(false, pub);
            generator.setHashedSubpackets(hashed.generate());
            PGPSignatureSubpacketGenerator unhashed = new PGPSignatureSubpacketGenerator();
            // The 8-byte issuer key ID as well, for verifiers older than issuer fingerprints (RFC 4880).
            unhashed.setIssuerKeyID(false, pub.getKeyID());
            generator.setUnhashedSubpackets(unhashed.generate());
            byte[] buf = new byte[64 << 10];
            int n;
            while ((n = data.read(buf)) != -1) {
                generator.update(buf, 0, n);
            }
            return armor(generator.generate());
        } catch (PGPException e) {
            throw new IllegalStateException(
                    "signing with key " + signingKeyFingerprint() + " failed: " + Pgp.message(e), e);
        }
    }

    /** The secret key, ASCII-armored and protected as it was loaded or generated. */
    public String secretKeyArmored() {
        try {
            return armoredBlock(key.getEncoded(PacketFormat.CURRENT));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The public key (primary key, user ids, subkeys and their signatures), ASCII-armored, for {@code gpg --import}. */
    public String publicKeyArmored() {
        try {
            return armoredBlock(publicRing().getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A keyring holding just this key's public part, to verify what it signed. */
    public Keyring publicKeyring() {
        try {
            return Keyring.read(new ByteArrayInputStream(publicRing().getEncoded()));
        } catch (IOException | PgpException e) {
            throw new IllegalStateException("the public part of key " + keyFingerprint() + " does not read back", e);
        }
    }

    /**
     * Writes {@link #secretKeyArmored()} to a new file, readable and writable by its owner only where
     * the file system has POSIX permissions.
     *
     * @throws FileAlreadyExistsException when {@code file} exists: a secret key is never overwritten
     */
    public void writeSecretKey(Path file) throws IOException {
        FileAttribute<?>[] ownerOnly =
                file.getFileSystem().supportedFileAttributeViews().contains("posix")
                        ? new FileAttribute<?>[] {
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
                        }
                        : new FileAttribute<?>[0];
        writeNew(file, secretKeyArmored(), ownerOnly);
    }

    /**
     * Writes {@link #publicKeyArmored()} to a new file.
     *
     * @throws FileAlreadyExistsException when {@code file} exists
     */
    public void writePublicKey(Path file) throws IOException {
        writeNew(file, publicKeyArmored());
    }

    @Override
    public String toString() {
        return "SigningKey[" + keyFingerprint()
                + (signer == key.getPrimaryKey() ? "" : " subkey " + signingKeyFingerprint()) + "]";
    }

    private PGPPublicKeyRing publicRing() {
        List<PGPPublicKey> keys = new ArrayList<>();
        key.getPGPSecretKeyRing().getPublicKeys().forEachRemaining(keys::add);
        return new PGPPublicKeyRing(keys);
    }

    private static void writeNew(Path file, String text, FileAttribute<?>... attributes) throws IOException {
        Files.createFile(file, attributes);
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    private static SigningKey read(InputStream in, char[] passphrase, String source) throws IOException, PgpException {
        byte[] bytes;
        try {
            bytes = Pgp.readBounded(in, MAX_FILE_BYTES, source);
        } catch (Pgp.TooLarge e) {
            throw new PgpException(Reason.MALFORMED_KEY, e.getMessage());
        }
        List<PGPSecretKeyRing> rings = new ArrayList<>();
        boolean sawPublic = false;
        try {
            InputStream decoded = PGPUtil.getDecoderStream(PGPUtil.getDecoderStream(new ByteArrayInputStream(bytes)));
            PGPObjectFactory objects = Pgp.IMPL.pgpObjectFactory(decoded);
            Object o;
            while ((o = objects.nextObject()) != null) {
                if (o instanceof PGPSecretKeyRing ring) {
                    rings.add(ring);
                } else if (o instanceof PGPPublicKeyRing) {
                    sawPublic = true;
                } else if (!(o instanceof PGPMarker)) {
                    throw new PgpException(Reason.MALFORMED_KEY, source + " is not an OpenPGP secret key file");
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new PgpException(
                    Reason.MALFORMED_KEY, null, source + " is not an OpenPGP secret key file: " + Pgp.message(e), e);
        }
        if (rings.isEmpty()) {
            throw new PgpException(
                    Reason.MALFORMED_KEY,
                    source + " holds no secret key"
                            + (sawPublic ? " (only a public key; export with gpg --export-secret-keys --armor)" : ""));
        }
        if (rings.size() > 1) {
            throw new PgpException(
                    Reason.MALFORMED_KEY, source + " holds " + rings.size() + " secret keys; give exactly one");
        }
        return unlock(new OpenPGPKey(rings.get(0), Pgp.IMPL, Pgp.IMPL.policy()), passphrase, source);
    }

    private static SigningKey unlock(OpenPGPKey key, char[] passphrase, String source) throws PgpException {
        Date now = new Date();
        String fpr = Pgp.fingerprint(key.getPrimaryKey());
        List<OpenPGPComponentKey> candidates = new ArrayList<>(key.getSigningKeys(now));
        // GnuPG's choice: the newest signing subkey, the primary key last.
        candidates.sort(Comparator.comparing((OpenPGPComponentKey k) -> k.isPrimaryKey())
                .thenComparing(OpenPGPComponentKey::getCreationTime, Comparator.reverseOrder()));
        for (OpenPGPComponentKey candidate : candidates) {
            OpenPGPSecretKey secret = key.getSecretKey(candidate);
            if (secret == null || secret.getPGPSecretKey().isPrivateKeyEmpty()) {
                continue;
            }
            boolean none = passphrase == null || passphrase.length == 0;
            if (secret.isLocked() && none) {
                throw new PgpException(
                        Reason.WRONG_PASSPHRASE,
                        fpr,
                        "key " + fpr + " in " + source + " is protected by a passphrase and none was given");
            }
            OpenPGPPrivateKey unlocked;
            try {
                unlocked = secret.unlock(secret.isLocked() ? passphrase.clone() : null);
            } catch (PGPException e) {
                throw new PgpException(
                        Reason.WRONG_PASSPHRASE, fpr, "wrong passphrase for key " + fpr + " in " + source);
            }
            if (unlocked == null) {
                continue;
            }
            return new SigningKey(key, candidate, unlocked.getKeyPair().getPrivateKey());
        }
        throw new PgpException(
                Reason.NO_SIGNING_KEY,
                fpr,
                "key " + fpr + " in " + source
                        + " has no key that may sign now (expired, revoked, not marked for signing, or its secret part is absent)");
    }

    private static String armor(PGPSignature sig) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (BCPGOutputStream out = new BCPGOutputStream(bytes, PacketFormat.CURRENT)) {
            sig.encode(out);
        }
        return armoredBlock(bytes.toByteArray());
    }

    private static String armoredBlock(byte[] packets) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // No Version header: it says nothing a verifier needs (RFC 9580 section 6.2.2.1).
        try (ArmoredOutputStream armor =
                ArmoredOutputStream.builder().clearHeaders().build(out)) {
            armor.write(packets);
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
