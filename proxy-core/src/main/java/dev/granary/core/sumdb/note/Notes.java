package dev.granary.core.sumdb.note;

import dev.granary.core.sumdb.note.NoteException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Signed notes, as used by the Go checksum database for its tree heads
 * (golang.org/x/mod/sumdb/note). A signed note is the text (ending in a newline), a blank line,
 * then one line per signature: {@code — NAME BASE64(keyhash || signature)\n} (U+2014 EM DASH, space).
 * Signatures are over the text alone.
 */
public final class Notes {

    /** Open refuses notes with more signatures than this, to bound the work. */
    public static final int MAX_SIGNATURES = 100;

    private static final String SIG_PREFIX = "\u2014 ";

    private Notes() {}

    /** A generated key pair: keep {@code signerKey} secret, publish {@code verifierKey}. */
    public record KeyPairStrings(String signerKey, String verifierKey) {
        @Override
        public String toString() {
            return "KeyPairStrings[verifierKey=" + verifierKey + "]";
        }
    }

    /**
     * Generates an Ed25519 key pair for a named server.
     * golang.org/x/mod/sumdb/note: GenerateKey.
     *
     * @throws IllegalArgumentException if the name is not valid (empty, spaces or '+')
     */
    public static KeyPairStrings generateKey(String name) {
        if (!Keys.isValidName(name)) {
            throw new IllegalArgumentException("invalid key name " + name);
        }
        KeyPair kp;
        try {
            kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519", e);
        }
        byte[] pub = withAlg(Keys.rawPublicKey(kp.getPublic()));
        byte[] priv = withAlg(Keys.seed(kp.getPrivate()));
        String h = NoteException.hex(Keys.keyHash(name, pub));
        Base64.Encoder b64 = Base64.getEncoder();
        return new KeyPairStrings(
                "PRIVATE+KEY+" + name + "+" + h + "+" + b64.encodeToString(priv),
                name + "+" + h + "+" + b64.encodeToString(pub));
    }

    /**
     * The verifier key for a name and a raw 32-byte Ed25519 public key.
     * golang.org/x/mod/sumdb/note: NewEd25519VerifierKey.
     */
    public static String ed25519VerifierKey(String name, byte[] publicKey) {
        if (publicKey.length != 32) {
            throw new IllegalArgumentException("invalid public key size " + publicKey.length + ", expected 32");
        }
        byte[] pub = withAlg(publicKey);
        return name + "+" + NoteException.hex(Keys.keyHash(name, pub)) + "+"
                + Base64.getEncoder().encodeToString(pub);
    }

    private static byte[] withAlg(byte[] key) {
        byte[] out = new byte[key.length + 1];
        out[0] = Keys.ALG_ED25519;
        System.arraycopy(key, 0, out, 1, key.length);
        return out;
    }

