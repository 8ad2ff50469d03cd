package dev.granary.server.cli;

import dev.granary.core.pgp.HashAlgorithm;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.pgp.SigningKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granary signature sign}: a detached, armored signature of FILE that gpg --verify accepts. */
@Command(
        name = "sign",
        mixinStandardHelpOptions = true,
        description = {
            "Write a detached, ASCII-armored OpenPGP signature of FILE (to FILE.asc unless --output says otherwise).",
            "Exit status: 0 signed; 1 the key cannot sign (wrong passphrase, expired, revoked, not a secret key); "
                    + "2 usage error (a named file is missing, an environment variable is unset)."
        })
public final class SignatureSignCommand implements Callable<Integer> {

    @Option(
            names = "--key",
            paramLabel = "SECRET",
            required = true,
            description = "the secret key, as gpg --export-secret-keys --armor or granary keys generate writes it")
    Path key;

    @ArgGroup(exclusive = true)
    PassphraseOptions passphrase;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE.asc",
            description = "where to write the signature (replaced if it exists)")
    Path output;

    @Option(
            names = "--hash",
            paramLabel = "ALG",
            defaultValue = "SHA512",
            description = "SHA256 or SHA512 (default ${DEFAULT-VALUE})")
    HashAlgorithm hash;

    @Parameters(paramLabel = "FILE", description = "the file to sign")
    Path file;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(key)) {
            return Cli.fail(err, Cli.USAGE, "secret key " + key + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            return Cli.fail(err, Cli.USAGE, file + " does not exist");
        }
        Path target = output != null ? output : file.resolveSibling(file.getFileName() + ".asc");
        char[] pass;
        try {
            pass = PassphraseOptions.read(passphrase, System.getenv());
        } catch (PassphraseOptions.Unusable e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        }
        SigningKey signingKey;
        try {
            signingKey = SigningKey.load(key, pass);
        } catch (PgpException e) {
            return Cli.fail(err, Cli.REFUSED, e.getMessage());
        } catch (IOException e) {
            return Cli.fail(err, Cli.USAGE, "cannot read secret key " + key + ": " + e);
        } finally {
            PassphraseOptions.wipe(pass);
        }
        try (InputStream in = Files.newInputStream(file)) {
            String armored = signingKey.sign(in, hash);
            Cli.writeAtomically(target, armored.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return Cli.fail(err, Cli.USAGE, "cannot sign " + file + " into " + target + ": " + e);
        }
        out.println("Signed " + file + " with key " + signingKey.keyFingerprint()
                + (signingKey.signingKeyFingerprint().equals(signingKey.keyFingerprint())
                        ? ""
                        : " (subkey " + signingKey.signingKeyFingerprint() + ")"));
        out.println("signature: " + target);
        out.flush();
        return Cli.OK;
    }
}
