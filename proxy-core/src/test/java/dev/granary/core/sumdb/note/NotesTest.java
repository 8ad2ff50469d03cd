package dev.granary.core.sumdb.note;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.sumdb.note.NoteException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Ported from golang.org/x/mod/sumdb/note/note_test.go (the vectors are data, the code is ours). */
class NotesTest {

    static final String PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    static final String PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    static final String ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    static final String TEXT = "If you think cryptography is the answer to your problem,\n"
            + "then you don't know what your problem is.\n";
    static final String PETER_SIG =
            "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    static final String ENOCH_SIG =
            "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
    static final Signature PETER = new Signature(
            "PeterNeumann",
            0xc74f20a3,
            "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=");
    static final Signature ENOCH = new Signature(
            "EnochRoot",
            0xaf0cfe78,
            "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=");

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Every proper substring and every single-byte increment of a key must be refused. */
    static List<String> manglings(String key) {
        List<String> out = new ArrayList<>();
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i <= k.length; i++) {
            for (int j = i + 1; j <= k.length; j++) {
                if (i != 0 || j != k.length) {
                    out.add(key.substring(i, j));
                }
            }
        }
        for (int i = 0; i < k.length; i++) {
            byte[] m = k.clone();
            m[i]++;
            out.add(new String(m, StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    @Test
    void newVerifierAcceptsTheKeyAndRefusesEveryMangling() throws Exception {
        NoteVerifier v = NoteVerifier.parse(PETER_VKEY);
        assertThat(v.name()).isEqualTo("PeterNeumann");
        assertThat(v.keyHash()).isEqualTo(0xc74f20a3);
        List<String> bad = manglings(PETER_VKEY);
        // wrong length key with adjusted key hash; unknown algorithm with adjusted key hash
        bad.add("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==");
        bad.add("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
        for (String k : bad) {
            assertThatThrownBy(() -> NoteVerifier.parse(k)).as(k).isInstanceOf(NoteException.class);
        }
        assertThatThrownBy(
                        () -> NoteVerifier.parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
                .isInstanceOfSatisfying(
                        NoteException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_ALGORITHM));
    }

    @Test
    void newSignerAcceptsTheKeyAndRefusesEveryMangling() throws Exception {
        NoteSigner s = NoteSigner.parse(PETER_SKEY);
        assertThat(s.name()).isEqualTo("PeterNeumann");
        assertThat(s.keyHash()).isEqualTo(0xc74f20a3);
        for (String k : manglings(PETER_SKEY)) {
            assertThatThrownBy(() -> NoteSigner.parse(k)).as(k).isInstanceOf(NoteException.class);
        }
    }

    static void signerAndVerifierAgree(String name, NoteSigner signer, NoteVerifier verifier) throws Exception {
        assertThat(signer.name()).isEqualTo(name);
        assertThat(verifier.name()).isEqualTo(name);
        assertThat(signer.keyHash()).isEqualTo(verifier.keyHash());
        byte[] msg = b("hi");
        byte[] sig = signer.sign(msg);
        assertThat(verifier.verify(msg, sig)).isTrue();
        sig[0]++;
        assertThat(verifier.verify(msg, sig)).as("corrupt signature").isFalse();
        sig[0]--;
        msg[0]++;
        assertThat(verifier.verify(msg, sig)).as("corrupt message").isFalse();
    }

    @Test
    void generateKeyIsSelfConsistent() throws Exception {
        Notes.KeyPairStrings k = Notes.generateKey("EnochRoot");
        assertThat(k.signerKey()).startsWith("PRIVATE+KEY+EnochRoot+");
        signerAndVerifierAgree("EnochRoot", NoteSigner.parse(k.signerKey()), NoteVerifier.parse(k.verifierKey()));
        assertThat(k.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void ed25519VerifierKeyFromRawPublicKey() throws Exception {
        Notes.KeyPairStrings k = Notes.generateKey("EnochRoot");
        byte[] raw =
                Arrays.copyOfRange(Base64.getDecoder().decode(k.verifierKey().split("\\+", 3)[2]), 1, 33);
        String vkey = Notes.ed25519VerifierKey("EnochRoot", raw);
        assertThat(vkey).isEqualTo(k.verifierKey());
        signerAndVerifierAgree("EnochRoot", NoteSigner.parse(k.signerKey()), NoteVerifier.parse(vkey));
        assertThatThrownBy(() -> Notes.ed25519VerifierKey("EnochRoot", Arrays.copyOf(raw, 31)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void signMatchesGoExactly() throws Exception {
        NoteSigner signer = NoteSigner.parse(PETER_SKEY);
        String want = TEXT + "\n" + PETER_SIG;
        assertThat(new String(Notes.sign(TEXT, signer), StandardCharsets.UTF_8)).isEqualTo(want);
        // An existing signature by the same key is replaced.
        Note withOld = new Note(TEXT, List.of(new Signature("PeterNeumann", 0xc74f20a3, "BADSIGN=")), List.of());
        assertThat(new String(Notes.sign(withOld, signer), StandardCharsets.UTF_8))
                .isEqualTo(want);

        assertThatThrownBy(() -> Notes.sign("abc", signer)).hasMessage("malformed note");
        assertThatThrownBy(() -> Notes.sign(new Note(TEXT, List.of(new Signature("a+b", 0, "ABCD")), List.of())))
                .hasMessage("malformed note");
        assertThatThrownBy(() -> Notes.sign(
                        new Note(TEXT, List.of(new Signature("PeterNeumann", 0xc74f20a3, "BADHASH=")), List.of())))
                .hasMessage("malformed note");
        NoteSigner badName = new NoteSigner() {
            public String name() {
                return "bad name";
            }

            public int keyHash() {
                return signer.keyHash();
            }

            public byte[] sign(byte[] msg) throws NoteException {
                return signer.sign(msg);
            }
        };
        assertThatThrownBy(() -> Notes.sign(TEXT, badName)).hasMessage("invalid signer");
        NoteException surprise = new NoteException(Reason.SIGNING_FAILED, "surprise!");
        NoteSigner failing = new NoteSigner() {
            public String name() {
                return signer.name();
            }

            public int keyHash() {
                return signer.keyHash();
            }

            public byte[] sign(byte[] msg) throws NoteException {
                throw surprise;
            }
        };
        assertThatThrownBy(() -> Notes.sign(TEXT, failing)).isSameAs(surprise);
    }

    @Test
    void verifierList() throws Exception {
        NoteVerifier peter = NoteVerifier.parse(PETER_VKEY);
        NoteVerifier enoch = NoteVerifier.parse(ENOCH_VKEY);
        NoteVerifiers list = NoteVerifiers.of(peter, enoch, enoch);
        assertThat(list.verifier("PeterNeumann", 0xc74f20a3)).isSameAs(peter);
        assertThatThrownBy(() -> list.verifier("PeterNeumann", 0xc74f20a4))
                .hasMessage("unknown key PeterNeumann+c74f20a4")
                .isInstanceOfSatisfying(
                        NoteException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEY));
        assertThatThrownBy(() -> list.verifier("PeterNeuman", 0xc74f20a3))
                .hasMessage("unknown key PeterNeuman+c74f20a3");
        assertThatThrownBy(() -> list.verifier("EnochRoot", 0xaf0cfe78)).hasMessage("ambiguous key EnochRoot+af0cfe78");
    }

    @Test
    void open() throws Exception {
        NoteVerifier peter = NoteVerifier.parse(PETER_VKEY);
        NoteVerifier enoch = NoteVerifier.parse(ENOCH_VKEY);

        // One signature verified, one not.
        Note n = Notes.open(b(TEXT + "\n" + PETER_SIG + ENOCH_SIG), NoteVerifiers.of(peter));
        assertThat(n.text()).isEqualTo(TEXT);
        assertThat(n.sigs()).containsExactly(PETER);
        assertThat(n.unverifiedSigs()).containsExactly(ENOCH);

        // Both verified.
        n = Notes.open(b(TEXT + "\n" + PETER_SIG + ENOCH_SIG), NoteVerifiers.of(peter, enoch));
        assertThat(n.sigs()).containsExactly(PETER, ENOCH);
        assertThat(n.unverifiedSigs()).isEmpty();

        // Both unverified: a distinct error that carries the note.
        assertThatThrownBy(() -> Notes.open(b(TEXT + "\n" + PETER_SIG + ENOCH_SIG), NoteVerifiers.of()))
                .hasMessage("note has no verifiable signatures")
                .isInstanceOfSatisfying(NoteException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNVERIFIED);
                    assertThat(e.note().sigs()).isEmpty();
                    assertThat(e.note().unverifiedSigs()).containsExactly(PETER, ENOCH);
                });

        // Duplicated verifier, used / unused.
        assertThatThrownBy(() -> Notes.open(b(TEXT + "\n" + ENOCH_SIG), NoteVerifiers.of(enoch, peter, enoch)))
                .hasMessage("ambiguous key EnochRoot+af0cfe78");
        Notes.open(b(TEXT + "\n" + PETER_SIG), NoteVerifiers.of(enoch, peter, enoch));

        // Too many signatures.
        assertThatThrownBy(() -> Notes.open(b(TEXT + "\n" + PETER_SIG.repeat(101)), NoteVerifiers.of(peter)))
                .hasMessage("malformed note");
        assertThatThrownBy(() -> Notes.open(b(TEXT + "\n" + PETER_SIG.repeat(101)), NoteVerifiers.of()))
                .hasMessage("malformed note");

        // Invalid signature (chars are ASCII after the 2-char prefix, so string offsets match Go's byte offsets - 2).
        String badPeter = PETER_SIG.substring(0, 58) + "ABCD" + PETER_SIG.substring(58);
        assertThatThrownBy(() -> Notes.open(b(TEXT + "\n" + badPeter), NoteVerifiers.of(peter)))
                .hasMessage("invalid signature for key PeterNeumann+c74f20a3")
                .isInstanceOfSatisfying(
                        NoteException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_SIGNATURE));

        // Duplicated verified and unverified signatures.
        Signature enochAbcd = new Signature(
                "EnochRoot",
                0xaf0cfe78,
                "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n" + "ABCD"
                        + "2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=");
        String badEnoch = ENOCH_SIG.substring(0, 58) + "ABCD" + ENOCH_SIG.substring(58);
        n = Notes.open(
                b(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + badEnoch), NoteVerifiers.of(peter));
        assertThat(n.sigs()).containsExactly(PETER);
        assertThat(n.unverifiedSigs()).containsExactly(ENOCH, enochAbcd);

        // Invalid encoded message syntax.
        List<String> badMsgs = List.of(
                TEXT,
                TEXT + "\n",
                TEXT + "\n" + PETER_SIG.substring(0, PETER_SIG.length() - 1),
                "\u0001" + TEXT + "\n" + PETER_SIG,
                TEXT + "\n"
                        + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
                TEXT + "\n" + PETER_SIG + "Unexpected line.\n");
        for (String m : badMsgs) {
            assertThatThrownBy(() -> Notes.open(b(m), NoteVerifiers.of(peter)))
                    .as(m)
                    .hasMessage("malformed note");
        }
        byte[] invalidUtf8 = concat(new byte[] {(byte) 0xff}, b(TEXT + "\n" + PETER_SIG));
        assertThatThrownBy(() -> Notes.open(invalidUtf8, NoteVerifiers.of(peter)))
                .hasMessage("malformed note");

        // A Verifiers that returns a verifier for the wrong name or hash.
        NoteVerifiers fixed = (name, hash) -> peter;
        assertThatThrownBy(
                        () -> Notes.open(b(TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "CarmenSandiego")), fixed))
                .isInstanceOfSatisfying(
                        NoteException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MISMATCHED_VERIFIER));
        assertThatThrownBy(() -> Notes.open(b(TEXT + "\n" + PETER_SIG.replace("x08g", "xxxx")), fixed))
                .isInstanceOfSatisfying(
                        NoteException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MISMATCHED_VERIFIER));
    }

    @Test
    void tamperedTextIsRejected() throws Exception {
        NoteVerifier peter = NoteVerifier.parse(PETER_VKEY);
        String tampered = TEXT.replace("answer", "Answer") + "\n" + PETER_SIG;
        assertThatThrownBy(() -> Notes.open(b(tampered), NoteVerifiers.of(peter)))
                .isInstanceOfSatisfying(
                        NoteException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_SIGNATURE));
    }

    @Test
    void sumGolangOrgKeyParses() throws Exception {
        NoteVerifier v = NoteVerifier.parse("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8");
        assertThat(v.name()).isEqualTo("sum.golang.org");
        assertThat(v.keyHash()).isEqualTo(0x033de0ae);
    }

    static byte[] concat(byte[] a, byte[] c) {
        byte[] out = Arrays.copyOf(a, a.length + c.length);
        System.arraycopy(c, 0, out, a.length, c.length);
        return out;
    }
}
