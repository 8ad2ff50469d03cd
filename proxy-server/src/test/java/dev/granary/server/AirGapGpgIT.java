package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.Gpg;
import dev.granary.core.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * OpenPGP both ways with the real {@code gpg}: a snapshot signed by Granary (with a key of its own, or
 * one gpg generated, with a signing subkey, exported with a passphrase) verifies with {@code gpg --verify SHA256SUMS.asc
 * SHA256SUMS}; a snapshot whose SHA256SUMS gpg signed ({@code --detach-sign --armor}, binary and text
 * mode) with keys gpg generated (RSA, Ed25519, a signing subkey) imports with the keyring
 * {@code gpg --export --armor} writes; expired and revoked keys are refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AirGapGpgIT {
    private Path dir;
    private Gpg gpg;
    private TestSumdb db;
    private TestUpstream upstream;
    private Path connected;
    private String[] connectedFlags;
    private String rsa;
    private String ed;
    private String withSubkey;
    private String expired;
    private String revoked;
    private int n;

    @BeforeAll
    void keysAndAConnectedSide(@TempDir Path tmp) throws Exception {
        dir = tmp;
        GoProxyTree tree = TestModules.upstreamTree(dir.resolve("upstream"));
        db = TestSumdb.start(tree.root());
        upstream = TestUpstream.serve(tree.root());
        connected = dir.resolve("connected");
        connectedFlags = new String[] {
            "--storage",
            connected.toString(),
            "--upstream",
            upstream.uri().toString(),
            "--sumdb",
            db.verifierKey() + " " + db.url(),
            "-q"
        };
        gpg = new Gpg(dir.resolve("gnupg"));
        rsa = gpg.generate("Rsa Release <rsa@example.org>", "rsa3072", "sign", "0", null);
        ed = gpg.generate("Ed Release <ed@example.org>", "ed25519", "sign", "0", null);
        withSubkey = gpg.generate("Subkey Release <sub@example.org>", "ed25519", "cert", "0", null);
        gpg.addSubkey(withSubkey, "ed25519", "sign", "0");
        Instant y2020 = Instant.parse("2020-01-01T00:00:00Z");
        expired = gpg.generate("Expired Release <expired@example.org>", "ed25519", "sign", "1y", y2020);
        revoked = gpg.generate("Revoked Release <revoked@example.org>", "ed25519", "sign", "0", null);
        Files.write(dir.resolve("revoked.rev"), gpg.storedRevocation(revoked));
    }

    @AfterAll
    void stop() throws Exception {
        gpg.close();
        upstream.close();
        db.close();
    }

    @Test
    void aSnapshotSignedByGranaryVerifiesWithGpg() throws Exception {
        AirGap.keys(dir.resolve("granary-keys"), "Granary Export <export@example.org>");
        Path snap = export("--sign-key", dir.resolve("granary-keys/secret.asc").toString());
        Path unpacked = unpack(snap);
        gpg.run("--import", dir.resolve("granary-keys/public.asc").toString()).assertSuccess();
        Gpg.Result v = gpg.run(
                "--verify",
                unpacked.resolve("SHA256SUMS.asc").toString(),
                unpacked.resolve("SHA256SUMS").toString());
        assertThat(v.exit()).as(v.stderr()).isZero();
        assertThat(v.stderr()).contains("Good signature from \"Granary Export <export@example.org>\"");
    }

    @Test
    void aSnapshotSignedWithAGpgKeyExportedWithAPassphraseVerifiesWithGpg() throws Exception {
        gpg.runWithPassphrase(
                        "correct horse",
                        "--quick-gen-key",
                        "Protected Release <protected@example.org>",
                        "rsa3072",
                        "cert",
                        "0")
                .assertSuccess();
        String fpr = gpg.fingerprints("Protected Release").get(0);
        gpg.runWithPassphrase("correct horse", "--quick-add-key", fpr, "ed25519", "sign", "0")
                .assertSuccess();
        Path secret = dir.resolve("protected-secret.asc");
        Files.write(
                secret,
                gpg.runWithPassphrase("correct horse", "--armor", "--export-secret-keys", fpr)
                        .assertSuccess()
                        .stdout());
        Path passphrase = dir.resolve("passphrase");
        Files.writeString(passphrase, "correct horse\n");
        AirGap.Run locked = AirGap.granary(
                "export",
                "-o",
                dir.resolve("never.tar").toString(),
                "--module",
                "rsc.io/quote@v1.5.2",
                "--sign-key",
                secret.toString(),
                "--storage",
                connected.toString());
        assertThat(locked.exit()).as("the exported key is protected").isEqualTo(1);
        assertThat(locked.err()).contains("passphrase");
        Path snap = export("--sign-key", secret.toString(), "--passphrase-file", passphrase.toString());
        Path unpacked = unpack(snap);
        Gpg.Result v = gpg.run(
                "--verify",
                unpacked.resolve("SHA256SUMS.asc").toString(),
                unpacked.resolve("SHA256SUMS").toString());
        assertThat(v.exit()).as(v.stderr()).isZero();
        assertThat(v.stderr()).contains("Good signature from \"Protected Release <protected@example.org>\"");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"rsa, binary", "rsa, text", "ed25519, binary", "ed25519, text", "subkey, binary", "subkey, text"})
    void aSnapshotSignedByGpgImports(String key, String mode) throws Exception {
        String fpr = switch (key) {
            case "rsa" -> rsa;
            case "ed25519" -> ed;
            default -> withSubkey;
        };
        Path snap = resignedByGpg(fpr, mode.equals("text"));
        Path keyring = dir.resolve("keyring-" + n++ + ".asc");
        Files.write(keyring, gpg.export(true, rsa, ed, withSubkey));
        AirGap.Run r = AirGap.granary(
                        "import",
                        snap.toString(),
                        "--keyring",
                        keyring.toString(),
                        "--storage",
                        dir.resolve("inside-" + n++).toString(),
                        "--upstream",
                        "off",
                        "--sumdb",
                        db.verifierKey(),
                        "-q")
                .assertOk();
        assertThat(r.out()).contains("Imported snapshot").contains("signed by " + fpr);
    }

    @Test
    void aSignatureByAnExpiredKeyIsRefused() throws Exception {
        Path snap = export();
        Path unpacked = unpack(snap);
        Path sig = unpacked.resolve("SHA256SUMS.asc");
        Files.delete(sig);
        gpg.runAt(
                        Instant.parse("2020-02-01T00:00:00Z"),
                        "-u",
                        expired + "!",
                        "--armor",
                        "--detach-sign",
                        "-o",
                        sig.toString(),
                        unpacked.resolve("SHA256SUMS").toString())
                .assertSuccess();
        Path keyring = dir.resolve("keyring-expired.asc");
        Files.write(keyring, gpg.export(true, expired));
        assertRefused(repack(snap, sig), keyring, "expired");
    }

    @Test
    void aSignatureByARevokedKeyIsRefused() throws Exception {
        Path snap = export();
        Path unpacked = unpack(snap);
        Path sig = unpacked.resolve("SHA256SUMS.asc");
        Files.delete(sig);
        gpg.run(
                        "-u",
                        revoked + "!",
                        "--armor",
                        "--detach-sign",
                        "-o",
                        sig.toString(),
                        unpacked.resolve("SHA256SUMS").toString())
                .assertSuccess();
        Path keyring = dir.resolve("keyring-revoked.asc");
        Files.write(keyring, gpg.export(true, revoked));
        Files.write(keyring, Files.readAllBytes(dir.resolve("revoked.rev")), StandardOpenOption.APPEND);
        assertRefused(repack(snap, sig), keyring, "revoked");
    }

    private void assertRefused(Path snap, Path keyring, String reason) throws Exception {
        Path inside = dir.resolve("inside-" + n++);
        AirGap.Run r = AirGap.granary(
                "import",
                snap.toString(),
                "--keyring",
                keyring.toString(),
                "--storage",
                inside.toString(),
                "--upstream",
                "off",
                "--sumdb",
                db.verifierKey(),
                "-q");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("SHA256SUMS.asc").contains(reason);
        assertThat(AirGap.fingerprint(inside)).isEmpty();
    }

    /** A snapshot whose SHA256SUMS gpg signed instead. */
    private Path resignedByGpg(String fpr, boolean text) throws Exception {
        Path snap = export();
        Path unpacked = unpack(snap);
        Path sig = unpacked.resolve("SHA256SUMS.asc");
        Files.delete(sig);
        List<String> args = new ArrayList<>(List.of("-u", fpr, "--armor", "--detach-sign"));
        if (text) {
            args.add("--textmode");
        }
        args.addAll(List.of("-o", sig.toString(), unpacked.resolve("SHA256SUMS").toString()));
        gpg.run(args.toArray(String[]::new)).assertSuccess();
        return repack(snap, sig);
    }

    private Path repack(Path snap, Path sig) throws Exception {
        List<SnapshotFiles.Member> m = SnapshotFiles.change(SnapshotFiles.read(snap), "SHA256SUMS.asc", d -> {
            try {
                return Files.readAllBytes(sig);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Path out = dir.resolve("gpg-signed-" + n++ + ".tar");
        SnapshotFiles.write(out, m);
        return out;
    }

    private Path export(String... extra) throws Exception {
        Path out = dir.resolve("snapshot-" + n++ + ".tar");
        List<String> args = new ArrayList<>(List.of("export", "-o", out.toString(), "--module", "rsc.io/quote@v1.5.2"));
        args.addAll(List.of(extra));
        if (extra.length == 0) {
            // Unsigned exports still carry a placeholder signature member for the tests to replace.
            AirGap.keys(dir.resolve("placeholder-" + n), "Placeholder <placeholder@example.org>");
            args.addAll(List.of(
                    "--sign-key",
                    dir.resolve("placeholder-" + n + "/secret.asc").toString()));
        }
        args.addAll(List.of(connectedFlags));
        AirGap.granary(args.toArray(String[]::new)).assertOk();
        return out;
    }

    private Path unpack(Path snap) throws Exception {
        Path d = Files.createDirectories(dir.resolve("unpacked-" + n++));
        AirGap.exec(d, "tar", "-xf", snap.toString()).assertOk();
        return d;
    }
}
