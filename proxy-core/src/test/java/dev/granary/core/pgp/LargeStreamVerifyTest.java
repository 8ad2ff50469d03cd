package dev.granary.core.pgp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.Gpg;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 300 MB stream, generated as it is read and never stored, signed by the real {@code gpg} and
 * verified in a JVM whose heap (32 MB) is a tenth of the data: verification memory does not grow
 * with the data. The same stream with one byte inverted near its end is refused.
 */
class LargeStreamVerifyTest {
    private static final long SIZE = 300L << 20;

    @TempDir
    Path tmp;

    @Test
    void largeStreamVerifiesInSmallHeapAndOneChangedByteIsRefused() throws Exception {
        try (Gpg gpg = new Gpg(tmp.resolve("gnupg"))) {
            String fpr = gpg.generate("Big Signer <big@example.org>", "ed25519", "sign", "0", null);
            Path sig = tmp.resolve("big.sig");
            gpg.runWithInput(
                            new PatternStream(SIZE, -1),
                            "-u",
                            fpr,
                            "--digest-algo",
                            "SHA512",
                            "--detach-sign",
                            "-o",
                            sig.toString())
                    .assertSuccess();
            Path keyring = Files.write(tmp.resolve("keyring.gpg"), gpg.export(false, fpr));

            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(
                            java,
                            "-Xmx32m",
                            "-cp",
                            System.getProperty("java.class.path"),
                            LargeStreamCheck.class.getName(),
                            keyring.toString(),
                            sig.toString(),
                            Long.toString(SIZE),
                            Long.toString(SIZE - 10))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out.lines().toList())
                    .containsExactly("GOOD " + fpr + " " + SIZE, "REFUSED BAD_SIGNATURE " + SIZE);
        }
    }
}
