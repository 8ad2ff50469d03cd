package dev.granary.core.pgp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.granary.core.pgp.PgpException.Reason;
import dev.granary.core.testing.Gpg;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPPublicKeyRing;
import org.bouncycastle.openpgp.bc.BcPGPSecretKeyRing;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Signatures made by the real {@code gpg} (detached armored and binary, text mode, cleartext; RSA,
 * EdDSA, ECDSA, signing subkeys) verified by {@link SignatureVerifier}, and every kind of bad one
 * refused with a message naming the key. Key states that gpg cannot produce on purpose (a subkey
 * without a binding signature, a signature by a subkey not marked for signing) are made from gpg's keys
 * with BouncyCastle's packet layer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GpgSignatureVerifyTest {
    private static final Instant Y2020 = Instant.parse("2020-01-01T00:00:00Z");
    private static final Instant Y2021 = Instant.parse("2021-01-01T00:00:00Z");
    private static final byte[] DATA = "granary release manifest\nline two\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path tmp;

    private Gpg gpg;
    private String rsa;
    private String ed;
    private String edSub;
    private String ec;
    private String expired;
    private String lapsed;
    private String revoked;
    private String revSub;
    private String revSubKey;
    private String auth;
    private String authSub;
    private String unbound;
    private String mallory;
    private Path data;
    private Path keyringArmored;
    private Path keyringBinary;
    private SignatureVerifier verifier;

    @BeforeAll
    void makeKeys() throws Exception {
        gpg = new Gpg(tmp.resolve("gnupg"));
        data = tmp.resolve("data.txt");
        Files.write(data, DATA);

        rsa = gpg.generate("Rsa Signer <rsa@example.org>", "rsa3072", "sign", "0", null);
        ed = gpg.generate("Ed Signer <ed@example.org>", "ed25519", "sign", "0", null);
        edSub = gpg.addSubkey(ed, "ed25519", "sign", "0");
        ec = gpg.generate("Ec Signer <ec@example.org>", "nistp256", "sign", "0", null);

        // Created in 2020 with a one-year expiry, signed while valid: expired now.
        expired = gpg.generate("Expired Signer <expired@example.org>", "ed25519", "sign", "1y", Y2020);
        gpg.runAt(
                        Y2020.plus(Duration.ofDays(30)),
                        "-u",
                        expired + "!",
                        "--detach-sign",
                        "-o",
                        tmp.resolve("expired.sig").toString(),
                        data.toString())
                .assertSuccess();

        // Signed on day 10, then (with the clock set back to day 1) given an expiry on day 2: the key had
        // expired when the signature was made.
        lapsed = gpg.generate("Lapsed Signer <lapsed@example.org>", "ed25519", "sign", "0", Y2021);
        gpg.runAt(
                        Y2021.plus(Duration.ofDays(10)),
                        "-u",
                        lapsed + "!",
                        "--detach-sign",
                        "-o",
                        tmp.resolve("lapsed.sig").toString(),
                        data.toString())
                .assertSuccess();
        gpg.runAt(Y2021.plus(Duration.ofDays(1)), "--quick-set-expire", lapsed, "1d")
                .assertSuccess();

        revoked = gpg.generate("Revoked Signer <revoked@example.org>", "ed25519", "sign", "0", null);
        sign(revoked + "!", "revoked.sig");
        Files.write(tmp.resolve("revoked-before.pub"), gpg.export(true, revoked));
        Files.write(tmp.resolve("revoked.rev"), gpg.storedRevocation(revoked));
        gpg.run("--import", tmp.resolve("revoked.rev").toString()).assertSuccess();

        revSub = gpg.generate("Revoked Subkey <revsub@example.org>", "ed25519", "sign", "0", null);
        revSubKey = gpg.addSubkey(revSub, "ed25519", "sign", "0");
        sign(revSubKey + "!", "revsub.sig");
        gpg.revokeSubkey(revSub, 1);

        auth = gpg.generate("Auth Subkey <auth@example.org>", "ed25519", "sign", "0", null);
        authSub = gpg.addSubkey(auth, "ed25519", "auth", "0");

        unbound = gpg.generate("Unbound Subkey <unbound@example.org>", "ed25519", "sign", "0", null);
        String unboundSub = gpg.addSubkey(unbound, "ed25519", "sign", "0");
        sign(unboundSub + "!", "unbound.sig");

        mallory = gpg.generate("Mallory <mallory@example.org>", "ed25519", "sign", "0", null);

        keyringArmored = tmp.resolve("trusted.asc");
        Files.write(keyringArmored, gpg.export(true, rsa, ed, ec, expired, lapsed, revoked, revSub, auth));
        keyringBinary = tmp.resolve("trusted.gpg");
        Files.write(keyringBinary, gpg.export(false, rsa, ed, ec, expired, lapsed, revoked, revSub, auth));
        verifier = SignatureVerifier.of(Keyring.load(keyringArmored));
    }

    @AfterAll
    void stopAgent() throws Exception {
        gpg.close();
    }

    private Path sign(String user, String name, String... options) throws Exception {
        Path out = tmp.resolve(name);
        Files.deleteIfExists(out);
        List<String> args = new ArrayList<>(List.of("-u", user));
        args.addAll(List.of(options));
        args.addAll(List.of("-o", out.toString()));
        if (Arrays.stream(options).noneMatch(o -> o.equals("--clearsign"))) {
            args.add("--detach-sign");
        }
        args.add(data.toString());
        gpg.run(args.toArray(String[]::new)).assertSuccess();
        return out;
    }

    private String fpr(String name) {
        return switch (name) {
            case "rsa" -> rsa;
            case "ed" -> ed;
            case "ec" -> ec;
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "rsa, armored, Rsa Signer <rsa@example.org>",
        "rsa, binary, Rsa Signer <rsa@example.org>",
        "ed, armored, Ed Signer <ed@example.org>",
        "ed, binary, Ed Signer <ed@example.org>",
        "ec, armored, Ec Signer <ec@example.org>",
        "ec, binary, Ec Signer <ec@example.org>",
    })
    void detachedSignatureByPrimaryKeyVerifies(String key, String form, String uid) throws Exception {
        String fpr = fpr(key);
        Path sig = form.equals("armored") ? sign(fpr + "!", key + ".asc", "--armor") : sign(fpr + "!", key + ".sig");
        VerifiedSignature v = verifier.verifyDetached(data, sig);
        assertThat(v.keyFingerprint()).isEqualTo(fpr);
        assertThat(v.signingKeyFingerprint()).isEqualTo(fpr);
        assertThat(v.bySubkey()).isFalse();
        assertThat(v.userId()).contains(uid);
        assertThat(v.textMode()).isFalse();
        assertThat(v.created())
                .isBetween(Instant.now().minusSeconds(300), Instant.now().plusSeconds(5));
    }

    @Test
    void binaryKeyringFileVerifiesTheSame() throws Exception {
        Path sig = sign(ec + "!", "ec-bin.sig");
        VerifiedSignature v = SignatureVerifier.of(Keyring.load(keyringBinary)).verifyDetached(data, sig);
        assertThat(v.keyFingerprint()).isEqualTo(ec);
    }

    @Test
    void signatureBySigningSubkeyNamesPrimaryAndSubkey() throws Exception {
        // gpg picks the signing subkey by itself when asked for the key.
        Path sig = sign(ed, "ed-sub.asc", "--armor");
        VerifiedSignature v = verifier.verifyDetached(data, sig);
        assertThat(v.keyFingerprint()).isEqualTo(ed);
        assertThat(v.signingKeyFingerprint()).isEqualTo(edSub);
        assertThat(v.bySubkey()).isTrue();
        assertThat(v.userId()).contains("Ed Signer <ed@example.org>");
    }

    @Test
    void streamsVerifyLikeFiles() throws Exception {
        Path sig = sign(rsa + "!", "rsa-stream.sig");
        try (InputStream d = new ByteArrayInputStream(DATA);
                InputStream s = Files.newInputStream(sig)) {
            assertThat(verifier.verifyDetached(d, s).keyFingerprint()).isEqualTo(rsa);
        }
    }

    @Test
    void textModeSignatureHashesLineEndingsAsCrlf() throws Exception {
        byte[] lf = "first line with trailing blanks  \nsecond\n\nlast\n".getBytes(StandardCharsets.UTF_8);
        byte[] crlf = "first line with trailing blanks  \r\nsecond\r\n\r\nlast\r\n".getBytes(StandardCharsets.UTF_8);
        Path lfFile = Files.write(tmp.resolve("text-lf.txt"), lf);
        Path crlfFile = Files.write(tmp.resolve("text-crlf.txt"), crlf);
        Path sig = tmp.resolve("text.asc");
        gpg.run("-u", ed + "!", "--textmode", "--armor", "--detach-sign", "-o", sig.toString(), lfFile.toString())
                .assertSuccess();

        VerifiedSignature v = verifier.verifyDetached(lfFile, sig);
        assertThat(v.textMode()).isTrue();
        // RFC 4880 section 5.2.1: the same text with CRLF endings carries the same signature, and gpg agrees.
        assertThat(verifier.verifyDetached(crlfFile, sig).keyFingerprint()).isEqualTo(ed);
        assertThat(gpg.run("--verify", sig.toString(), crlfFile.toString()).exit())
                .isZero();
        // Only line endings are canonical: trailing blanks are signed in a detached text signature.
        Path trimmed = Files.write(
                tmp.resolve("text-trimmed.txt"),
                "first line with trailing blanks\nsecond\n\nlast\n".getBytes(StandardCharsets.UTF_8));
        assertThat(gpg.run("--verify", sig.toString(), trimmed.toString()).exit())
                .isNotZero();
        PgpException e = assertThrows(PgpException.class, () -> verifier.verifyDetached(trimmed, sig));
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void cleartextMessageVerifiesAndGivesTheTextGpgGives() throws Exception {
        byte[] text = ("plain line  \n- starts with a dash\n-----BEGIN PGP SIGNATURE----- lookalike\n"
                        + "tab at end\t\r\nFrom the start\nlast")
                .getBytes(StandardCharsets.UTF_8);
        Path file = Files.write(tmp.resolve("clear.txt"), text);
        Path signed = tmp.resolve("clear.txt.asc");
        gpg.run("-u", rsa + "!", "--clearsign", "-o", signed.toString(), file.toString())
                .assertSuccess();
        byte[] gpgText = gpg.run("--decrypt", signed.toString()).assertSuccess().stdout();

        VerifiedMessage m = verifier.verifyCleartext(signed);
        assertThat(m.signature().keyFingerprint()).isEqualTo(rsa);
        assertThat(m.signature().textMode()).isTrue();
        assertThat(m.content()).isEqualTo(gpgText);
        assertThat(m.text()).contains("- starts with a dash").contains("tab at end\r\n");
    }

    @Test
    void cleartextWithChangedTextIsRefused() throws Exception {
        Path signed = sign(ed, "clear-tampered.asc", "--clearsign");
        String s = Files.readString(signed).replace("line two", "line 2");
        PgpException e = assertThrows(
                PgpException.class,
                () -> verifier.verifyCleartext(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8))));
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(e.getMessage()).contains(ed).contains("does not match");
    }

    @Test
    void cleartextFramingIsStrict() throws Exception {
        String signed = Files.readString(sign(ed, "clear-framing.asc", "--clearsign"));
        assertThat(verifier.verifyCleartext(new ByteArrayInputStream(signed.getBytes(StandardCharsets.UTF_8)))
                        .text())
                .isEqualTo(new String(DATA, StandardCharsets.UTF_8));

        assertMalformedCleartext(signed + "appended after the signature\n", "text after");
        assertMalformedCleartext("preface\n" + signed, "does not start with");
        assertMalformedCleartext(signed.replace("Hash: SHA", "Hash: MD5,SHA1\nHash: RIPEMD"), "Hash header says");
        assertMalformedCleartext(signed.replace("Hash: ", "Comment: x\nHash: "), "armor header other than Hash");
        assertMalformedCleartext(signed.replace("line two", "-line two"), "not escaped");
        assertMalformedCleartext(signed.substring(0, signed.indexOf("-----END")), "no -----END PGP SIGNATURE-----");
    }

    private void assertMalformedCleartext(String message, String expected) {
        PgpException e = assertThrows(
                PgpException.class,
                () -> verifier.verifyCleartext(new ByteArrayInputStream(message.getBytes(StandardCharsets.UTF_8))));
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_SIGNATURE);
        assertThat(e.getMessage()).contains(expected);
    }

    @Test
    void keyExpiredSinceSigningIsRefused() {
        PgpException e =
                assertThrows(PgpException.class, () -> verifier.verifyDetached(data, tmp.resolve("expired.sig")));
        assertThat(e.reason()).isEqualTo(Reason.KEY_EXPIRED);
        assertThat(e.fingerprint()).isEqualTo(expired);
        assertThat(e.getMessage())
                .contains(expired)
                .contains("Expired Signer")
                .contains("expired on 2020-12-31T00:00:00Z");
    }

    @Test
    void keyThatHadExpiredWhenSigningIsRefused() {
        PgpException e =
                assertThrows(PgpException.class, () -> verifier.verifyDetached(data, tmp.resolve("lapsed.sig")));
        assertThat(e.reason()).isEqualTo(Reason.KEY_EXPIRED);
        assertThat(e.getMessage())
                .contains(lapsed)
                .contains("had expired (2021-01-03T00:00:00Z)")
                .contains("when the signature was made (2021-01-11T00:00:00Z)");
    }

    @Test
    void expiredKeySignatureVerifiesAtATimeTheKeyWasValid() throws Exception {
        // The same signature and key, judged by a clock inside the key's validity: good. So the refusal
        // above is about time, nothing else.
        Clock then = Clock.fixed(Y2020.plus(Duration.ofDays(60)), ZoneOffset.UTC);
        VerifiedSignature v = SignatureVerifier.of(Keyring.load(keyringArmored), then)
                .verifyDetached(data, tmp.resolve("expired.sig"));
        assertThat(v.keyFingerprint()).isEqualTo(expired);
        assertThat(v.created()).isEqualTo(Y2020.plus(Duration.ofDays(30)));
    }

    @Test
    void revokedKeyIsRefused() {
        PgpException e =
                assertThrows(PgpException.class, () -> verifier.verifyDetached(data, tmp.resolve("revoked.sig")));
        assertThat(e.reason()).isEqualTo(Reason.KEY_REVOKED);
        assertThat(e.fingerprint()).isEqualTo(revoked);
        assertThat(e.getMessage()).contains("key " + revoked).contains("is revoked");
    }

    @Test
    void revocationCertificateBesideTheKeyRevokesIt() throws Exception {
        Path sig = tmp.resolve("revoked.sig");
        // The key exported before its revocation verifies...
        assertThat(SignatureVerifier.of(Keyring.load(tmp.resolve("revoked-before.pub")))
                        .verifyDetached(data, sig)
                        .keyFingerprint())
                .isEqualTo(revoked);
        // ...and the stored revocation certificate, as a second file, revokes it.
        Keyring withRevocation = Keyring.load(tmp.resolve("revoked-before.pub"), tmp.resolve("revoked.rev"));
        PgpException e = assertThrows(
                PgpException.class, () -> SignatureVerifier.of(withRevocation).verifyDetached(data, sig));
        assertThat(e.reason()).isEqualTo(Reason.KEY_REVOKED);
        assertThat(e.getMessage()).contains(revoked);
        // So does a later export of the key (which carries the revocation) in another file: copies merge.
        Keyring copies = Keyring.load(tmp.resolve("revoked-before.pub"), keyringArmored);
        assertThat(copies.size()).isEqualTo(8);
        assertThat(assertThrows(
                                PgpException.class,
                                () -> SignatureVerifier.of(copies).verifyDetached(data, sig))
                        .reason())
                .isEqualTo(Reason.KEY_REVOKED);
    }

    @Test
    void revokedSubkeyIsRefused() {
        PgpException e =
                assertThrows(PgpException.class, () -> verifier.verifyDetached(data, tmp.resolve("revsub.sig")));
        assertThat(e.reason()).isEqualTo(Reason.KEY_REVOKED);
        assertThat(e.fingerprint()).isEqualTo(revSubKey);
        assertThat(e.getMessage())
                .contains("subkey " + revSubKey + " of key " + revSub)
                .contains("is revoked");
    }

    @Test
    void keyNotInKeyringIsRefused() throws Exception {
        Path sig = sign(mallory + "!", "mallory.asc", "--armor");
        PgpException e = assertThrows(PgpException.class, () -> verifier.verifyDetached(data, sig));
        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEY);
        assertThat(e.fingerprint()).isEqualTo(mallory);
        assertThat(e.getMessage()).isEqualTo("signed by key " + mallory + ", which is not in the keyring");
    }

    @Test
    void subkeyWithoutBindingSignatureIsRefused() throws Exception {
        // The key as exported, less the subkey's binding signature.
        PGPPublicKeyRing ring =
                new BcPGPPublicKeyRing(PGPUtil.getDecoderStream(new ByteArrayInputStream(gpg.export(false, unbound))));
        Iterator<PGPPublicKey> keys = ring.getPublicKeys();
        keys.next();
        PGPPublicKey sub = keys.next();
        PGPPublicKey stripped = sub;
        for (Iterator<PGPSignature> it = sub.getSignaturesOfType(PGPSignature.SUBKEY_BINDING); it.hasNext(); ) {
            stripped = PGPPublicKey.removeCertification(stripped, it.next());
        }
        ring = PGPPublicKeyRing.insertPublicKey(ring, stripped);
        Keyring keyring = Keyring.read(new ByteArrayInputStream(ring.getEncoded()));

        PgpException e = assertThrows(
                PgpException.class,
                () -> SignatureVerifier.of(keyring).verifyDetached(data, tmp.resolve("unbound.sig")));
        assertThat(e.reason()).isEqualTo(Reason.INVALID_BINDING);
        assertThat(e.getMessage())
                .contains("subkey " + Pgp.fingerprint(sub) + " of key " + unbound)
                .contains("has no valid binding signature");
    }

    @Test
    void signatureBySubkeyNotMarkedForSigningIsRefused() throws Exception {
        // gpg will not sign with an authentication-only subkey; someone holding it can.
        byte[] secret = gpg.run("--export-secret-keys", auth).assertSuccess().stdout();
        PGPSecretKeyRing ring = new BcPGPSecretKeyRing(new ByteArrayInputStream(secret));
        PGPSecretKey authKey = null;
        for (PGPSecretKey k : ring) {
            if (Pgp.fingerprint(k.getPublicKey()).equals(authSub)) {
                authKey = k;
            }
        }
        assertThat(authKey).isNotNull();
        PGPPrivateKey priv = authKey.extractPrivateKey(null);
        PGPSignatureGenerator gen = new PGPSignatureGenerator(
                new BcPGPContentSignerBuilder(authKey.getPublicKey().getAlgorithm(), PGPUtil.SHA256),
                authKey.getPublicKey());
        gen.init(PGPSignature.BINARY_DOCUMENT, priv);
        PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
        hashed.setSignatureCreationTime(new Date());
        hashed.setIssuerFingerprint(false, authKey.getPublicKey());
        gen.setHashedSubpackets(hashed.generate());
        gen.update(DATA);
        byte[] sig = armor(gen.generate());

        PgpException e = assertThrows(
                PgpException.class,
                () -> verifier.verifyDetached(new ByteArrayInputStream(DATA), new ByteArrayInputStream(sig)));
        assertThat(e.reason()).isEqualTo(Reason.NOT_SIGNING_KEY);
        assertThat(e.fingerprint()).isEqualTo(authSub);
        assertThat(e.getMessage())
                .contains("subkey " + authSub + " of key " + auth)
                .contains("not marked for signing")
                .contains("key flags: authenticate");
    }

    @Test
    void weakAlgorithmsAreRefused() throws Exception {
        Path sha1 = sign(rsa + "!", "sha1.sig", "--digest-algo", "SHA1");
        PgpException e = assertThrows(PgpException.class, () -> verifier.verifyDetached(data, sha1));
        assertThat(e.reason()).isEqualTo(Reason.UNACCEPTABLE_ALGORITHM);
        assertThat(e.getMessage()).contains("key " + rsa).contains("uses hash algorithm SHA1, which is not accepted");

        String dsa = gpg.generate("Dsa Signer <dsa@example.org>", "dsa2048", "sign", "0", null);
        Path dsaSig = sign(dsa, "dsa.sig");
        Keyring dsaRing = Keyring.read(new ByteArrayInputStream(gpg.export(false, dsa)));
        PgpException d = assertThrows(
                PgpException.class, () -> SignatureVerifier.of(dsaRing).verifyDetached(data, dsaSig));
        assertThat(d.reason()).isEqualTo(Reason.UNACCEPTABLE_ALGORITHM);
        assertThat(d.getMessage()).contains("key " + dsa).contains("uses DSA-2048, which is not accepted");
    }

    @Test
    void signatureNamingNoIssuerIsRefused() throws Exception {
        // Key ID 0 is the "anonymous recipient" wildcard; gpg never writes it into a signature.
        byte[] secret = gpg.run("--export-secret-keys", auth).assertSuccess().stdout();
        PGPSecretKey primary = new BcPGPSecretKeyRing(new ByteArrayInputStream(secret)).getSecretKey();
        PGPSignatureGenerator gen = new PGPSignatureGenerator(
                new BcPGPContentSignerBuilder(primary.getPublicKey().getAlgorithm(), PGPUtil.SHA256),
                primary.getPublicKey());
        gen.init(PGPSignature.BINARY_DOCUMENT, primary.extractPrivateKey(null));
        PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
        hashed.setSignatureCreationTime(new Date());
        hashed.setIssuerKeyID(false, 0L);
        gen.setHashedSubpackets(hashed.generate());
        gen.update(DATA);
        byte[] sig = armor(gen.generate());
        PgpException e = assertThrows(
                PgpException.class,
                () -> verifier.verifyDetached(new ByteArrayInputStream(DATA), new ByteArrayInputStream(sig)));
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_SIGNATURE);
        assertThat(e.getMessage()).contains("does not name the key");
    }

    @Test
    void tamperedDataIsRefused() throws Exception {
        Path sig = sign(rsa + "!", "tamper.sig");
        byte[] changed = DATA.clone();
        changed[3] ^= 1;
        PgpException e = assertThrows(
                PgpException.class,
                () -> verifier.verifyDetached(new ByteArrayInputStream(changed), Files.newInputStream(sig)));
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(e.fingerprint()).isEqualTo(rsa);
        assertThat(e.getMessage()).contains("bad signature from key " + rsa + " (Rsa Signer <rsa@example.org>)");
        // Truncated data is tampered data too.
        PgpException truncated = assertThrows(
                PgpException.class,
                () -> verifier.verifyDetached(
                        new ByteArrayInputStream(Arrays.copyOf(DATA, DATA.length - 1)), Files.newInputStream(sig)));
        assertThat(truncated.reason()).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void signatureOfAnotherFileIsRefused() throws Exception {
        Path other = Files.writeString(tmp.resolve("other.txt"), "another file\n");
        Path otherSig = tmp.resolve("other.txt.sig");
        gpg.run("-u", ec + "!", "--detach-sign", "-o", otherSig.toString(), other.toString())
                .assertSuccess();
        PgpException e = assertThrows(PgpException.class, () -> verifier.verifyDetached(data, otherSig));
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(e.getMessage()).contains(ec);
    }

    @Test
    void truncatedGarbageAndMisplacedSignaturesAreRefused() throws Exception {
        byte[] armored = Files.readAllBytes(sign(rsa + "!", "for-truncation.asc", "--armor"));
        byte[] binary = Files.readAllBytes(sign(rsa + "!", "for-truncation.sig"));

        assertMalformed(Arrays.copyOf(binary, binary.length / 2), "not a valid OpenPGP signature");
        assertMalformed(Arrays.copyOf(binary, 3), "not a valid OpenPGP signature");
        assertMalformed(Arrays.copyOf(armored, armored.length / 2), "not a valid OpenPGP signature");
        assertMalformed("this is not a signature at all\n".getBytes(StandardCharsets.UTF_8), "OpenPGP signature");
        assertMalformed(new byte[0], "the signature is empty");
        byte[] random = new byte[512];
        new Random(7).nextBytes(random);
        assertMalformed(random, "");
        // A public key where the signature should be.
        assertMalformed(gpg.export(true, rsa), "not a detached signature");
        // Two signatures in one file.
        byte[] two = new byte[binary.length * 2];
        System.arraycopy(binary, 0, two, 0, binary.length);
        System.arraycopy(binary, 0, two, binary.length, binary.length);
        assertMalformed(two, "holds 2 signatures");
        // An armor checksum that does not match.
        String text = new String(armored, StandardCharsets.US_ASCII);
        int crc = text.lastIndexOf("\n=") + 2;
        String badCrc = text.substring(0, crc) + (text.charAt(crc) == 'A' ? 'B' : 'A') + text.substring(crc + 1);
        assertMalformed(badCrc.getBytes(StandardCharsets.US_ASCII), "not a valid OpenPGP signature");
    }

    private void assertMalformed(byte[] signature, String expected) {
        PgpException e = assertThrows(
                PgpException.class,
                () -> verifier.verifyDetached(new ByteArrayInputStream(DATA), new ByteArrayInputStream(signature)));
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_SIGNATURE);
        assertThat(e.getMessage()).contains(expected);
    }

    @Test
    void signatureFromTheFutureIsRefused() throws Exception {
        Path sig = tmp.resolve("future.sig");
        Instant future = Instant.now().plus(Duration.ofDays(2));
        gpg.runAt(future, "-u", rsa + "!", "--detach-sign", "-o", sig.toString(), data.toString())
                .assertSuccess();
        PgpException e = assertThrows(PgpException.class, () -> verifier.verifyDetached(data, sig));
        assertThat(e.reason()).isEqualTo(Reason.FUTURE_SIGNATURE);
        assertThat(e.getMessage()).contains(rsa).contains("in the future");
    }

    @Test
    void keyringFilesThatAreNotPublicKeysAreRefused() throws Exception {
        Path secret = Files.write(
                tmp.resolve("secret.asc"),
                gpg.run("--armor", "--export-secret-keys", ec).assertSuccess().stdout());
        assertThatThrownBy(() -> Keyring.load(secret))
                .isInstanceOf(PgpException.class)
                .hasMessageContaining("holds a secret key");
        Path garbage = Files.writeString(tmp.resolve("garbage.asc"), "hello\n");
        assertThatThrownBy(() -> Keyring.load(garbage))
                .isInstanceOf(PgpException.class)
                .hasMessageContaining("garbage.asc")
                .extracting(t -> ((PgpException) t).reason())
                .isEqualTo(Reason.MALFORMED_KEY);
        Path empty = Files.write(tmp.resolve("empty.gpg"), new byte[0]);
        assertThatThrownBy(() -> Keyring.load(empty))
                .isInstanceOf(PgpException.class)
                .hasMessageContaining("no public key");
        // A revocation certificate with no key to revoke.
        Path rsaOnly = Files.write(tmp.resolve("rsa-only.asc"), gpg.export(true, rsa));
        assertThatThrownBy(() -> Keyring.load(rsaOnly, tmp.resolve("revoked.rev")))
                .isInstanceOf(PgpException.class)
                .hasMessageContaining("revocation certificate for key " + revoked);
        Keyring alone = Keyring.load(keyringArmored);
        assertThat(alone.fingerprints()).containsExactly(rsa, ed, ec, expired, lapsed, revoked, revSub, auth);
    }

    @Test
    void concatenatedArmoredFilesAndDuplicatesMerge() throws Exception {
        byte[] a = gpg.export(true, rsa);
        byte[] b = gpg.export(true, ed, rsa);
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.writeBytes(a);
        both.writeBytes(b);
        Keyring k = Keyring.read(new ByteArrayInputStream(both.toByteArray()));
        assertThat(k.fingerprints()).containsExactly(rsa, ed);
        Path sig = sign(ed, "merged.sig");
        assertThat(SignatureVerifier.of(k).verifyDetached(data, sig).signingKeyFingerprint())
                .isEqualTo(edSub);
    }

    private static byte[] armor(PGPSignature sig) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArmoredOutputStream a = new ArmoredOutputStream(out)) {
            sig.encode(a);
        }
        return out.toByteArray();
    }
}
