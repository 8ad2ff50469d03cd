package dev.granary.core.sumdb.note;

import dev.granary.core.sumdb.note.NoteException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Key parsing and Ed25519 plumbing with JDK crypto only. Raw 32-byte keys become JDK keys through
 * fixed DER prefixes (RFC 8410): SubjectPublicKeyInfo {@code 302a300506032b6570032100 || key} and
 * PKCS#8 {@code 302e020100300506032b657004220420 || seed}. The JDK cannot derive a public key from
 * a private one, so {@link #keyPairFromSeed} runs the Ed25519 key-pair generator with a
 * "random" source that yields the seed: RFC 8032 key generation is exactly "public = f(seed)".
 */
final class Keys {

    static final int ALG_ED25519 = 1;
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");

    private Keys() {}

    // golang.org/x/mod/sumdb/note: keyHash.
    static int keyHash(String name, byte[] key) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(name.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            md.update(key);
            byte[] sum = md.digest();
            return ((sum[0] & 0xff) << 24) | ((sum[1] & 0xff) << 16) | ((sum[2] & 0xff) << 8) | (sum[3] & 0xff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // golang.org/x/mod/sumdb/note: isValidName — non-empty, no Unicode space, no '+'.
    static boolean isValidName(String name) {
        if (name.isEmpty() || name.indexOf('+') >= 0) {
            return false;
        }
        return name.codePoints().noneMatch(Keys::isSpace);
    }

    // Go's unicode.IsSpace.
    static boolean isSpace(int c) {
        switch (c) {
            case '\t', '\n', 0x0b, '\f', '\r', ' ', 0x85, 0xa0:
                return true;
            default:
                int t = Character.getType(c);
                return c > 0xff
                        && (t == Character.SPACE_SEPARATOR
                                || t == Character.LINE_SEPARATOR
                                || t == Character.PARAGRAPH_SEPARATOR);
        }
    }

    // Go's base64.StdEncoding (padding required). Null if invalid.
    static byte[] decodeBase64(String s) {
        if (s.length() % 4 != 0) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean isHash16(String s) {
        return s.length() == 8 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 0x80);
    }

    private static String[] chop(String s) {
        int i = s.indexOf('+');
        return i < 0 ? new String[] {s, ""} : new String[] {s.substring(0, i), s.substring(i + 1)};
    }

    static NoteVerifier parseVerifier(String vkey) throws NoteException {
        NoteException malformed = new NoteException(Reason.MALFORMED_KEY, "malformed verifier id");
        String[] a = chop(vkey);
        String name = a[0];
        String[] b = chop(a[1]);
        String hash16 = b[0];
        byte[] key = decodeBase64(b[1]);
        if (!isHash16(hash16) || key == null || !isValidName(name) || key.length == 0) {
            throw malformed;
        }
        int hash = (int) Long.parseLong(hash16, 16);
        if (hash != keyHash(name, key)) {
            throw new NoteException(Reason.KEY_HASH_MISMATCH, "invalid verifier hash");
        }
        if (key[0] != ALG_ED25519) {
            throw new NoteException(Reason.UNKNOWN_ALGORITHM, "unknown verifier algorithm");
        }
        if (key.length != 33) {
            throw malformed;
        }
        PublicKey pub = publicKey(Arrays.copyOfRange(key, 1, 33));
        return new Ed25519Verifier(name, hash, pub);
    }

    static NoteSigner parseSigner(String skey) throws NoteException {
        NoteException malformed = new NoteException(Reason.MALFORMED_KEY, "malformed verifier id");
        String[] p1 = chop(skey);
        String[] p2 = chop(p1[1]);
        String[] n = chop(p2[1]);
        String[] h = chop(n[1]);
        String name = n[0];
        String hash16 = h[0];
        byte[] key = decodeBase64(h[1]);
        if (!p1[0].equals("PRIVATE")
                || !p2[0].equals("KEY")
                || !isHash16(hash16)
                || key == null
                || !isValidName(name)
                || key.length == 0) {
            throw malformed;
        }
        int hash = (int) Long.parseLong(hash16, 16);
        if (key[0] != ALG_ED25519) {
            throw new NoteException(Reason.UNKNOWN_ALGORITHM, "unknown verifier algorithm");
        }
        if (key.length != 33) {
            throw malformed;
        }
        byte[] seed = Arrays.copyOfRange(key, 1, 33);
        KeyPair kp = keyPairFromSeed(seed);
        byte[] pubkey = new byte[33];
        pubkey[0] = ALG_ED25519;
        System.arraycopy(rawPublicKey(kp.getPublic()), 0, pubkey, 1, 32);
        // The hash is of the public key: check it only after deriving that.
        if (hash != keyHash(name, pubkey)) {
            throw new NoteException(Reason.KEY_HASH_MISMATCH, "invalid verifier hash");
        }
        return new Ed25519Signer(name, hash, kp.getPrivate());
    }

    static PublicKey publicKey(byte[] raw32) {
        try {
            byte[] der = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + 32);
            System.arraycopy(raw32, 0, der, SPKI_PREFIX.length, 32);
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK Ed25519 rejected a 32-byte public key", e);
        }
    }

    static PrivateKey privateKey(byte[] seed32) {
        try {
            byte[] der = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + 32);
            System.arraycopy(seed32, 0, der, PKCS8_PREFIX.length, 32);
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK Ed25519 rejected a 32-byte seed", e);
        }
    }

    static byte[] rawPublicKey(PublicKey pub) {
        byte[] der = pub.getEncoded();
        if (der.length != SPKI_PREFIX.length + 32
                || !Arrays.equals(der, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
            throw new IllegalStateException("unexpected Ed25519 public key encoding");
        }
        return Arrays.copyOfRange(der, SPKI_PREFIX.length, der.length);
    }

    static byte[] seed(PrivateKey priv) {
        byte[] der = priv.getEncoded();
        if (der.length != PKCS8_PREFIX.length + 32
                || !Arrays.equals(der, 0, PKCS8_PREFIX.length, PKCS8_PREFIX, 0, PKCS8_PREFIX.length)) {
            throw new IllegalStateException("unexpected Ed25519 private key encoding");
        }
        return Arrays.copyOfRange(der, PKCS8_PREFIX.length, der.length);
    }

    /** The Ed25519 key pair of a 32-byte seed, computed by the JDK's generator fed with the seed. */
    static KeyPair keyPairFromSeed(byte[] seed) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(255, new SeedRandom(seed));
            KeyPair kp = g.generateKeyPair();
            if (!Arrays.equals(seed(kp.getPrivate()), seed)) {
                throw new IllegalStateException("the JDK Ed25519 generator did not take the seed");
            }
            return kp;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A "random" source that returns a fixed seed, once. */
    private static final class SeedRandom extends SecureRandom {
        private final byte[] seed;
        private boolean used;

        SeedRandom(byte[] seed) {
            this.seed = seed.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (used || bytes.length != seed.length) {
                throw new IllegalStateException("unexpected use of the seed source");
            }
            used = true;
            System.arraycopy(seed, 0, bytes, 0, seed.length);
        }
    }

    record Ed25519Verifier(String name, int keyHash, PublicKey key) implements NoteVerifier {
        @Override
        public boolean verify(byte[] msg, byte[] sig) {
            if (sig.length != 64) {
                return false;
            }
            try {
                java.security.Signature s = java.security.Signature.getInstance("Ed25519");
                s.initVerify(key);
                s.update(msg);
                return s.verify(sig);
            } catch (GeneralSecurityException | RuntimeException e) {
                return false;
            }
        }

        @Override
        public String toString() {
            return "NoteVerifier[" + name + "+" + NoteException.hex(keyHash) + "]";
        }
    }

    record Ed25519Signer(String name, int keyHash, PrivateKey key) implements NoteSigner {
        @Override
        public byte[] sign(byte[] msg) throws NoteException {
            try {
                java.security.Signature s = java.security.Signature.getInstance("Ed25519");
                s.initSign(key);
                s.update(msg);
                return s.sign();
            } catch (GeneralSecurityException e) {
                throw new NoteException(Reason.SIGNING_FAILED, "signing failed: " + e.getMessage(), null, e);
            }
        }

        @Override
        public String toString() {
            return "NoteSigner[" + name + "+" + NoteException.hex(keyHash) + "]";
        }
    }
}
