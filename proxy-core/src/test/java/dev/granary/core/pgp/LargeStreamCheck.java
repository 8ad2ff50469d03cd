package dev.granary.core.pgp;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a child JVM with a small heap by {@link LargeStreamVerifyTest}: verifies a detached signature
 * over a generated stream of {@code SIZE} bytes, then over the same stream with byte {@code FLIP}
 * inverted, and prints one line per verification: {@code GOOD <fpr> <bytes read>} or
 * {@code REFUSED <reason> <bytes read>}.
 */
public final class LargeStreamCheck {
    private LargeStreamCheck() {}

    public static void main(String[] args) throws Exception {
        Keyring keyring = Keyring.load(Path.of(args[0]));
        byte[] signature = Files.readAllBytes(Path.of(args[1]));
        long size = Long.parseLong(args[2]);
        long flip = Long.parseLong(args[3]);
        SignatureVerifier verifier = SignatureVerifier.of(keyring);
        for (long f : new long[] {-1, flip}) {
            PatternStream data = new PatternStream(size, f);
            try {
                VerifiedSignature v = verifier.verifyDetached(data, new ByteArrayInputStream(signature));
                System.out.println("GOOD " + v.keyFingerprint() + " " + data.position());
            } catch (PgpException e) {
                System.out.println("REFUSED " + e.reason() + " " + data.position());
            }
        }
    }
}
