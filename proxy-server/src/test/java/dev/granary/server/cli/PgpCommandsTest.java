package dev.granary.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.Gpg;
import dev.granary.server.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code granary keys generate}, {@code granary signature sign} and {@code granary signature verify}
 * end to end, run through {@link Main}'s command line in process (and once as a child process, for
 * {@code --passphrase-env}), against the real {@code gpg}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgpCommandsTest {
    private static final Pattern GENERATED = Pattern.compile("Generated key ([0-9A-F]{40}) ");

    @TempDir
    static Path tmp;

    private Gpg gpg;
    private String gpgKey;
    private Path gpgKeyring;

    /** What a command printed and how it ended. */
    record Run(int exit, String out, String err) {}

    @BeforeAll
    void gpgKey() throws Exception {
        gpg = new Gpg(tmp.resolve("gnupg"));
        gpgKey = gpg.generate("Release Bot <release@example.org>", "ed25519", "sign", "0", null);
        gpgKeyring = Files.write(tmp.resolve("trusted.asc"), gpg.export(true, gpgKey));
    }

    @AfterAll
    void stopAgent() throws Exception {
        gpg.close();
    }

    private static Run granary(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path file(String name, String content) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "case");
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void generateSignAndVerifyRoundTripAndGpgAgrees() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "roundtrip");
        Path passFile = Files.writeString(dir.resolve("pass.txt"), "release passphrase\n");
        Path secret = dir.resolve("release.sec.asc");
        Path pub = dir.resolve("release.pub.asc");
        Run gen = granary(
                "keys",
                "generate",
                "--uid",
                "Granary Release <release@granary.example>",
                "--output-secret",
                secret.toString(),
                "--output-public",
                pub.toString(),
                "--passphrase-file",
                passFile.toString());
        assertThat(gen.exit()).as(gen.err()).isZero();
        Matcher m = GENERATED.matcher(gen.out());
        assertThat(m.find()).as(gen.out()).isTrue();
        String fpr = m.group(1);
        assertThat(gen.err()).doesNotContain("not protected");

        Path artifact = Files.writeString(dir.resolve("go1.26.linux-amd64.tar.gz"), "pretend archive\n");
        Run sign = granary(
                "signature",
                "sign",
                "--key",
                secret.toString(),
                "--passphrase-file",
                passFile.toString(),
                artifact.toString());
        assertThat(sign.exit()).as(sign.err()).isZero();
        Path asc = dir.resolve("go1.26.linux-amd64.tar.gz.asc");
        assertThat(sign.out()).contains(fpr).contains(asc.toString());
        assertThat(Files.readString(asc)).startsWith("-----BEGIN PGP SIGNATURE-----");

        gpg.run("--import", pub.toString()).assertSuccess();
        Gpg.Result gpgVerify = gpg.run("--status-fd", "1", "--verify", asc.toString(), artifact.toString());
        assertThat(gpgVerify.exit()).as(gpgVerify.stderr()).isZero();
        assertThat(gpgVerify.out()).contains("[GNUPG:] VALIDSIG " + fpr);

        Run verify = granary("signature", "verify", "--keyring", pub.toString(), artifact.toString());
        assertThat(verify.exit()).as(verify.err()).isZero();
        assertThat(verify.out())
                .startsWith("Good signature from " + fpr + " \"Granary Release <release@granary.example>\"");
        assertThat(verify.err()).isEmpty();
    }

    @Test
    void verifyLooksForAscThenSigThenCleartext() throws Exception {
        Path data = file("module.zip", "zip bytes\n");
        Path sig = data.resolveSibling("module.zip.sig");
        gpg.run("-u", gpgKey, "--detach-sign", "-o", sig.toString(), data.toString())
                .assertSuccess();
        Run bySig = granary("signature", "verify", "--keyring", gpgKeyring.toString(), data.toString());
        assertThat(bySig.exit()).as(bySig.err()).isZero();
        assertThat(bySig.out())
                .contains("Good signature from " + gpgKey + " \"Release Bot <release@example.org>\"")
                .contains("module.zip.sig");

        // FILE.asc comes first: an .asc from a stranger is refused even though the .sig is good.
        try (Gpg other = new Gpg(tmp.resolve("gnupg-other"))) {
            String stranger = other.generate("Stranger <stranger@example.org>", "ed25519", "sign", "0", null);
            other.run(
                            "-u",
                            stranger,
                            "--armor",
                            "--detach-sign",
                            "-o",
                            data.resolveSibling("module.zip.asc").toString(),
                            data.toString())
                    .assertSuccess();
            Run byAsc = granary("signature", "verify", "--keyring", gpgKeyring.toString(), data.toString());
            assertThat(byAsc.exit()).isEqualTo(1);
            assertThat(byAsc.err()).contains(stranger).contains("not in the keyring");
        }

        Path text = file("SHA256SUMS", "abc123  go.zip\n");
        Path signed = text.resolveSibling("SHA256SUMS.txt");
        gpg.run("-u", gpgKey, "--clearsign", "-o", signed.toString(), text.toString())
                .assertSuccess();
        Path content = text.resolveSibling("verified.txt");
        Run clear = granary(
                "signature",
                "verify",
                "--keyring",
                gpgKeyring.toString(),
                signed.toString(),
                "--output",
                content.toString());
        assertThat(clear.exit()).as(clear.err()).isZero();
        assertThat(clear.out()).contains(gpgKey).contains("cleartext-signed");
        assertThat(Files.readString(content)).isEqualTo("abc123  go.zip\n");
    }

    @Test
    void refusedSignatureExitsOneWithOneLineReason() throws Exception {
        Path data = file("bundle.tar", "bundle\n");
        Path sig = data.resolveSibling("bundle.tar.asc");
        gpg.run("-u", gpgKey, "--armor", "--detach-sign", "-o", sig.toString(), data.toString())
                .assertSuccess();
        Files.writeString(data, "bundle, changed\n");
        Run r = granary(
                "signature",
                "verify",
                "--keyring",
                gpgKeyring.toString(),
                data.toString(),
                "--signature",
                sig.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().toList()).hasSize(1);
        assertThat(r.err()).startsWith("granary: signature refused: bad signature from key " + gpgKey);

        Path unsigned = file("unsigned.txt", "no signature here\n");
        Run none = granary("signature", "verify", "--keyring", gpgKeyring.toString(), unsigned.toString());
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("no signature for").contains("unsigned.txt.asc");

        Path garbage = Files.writeString(data.resolveSibling("garbage.sig"), "not a signature");
        Run bad = granary(
                "signature",
                "verify",
                "--keyring",
                gpgKeyring.toString(),
                data.toString(),
                "--signature",
                garbage.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("signature refused");
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        Path data = file("a.txt", "a\n");
        assertThat(granary(
                                "signature",
                                "verify",
                                "--keyring",
                                gpgKeyring.toString(),
                                data.resolveSibling("missing.txt").toString())
                        .exit())
                .isEqualTo(2);
        Run noKeyring = granary(
                "signature", "verify", "--keyring", tmp.resolve("missing.asc").toString(), data.toString());
        assertThat(noKeyring.exit()).isEqualTo(2);
        assertThat(noKeyring.err()).contains("missing.asc does not exist");
        assertThat(granary(
                                "signature",
                                "verify",
                                "--keyring",
                                gpgKeyring.toString(),
                                data.toString(),
                                "--signature",
                                "nope.sig")
                        .exit())
                .isEqualTo(2);
        assertThat(granary("signature", "verify", data.toString()).exit()).isEqualTo(2);
        Run notAKeyring = granary("signature", "verify", "--keyring", data.toString(), data.toString());
        assertThat(notAKeyring.exit()).isEqualTo(2);
        assertThat(notAKeyring.err()).contains("cannot use keyring");
        assertThat(granary("signature", "sign", "--key", "missing.asc", data.toString())
                        .exit())
                .isEqualTo(2);
        assertThat(granary(
                                "keys",
                                "generate",
                                "--uid",
                                "X <x@example.org>",
                                "--output-secret",
                                data.toString(),
                                "--output-public",
                                data.resolveSibling("p.asc").toString())
                        .err())
                .contains("exists");
        Run unset = granary(
                "keys",
                "generate",
                "--uid",
                "X <x@example.org>",
                "--output-secret",
                data.resolveSibling("s.asc").toString(),
                "--output-public",
                data.resolveSibling("p.asc").toString(),
                "--passphrase-env",
                "GRANARY_TEST_SURELY_UNSET_VAR");
        assertThat(unset.exit()).isEqualTo(2);
        assertThat(unset.err()).contains("GRANARY_TEST_SURELY_UNSET_VAR is not set");
        assertThat(Files.exists(data.resolveSibling("s.asc"))).isFalse();
        Run both = granary(
                "signature",
                "sign",
                "--key",
                data.toString(),
                "--passphrase-env",
                "A",
                "--passphrase-file",
                "b",
                data.toString());
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void wrongPassphraseIsRefusedWithoutShowingIt() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "wrongpass");
        Path right = Files.writeString(dir.resolve("right"), "the right one");
        Path wrong = Files.writeString(dir.resolve("wrong"), "the wrong one");
        Path secret = dir.resolve("k.sec.asc");
        assertThat(granary(
                                "keys",
                                "generate",
                                "--uid",
                                "Locked <locked@example.org>",
                                "--output-secret",
                                secret.toString(),
                                "--output-public",
                                dir.resolve("k.pub.asc").toString(),
                                "--passphrase-file",
                                right.toString())
                        .exit())
                .isZero();
        Path data = Files.writeString(dir.resolve("d.txt"), "d\n");
        Run r = granary(
                "signature",
                "sign",
                "--key",
                secret.toString(),
                "--passphrase-file",
                wrong.toString(),
                data.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .contains("wrong passphrase")
                .doesNotContain("the wrong one")
                .doesNotContain("the right one");
        assertThat(Files.exists(dir.resolve("d.txt.asc"))).isFalse();
        Run unprotected = granary("signature", "sign", "--key", secret.toString(), data.toString());
        assertThat(unprotected.exit()).isEqualTo(1);
        assertThat(unprotected.err()).contains("protected by a passphrase");
    }

    @Test
    void rsaKeyWithoutPassphraseWarnsAndSignsWithSha256() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "rsa");
        Path secret = dir.resolve("rsa.sec.asc");
        Path pub = dir.resolve("rsa.pub.asc");
        Run gen = granary(
                "keys",
                "generate",
                "--rsa",
                "--uid",
                "Rsa <rsa@example.org>",
                "--output-secret",
                secret.toString(),
                "--output-public",
                pub.toString());
        assertThat(gen.exit()).as(gen.err()).isZero();
        assertThat(gen.err()).contains("not protected by a passphrase");
        Path data = Files.writeString(dir.resolve("d.txt"), "d\n");
        Path out = dir.resolve("custom.asc");
        assertThat(granary(
                                "signature",
                                "sign",
                                "--key",
                                secret.toString(),
                                "--hash",
                                "sha256",
                                "--output",
                                out.toString(),
                                data.toString())
                        .exit())
                .isZero();
        Run verify = granary(
                "signature", "verify", "--keyring", pub.toString(), "--signature", out.toString(), data.toString());
        assertThat(verify.exit()).as(verify.err()).isZero();
        assertThat(verify.out()).contains("SHA256");
        gpg.run("--import", pub.toString()).assertSuccess();
        assertThat(gpg.run("--verify", out.toString(), data.toString()).exit()).isZero();
    }

    @Test
    void passphraseFromEnvironmentInAChildProcess() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "env");
        Path secret = dir.resolve("env.sec.asc");
        Path pub = dir.resolve("env.pub.asc");
        Path data = Files.writeString(dir.resolve("d.txt"), "d\n");
        assertThat(child(
                                "keys",
                                "generate",
                                "--uid",
                                "Env <env@example.org>",
                                "--output-secret",
                                secret.toString(),
                                "--output-public",
                                pub.toString(),
                                "--passphrase-env",
                                "GRANARY_KEY_PASSPHRASE")
                        .exit())
                .isZero();
        Run sign = child(
                "signature",
                "sign",
                "--key",
                secret.toString(),
                "--passphrase-env",
                "GRANARY_KEY_PASSPHRASE",
                data.toString());
        assertThat(sign.exit()).as(sign.out()).isZero();
        Run verify = granary("signature", "verify", "--keyring", pub.toString(), data.toString());
        assertThat(verify.exit()).as(verify.out()).isZero();
        assertThat(verify.out()).contains("Good signature from").contains("Env <env@example.org>");
        // The same secret key without the variable's passphrase does not open.
        assertThat(granary("signature", "sign", "--key", secret.toString(), data.toString())
                        .exit())
                .isEqualTo(1);
    }

    private static Run child(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd =
                new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("GRANARY_KEY_PASSPHRASE", "from the environment");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new Run(p.exitValue(), out, "");
    }
}
