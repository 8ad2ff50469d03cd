package dev.granary.core.pgp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.granary.core.pgp.PgpException.Reason;
import dev.granary.core.testing.Gpg;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.OpenPGPKeyGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Keys generated and signatures made by {@link SigningKey}, checked by the real {@code gpg}: generated
 * keys import (public and secret), their signatures verify with {@code gpg --verify}, secret keys
 * exported by gpg load and sign, and a passphrase-protected key opens only with its passphrase.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SigningKeyGpgTest {
    private static final byte[] DATA = "snapshot bundle bytes\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path tmp;

    private Gpg gpg;
    private Path data;

    @BeforeAll
    void start() throws Exception {
        gpg = new Gpg(tmp.resolve("gnupg"));
        data = Files.write(tmp.resolve("bundle.tar"), DATA);
    }

    @AfterAll
    void stopAgent() throws Exception {
        gpg.close();
    }

    /** gpg's machine-readable verdict: the VALIDSIG status line, or an AssertionError with gpg's output. */
    private String gpgValidSig(Path signature, Path signed) throws Exception {
        Gpg.Result r = gpg.run("--status-fd", "1", "--verify", signature.toString(), signed.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        return r.out()
                .lines()
                .filter(l -> l.startsWith("[GNUPG:] VALIDSIG "))
                .findFirst()
                .orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void generatedKeyImportsIntoGpgAndItsSignaturesVerifyThere(KeyAlgorithm algorithm) throws Exception {
        SigningKey key =
                SigningKey.generate("Granary Release <release-" + algorithm + "@example.org>", algorithm, null);
        assertThat(key.keyFingerprint()).matches("[0-9A-F]{40}").isEqualTo(key.signingKeyFingerprint());
        assertThat(key.userId()).contains("Granary Release <release-" + algorithm + "@example.org>");
        Path pub = tmp.resolve("generated-" + algorithm + ".pub.asc");
        key.writePublicKey(pub);
        assertThat(Files.readString(pub)).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----");
        gpg.run("--import", pub.toString()).assertSuccess();
        assertThat(gpg.fingerprints(key.keyFingerprint())).containsExactly(key.keyFingerprint());

        for (HashAlgorithm hash : HashAlgorithm.values()) {
            Path sig = tmp.resolve("bundle-" + algorithm + "-" + hash + ".asc");
            try (InputStream in = Files.newInputStream(data)) {
                Files.writeString(sig, key.sign(in, hash));
            }
            assertThat(Files.readString(sig)).startsWith("-----BEGIN PGP SIGNATURE-----");
            // VALIDSIG <signing key fpr> <date> <timestamp> <expire> <version> <reserved> <pubkey algo>
            //          <hash algo> <sig class> <primary key fpr>
            String[] valid = gpgValidSig(sig, data).split(" ");
            assertThat(valid[2]).isEqualTo(key.signingKeyFingerprint());
            assertThat(valid[9]).isEqualTo(hash == HashAlgorithm.SHA256 ? "8" : "10");
            assertThat(valid[10]).isEqualTo("00");
            assertThat(valid[11]).isEqualTo(key.keyFingerprint());
            assertThat(SignatureVerifier.of(key.publicKeyring())
                            .verifyDetached(data, sig)
                            .hashAlgorithm())
                    .isEqualTo(hash.name());
        }
    }

    @Test
    void generatedSecretKeyImportsIntoGpgWithItsPassphrase() throws Exception {
        SigningKey key = SigningKey.generate(
                "Granary Secret <secret@example.org>", KeyAlgorithm.ED25519, "correct horse".toCharArray());
        Path secret = tmp.resolve("generated-secret.asc");
        key.writeSecretKey(secret);
        assertThat(Files.getPosixFilePermissions(secret)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(secret)).startsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----");

        // gpg unprotects the key with the passphrase to store it: a wrong one fails the import.
        assertThat(gpg.runWithPassphrase("wrong", "--import", secret.toString()).out())
                .isEmpty();
        gpg.runWithPassphrase("correct horse", "--import", secret.toString()).assertSuccess();
        // gpg signs with the imported key; the key's own public part verifies it.
        Path sig = tmp.resolve("gpg-with-generated.sig");
        gpg.runWithPassphrase(
                        "correct horse",
                        "-u",
                        key.keyFingerprint(),
                        "--detach-sign",
                        "-o",
                        sig.toString(),
                        data.toString())
                .assertSuccess();
        assertThat(SignatureVerifier.of(key.publicKeyring())
                        .verifyDetached(data, sig)
                        .keyFingerprint())
                .isEqualTo(key.keyFingerprint());
    }

    @Test
    void protectedKeyLoadsOnlyWithItsPassphrase() throws Exception {
        SigningKey key = SigningKey.generate(
                "Granary Locked <locked@example.org>", KeyAlgorithm.ED25519, "s3cret-passphrase".toCharArray());
        Path secret = tmp.resolve("locked.asc");
        key.writeSecretKey(secret);

        SigningKey loaded = SigningKey.load(secret, "s3cret-passphrase".toCharArray());
        assertThat(loaded.keyFingerprint()).isEqualTo(key.keyFingerprint());
        Path sig = Files.writeString(tmp.resolve("locked.sig.asc"), loaded.sign(new ByteArrayInputStream(DATA)));
        assertThat(SignatureVerifier.of(key.publicKeyring())
                        .verifyDetached(data, sig)
                        .keyFingerprint())
                .isEqualTo(key.keyFingerprint());

        PgpException wrong =
                assertThrows(PgpException.class, () -> SigningKey.load(secret, "s3cret-passphrasE".toCharArray()));
        assertThat(wrong.reason()).isEqualTo(Reason.WRONG_PASSPHRASE);
        assertThat(wrong.getMessage()).contains(key.keyFingerprint()).doesNotContain("s3cret");
        PgpException none = assertThrows(PgpException.class, () -> SigningKey.load(secret, null));
        assertThat(none.reason()).isEqualTo(Reason.WRONG_PASSPHRASE);
        assertThat(none.getMessage()).contains("none was given");
        assertThat(assertThrows(PgpException.class, () -> SigningKey.load(secret, new char[0]))
                        .reason())
                .isEqualTo(Reason.WRONG_PASSPHRASE);
    }

    @Test
    void passphraseArraysAreNotWiped() {
        char[] passphrase = "keep me".toCharArray();
        SigningKey.generate("Granary Keep <keep@example.org>", KeyAlgorithm.ED25519, passphrase);
        assertThat(passphrase).containsExactly("keep me".toCharArray());
    }

    @Test
    void gpgSecretKeyWithSigningSubkeySignsWithTheSubkey() throws Exception {
        Instant now = Instant.now();
        String primary = gpg.generate(
                "Gpg Release <gpg-release@example.org>", "rsa3072", "cert", "0", now.minus(Duration.ofDays(2)));
        gpg.addSubkey(primary, "ed25519", "sign", "0", now.minus(Duration.ofDays(1)));
        String newest = gpg.addSubkey(primary, "ed25519", "sign", "0");
        gpg.run("--quick-add-key", primary, "cv25519", "encr", "0").assertSuccess();
        byte[] armored = gpg.runWithPassphrase("gpg-pass", "--armor", "--export-secret-keys", primary)
                .assertSuccess()
                .stdout();
        // gpg re-protects the exported keys with the passphrase given at export time.
        assertThat(new String(armored, StandardCharsets.US_ASCII)).startsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----");

        SigningKey key = SigningKey.read(new ByteArrayInputStream(armored), "gpg-pass".toCharArray());
        assertThat(key.keyFingerprint()).isEqualTo(primary);
        assertThat(key.signingKeyFingerprint()).isEqualTo(newest);
        Path sig = Files.writeString(tmp.resolve("subkey-signed.asc"), key.sign(new ByteArrayInputStream(DATA)));
        String[] valid = gpgValidSig(sig, data).split(" ");
        assertThat(valid[2]).isEqualTo(newest);
        assertThat(valid[11]).isEqualTo(primary);
    }

    @Test
    void gpgSecretKeyWithoutPassphraseLoadsWithoutOne() throws Exception {
        String fpr = gpg.generate("Gpg Plain <gpg-plain@example.org>", "nistp256", "sign", "0", null);
        byte[] armored =
                gpg.run("--armor", "--export-secret-keys", fpr).assertSuccess().stdout();
        SigningKey key = SigningKey.read(new ByteArrayInputStream(armored), null);
        assertThat(key.signingKeyFingerprint()).isEqualTo(fpr);
        Path sig = Files.writeString(
                tmp.resolve("plain-signed.asc"), key.sign(new ByteArrayInputStream(DATA), HashAlgorithm.SHA256));
        assertThat(gpgValidSig(sig, data).split(" ")[2]).isEqualTo(fpr);
    }

    @Test
    void rfc9580Ed25519KeySignsAndVerifies() throws Exception {
        // Ed25519 as RFC 9580 encodes it (algorithm 27) in a version 4 key; GnuPG 2.2 cannot read these,
        // other implementations write them.
        OpenPGPKey v4ed = new OpenPGPKeyGenerator(Pgp.IMPL, PublicKeyPacket.VERSION_4, false, new Date())
                .withPrimaryKey(g -> g.generateEd25519KeyPair())
                .addSigningSubkey(g -> g.generateEd25519KeyPair())
                .addUserId("Modern <modern@example.org>")
                .build();
        assertThat(v4ed.getPrimaryKey().getAlgorithm()).isEqualTo(PublicKeyAlgorithmTags.Ed25519);
        SigningKey key = SigningKey.read(
                new ByteArrayInputStream(v4ed.toAsciiArmoredString().getBytes(StandardCharsets.US_ASCII)), null);
        assertThat(key.signingKeyFingerprint()).isNotEqualTo(key.keyFingerprint());
        Path sig = Files.writeString(tmp.resolve("modern.asc"), key.sign(new ByteArrayInputStream(DATA)));
        VerifiedSignature v = SignatureVerifier.of(key.publicKeyring()).verifyDetached(data, sig);
        assertThat(v.keyFingerprint()).isEqualTo(key.keyFingerprint());
        assertThat(v.signingKeyFingerprint()).isEqualTo(key.signingKeyFingerprint());
    }

    @Test
    void publicKeyIsNotASecretKey() throws Exception {
        SigningKey key = SigningKey.generate("Granary Pub <pub@example.org>", KeyAlgorithm.ED25519, null);
        PgpException e = assertThrows(
                PgpException.class,
                () -> SigningKey.read(
                        new ByteArrayInputStream(key.publicKeyArmored().getBytes(StandardCharsets.US_ASCII)), null));
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_KEY);
        assertThat(e.getMessage()).contains("holds no secret key").contains("--export-secret-keys");
        assertThatThrownBy(() ->
                        SigningKey.read(new ByteArrayInputStream("junk".getBytes(StandardCharsets.US_ASCII)), null))
                .isInstanceOf(PgpException.class);
    }

    @Test
    void keyFilesAreNeverOverwritten() throws Exception {
        SigningKey key = SigningKey.generate("Granary Once <once@example.org>", KeyAlgorithm.ED25519, null);
        Path existing = Files.writeString(tmp.resolve("existing.asc"), "precious\n");
        assertThrows(FileAlreadyExistsException.class, () -> key.writeSecretKey(existing));
        assertThrows(FileAlreadyExistsException.class, () -> key.writePublicKey(existing));
        assertThat(Files.readString(existing)).isEqualTo("precious\n");
    }

    @Test
    void userIdMustBeText() {
        assertThrows(IllegalArgumentException.class, () -> SigningKey.generate(" ", KeyAlgorithm.ED25519, null));
        assertThrows(IllegalArgumentException.class, () -> SigningKey.generate("A\nB", KeyAlgorithm.ED25519, null));
    }
}
