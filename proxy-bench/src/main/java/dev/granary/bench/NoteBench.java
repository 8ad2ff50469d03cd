package dev.granary.bench;

import dev.granary.core.sumdb.note.Note;
import dev.granary.core.sumdb.note.NoteException;
import dev.granary.core.sumdb.note.NoteSigner;
import dev.granary.core.sumdb.note.NoteVerifier;
import dev.granary.core.sumdb.note.NoteVerifiers;
import dev.granary.core.sumdb.note.Notes;
import dev.granary.core.sumdb.tlog.Tlog;
import dev.granary.core.sumdb.tlog.Tree;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Opening a signed tree head: every {@code /latest} fetched from the checksum database, and every lookup
 * answer (which carries one), is an Ed25519-signed note verified before anything it says is believed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class NoteBench {

    private byte[] signedTree;
    private NoteVerifiers verifiers;
    private byte[] text;
    private byte[] rawSignature;
    private PublicKey rawKey;

    @Setup
    public void setup() throws NoteException, GeneralSecurityException {
        Notes.KeyPairStrings keys = Notes.generateKey("bench.example.com");
        Tree tree = new Tree(28_150_000, Tlog.recordHash("bench".getBytes(StandardCharsets.UTF_8)));
        signedTree = Notes.sign(tree.formatTree(), NoteSigner.parse(keys.signerKey()));
        verifiers = NoteVerifiers.of(NoteVerifier.parse(keys.verifierKey()));
        Notes.open(signedTree, verifiers); // must verify: the benchmark measures no refusals
        System.out.printf("%nsigned tree note: %d bytes%n", signedTree.length);

        text = tree.formatTree().getBytes(StandardCharsets.UTF_8);
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(kp.getPrivate());
        s.update(text);
        rawSignature = s.sign();
        rawKey = kp.getPublic();
        if (!jdkEd25519Verify()) {
            throw new IllegalStateException("setup: the JDK rejected its own Ed25519 signature");
        }
    }

    // Notes.open: parse the note and verify its Ed25519 signature by a known key.
    @Benchmark
    public Note open() throws NoteException {
        return Notes.open(signedTree, verifiers);
    }

    // Baseline: the JDK's Ed25519 verification of the same text alone, to show how much of open() is the crypto.
    @Benchmark
    public boolean jdkEd25519Verify() throws GeneralSecurityException {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(rawKey);
        s.update(text);
        return s.verify(rawSignature);
    }
}