    /**
     * Parses a signed note and checks its signatures against the known verifiers.
     * golang.org/x/mod/sumdb/note: Open. Signatures by unknown keys are kept as unverified;
     * identical repeated signatures are dropped.
     *
     * @return the note, with at least one verified signature
     * @throws NoteException MALFORMED_NOTE (syntax, control characters, invalid UTF-8, more than
     *                       {@value #MAX_SIGNATURES} signatures), INVALID_SIGNATURE (a known key's
     *                       signature is wrong), UNVERIFIED (no signature by a known key; the note
     *                       is in {@link NoteException#note()}), MISMATCHED_VERIFIER, or whatever
     *                       other error {@code known} raised (AMBIGUOUS_KEY)
     */
    public static Note open(byte[] msg, NoteVerifiers known) throws NoteException {
        if (known == null) {
            known = NoteVerifiers.of();
        }
        String s;
        try {
            s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(msg))
                    .toString();
        } catch (CharacterCodingException e) {
            throw NoteException.malformedNote();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\n') {
                throw NoteException.malformedNote();
            }
        }
        // The signature block is after the last blank line.
        int split = s.lastIndexOf("\n\n");
        if (split < 0) {
            throw NoteException.malformedNote();
        }
        String text = s.substring(0, split + 1);
        String sigs = s.substring(split + 2);
        if (sigs.isEmpty() || !sigs.endsWith("\n")) {
            throw NoteException.malformedNote();
        }
        byte[] textBytes = text.getBytes(StandardCharsets.UTF_8);

        List<Signature> verified = new ArrayList<>();
        List<Signature> unverified = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Set<String> seenUnverified = new HashSet<>();
        int numSig = 0;
        int pos = 0;
        while (pos < sigs.length()) {
            int nl = sigs.indexOf('\n', pos);
            String line = sigs.substring(pos, nl);
            pos = nl + 1;
            if (!line.startsWith(SIG_PREFIX)) {
                throw NoteException.malformedNote();
            }
            line = line.substring(SIG_PREFIX.length());
            int sp = line.indexOf(' ');
            String name = sp < 0 ? line : line.substring(0, sp);
            String b64 = sp < 0 ? "" : line.substring(sp + 1);
            byte[] sig = Keys.decodeBase64(b64);
            if (sig == null || !Keys.isValidName(name) || b64.isEmpty() || sig.length < 5) {
                throw NoteException.malformedNote();
            }
            int hash = ((sig[0] & 0xff) << 24) | ((sig[1] & 0xff) << 16) | ((sig[2] & 0xff) << 8) | (sig[3] & 0xff);
            byte[] rawSig = Arrays.copyOfRange(sig, 4, sig.length);
            if (++numSig > MAX_SIGNATURES) {
                throw NoteException.malformedNote();
            }
            NoteVerifier v;
            try {
                v = known.verifier(name, hash);
            } catch (NoteException e) {
                if (e.reason() != Reason.UNKNOWN_KEY) {
                    throw e;
                }
                if (seenUnverified.add(line)) {
                    unverified.add(new Signature(name, hash, b64));
                }
                continue;
            }
            if (!v.name().equals(name) || v.keyHash() != hash) {
                throw new NoteException(Reason.MISMATCHED_VERIFIER, "verifier name or hash doesn't match signature");
            }
            String key = name + "+" + NoteException.hex(hash);
            if (!seen.add(key)) {
                continue;
            }
            if (!v.verify(textBytes, rawSig)) {
                throw new NoteException(Reason.INVALID_SIGNATURE, "invalid signature for key " + key);
            }
            verified.add(new Signature(name, hash, b64));
        }
        Note n = new Note(text, verified, unverified);
        if (verified.isEmpty()) {
            throw new NoteException(Reason.UNVERIFIED, "note has no verifiable signatures", n, null);
        }
        return n;
    }

    /** Signs an unsigned text. See {@link #sign(Note, NoteSigner...)}. */
    public static byte[] sign(String text, NoteSigner... signers) throws NoteException {
        return sign(Note.of(text), signers);
    }

    /**
     * Encodes the note with new signatures by {@code signers} appended after the note's existing
     * ones; an existing signature by the same key as a signer is replaced.
     * golang.org/x/mod/sumdb/note: Sign.
     *
     * @throws NoteException MALFORMED_NOTE if the text does not end in a newline or an existing
     *                       signature is invalid; INVALID_SIGNER for a signer with a bad name
     */
    public static byte[] sign(Note n, NoteSigner... signers) throws NoteException {
        if (!n.text().endsWith("\n")) {
            throw NoteException.malformedNote();
        }
        byte[] text = n.text().getBytes(StandardCharsets.UTF_8);
        StringBuilder newSigs = new StringBuilder();
        Set<String> have = new HashSet<>();
        for (NoteSigner signer : signers) {
            String name = signer.name();
            int hash = signer.keyHash();
            have.add(name + "+" + NoteException.hex(hash));
            if (!Keys.isValidName(name)) {
                throw new NoteException(Reason.INVALID_SIGNER, "invalid signer");
            }
            byte[] sig = signer.sign(text);
            byte[] hs = new byte[4 + sig.length];
            hs[0] = (byte) (hash >>> 24);
            hs[1] = (byte) (hash >>> 16);
            hs[2] = (byte) (hash >>> 8);
            hs[3] = (byte) hash;
            System.arraycopy(sig, 0, hs, 4, sig.length);
            newSigs.append(SIG_PREFIX)
                    .append(name)
                    .append(' ')
                    .append(Base64.getEncoder().encodeToString(hs))
                    .append('\n');
        }
        StringBuilder out = new StringBuilder(n.text()).append('\n');
        for (List<Signature> list : List.of(n.sigs(), n.unverifiedSigs())) {
            for (Signature sig : list) {
                if (!Keys.isValidName(sig.name())) {
                    throw NoteException.malformedNote();
                }
                if (have.contains(sig.name() + "+" + NoteException.hex(sig.hash()))) {
                    continue;
                }
                byte[] raw = Keys.decodeBase64(sig.base64());
                if (raw == null
                        || raw.length < 4
                        || (((raw[0] & 0xff) << 24)
                                        | ((raw[1] & 0xff) << 16)
                                        | ((raw[2] & 0xff) << 8)
                                        | (raw[3] & 0xff))
                                != sig.hash()) {
                    throw NoteException.malformedNote();
                }
                out.append(SIG_PREFIX)
                        .append(sig.name())
                        .append(' ')
                        .append(sig.base64())
                        .append('\n');
            }
        }
        out.append(newSigs);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
