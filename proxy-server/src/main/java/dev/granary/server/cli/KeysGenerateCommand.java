package dev.granary.server.cli;

import dev.granary.core.pgp.KeyAlgorithm;
import dev.granary.core.pgp.SigningKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granary keys generate}: a new signing key pair, written as armored secret and public key files. */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Generate an OpenPGP signing key (Ed25519, or RSA-3072 with --rsa) with one user id and no expiry.",
            "The secret key file (owner-only permissions) is protected by the passphrase when one is given; "
                    + "both files import into gpg (gpg --import).",
            "Exit status: 0 generated; 2 usage error (an output file exists, an environment variable is unset)."
        })
public final class KeysGenerateCommand implements Callable<Integer> {

    @Option(names = "--uid", paramLabel = "\"Name <mail>\"", required = true, description = "the key's user id")
    String uid;

    @Option(
            names = "--output-secret",
            paramLabel = "FILE",
            required = true,
            description = "where to write the armored secret key (must not exist)")
    Path secretFile;

    @Option(
            names = "--output-public",
            paramLabel = "FILE",
            required = true,
            description = "where to write the armored public key (must not exist)")
    Path publicFile;

    @Option(names = "--rsa", description = "an RSA-3072 key instead of Ed25519")
    boolean rsa;

    @ArgGroup(exclusive = true)
    PassphraseOptions passphrase;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (Path p : new Path[] {secretFile, publicFile}) {
            if (Files.exists(p)) {
                return Cli.fail(err, Cli.USAGE, p + " exists; a key file is never overwritten");
            }
        }
        if (secretFile.toAbsolutePath().equals(publicFile.toAbsolutePath())) {
            return Cli.fail(err, Cli.USAGE, "--output-secret and --output-public name the same file");
        }
        char[] pass;
        try {
            pass = PassphraseOptions.read(passphrase, System.getenv());
        } catch (PassphraseOptions.Unusable e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        }
        boolean protectedKey = pass != null && pass.length > 0;
        SigningKey key;
        try {
            key = SigningKey.generate(uid, rsa ? KeyAlgorithm.RSA_3072 : KeyAlgorithm.ED25519, pass);
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.USAGE, "--uid: " + e.getMessage());
        } finally {
            PassphraseOptions.wipe(pass);
        }
        try {
            key.writeSecretKey(secretFile);
        } catch (IOException e) {
            return Cli.fail(err, Cli.USAGE, "cannot write " + secretFile + ": " + e);
        }
        try {
            key.writePublicKey(publicFile);
        } catch (IOException e) {
            return Cli.fail(
                    err,
                    Cli.USAGE,
                    "cannot write " + publicFile + ": " + e + " (the secret key is in " + secretFile + ")");
        }
        if (!protectedKey) {
            err.println("granary: warning: the secret key in " + secretFile + " is not protected by a passphrase");
            err.flush();
        }
        out.println("Generated key " + key.keyFingerprint() + " \"" + Cli.printable(uid) + "\"");
        out.println("secret key: " + secretFile);
        out.println("public key: " + publicFile);
        out.flush();
        return Cli.OK;
    }
}
