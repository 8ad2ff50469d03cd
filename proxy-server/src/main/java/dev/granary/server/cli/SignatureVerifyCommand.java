package dev.granary.server.cli;

import dev.granary.core.pgp.Keyring;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.pgp.SignatureVerifier;
import dev.granary.core.pgp.VerifiedMessage;
import dev.granary.core.pgp.VerifiedSignature;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granary signature verify}: checks FILE's OpenPGP signature against trusted keys. */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {
            "Verify FILE's OpenPGP signature against the keys in the keyring files.",
            "Without --signature, the signature is FILE.asc, else FILE.sig, else FILE itself when it is "
                    + "cleartext-signed (starts with -----BEGIN PGP SIGNED MESSAGE-----).",
            "Refused: keys not in the keyring, revoked or expired keys and subkeys (also when they expired "
                    + "after signing), subkeys not bound or not marked for signing, weak algorithms, "
                    + "signatures from the future, malformed signatures, changed data.",
            "Exit status: 0 good signature; 1 refused (one line on stderr says why), or no signature found; "
                    + "2 usage error (a named file is missing or unreadable)."
        })
public final class SignatureVerifyCommand implements Callable<Integer> {

    @Option(
            names = "--keyring",
            paramLabel = "KEYS",
            required = true,
            description = "trusted public keys, as gpg --export [--armor] writes them (repeatable)")
    List<Path> keyrings;

    @Option(names = "--signature", paramLabel = "SIG", description = "the detached signature (armored or binary)")
    Path signature;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "OUT",
            description = "for a cleartext-signed FILE: write the signed text to OUT once it verifies")
    Path output;

    @Parameters(paramLabel = "FILE", description = "the signed file")
    Path file;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (Path p : keyrings) {
            if (!Files.isRegularFile(p)) {
                return Cli.fail(err, Cli.USAGE, "keyring " + p + " does not exist");
            }
        }
        if (!Files.isRegularFile(file)) {
            return Cli.fail(err, Cli.USAGE, file + " does not exist");
        }
        if (signature != null && !Files.isRegularFile(signature)) {
            return Cli.fail(err, Cli.USAGE, "signature " + signature + " does not exist");
        }
        Keyring keyring;
        try {
            keyring = Keyring.load(keyrings);
        } catch (PgpException | IOException e) {
            return Cli.fail(err, Cli.USAGE, "cannot use keyring: " + e.getMessage());
        }
        SignatureVerifier verifier = SignatureVerifier.of(keyring);
        try {
            Path sig = signature != null ? signature : detachedSignatureOf(file);
            if (sig != null) {
                if (output != null) {
                    return Cli.fail(
                            err,
                            Cli.USAGE,
                            "--output is for cleartext-signed files; " + file + " has a detached signature " + sig);
                }
                report(out, verifier.verifyDetached(file, sig), file + " (signature " + sig + ")");
                return Cli.OK;
            }
            if (!isCleartextSigned(file)) {
                return Cli.fail(
                        err,
                        Cli.REFUSED,
                        "no signature for " + file + ": neither " + file + ".asc nor " + file
                                + ".sig exists, and it is not cleartext-signed");
            }
            VerifiedMessage message = verifier.verifyCleartext(file);
            if (output != null) {
                Cli.writeAtomically(output, message.content());
            }
            report(out, message.signature(), file + " (cleartext-signed)");
            return Cli.OK;
        } catch (PgpException e) {
            return Cli.fail(err, Cli.REFUSED, "signature refused: " + e.getMessage());
        } catch (IOException e) {
            return Cli.fail(err, Cli.REFUSED, "cannot verify " + file + ": " + e);
        }
    }

    private static Path detachedSignatureOf(Path file) {
        for (String ext : List.of(".asc", ".sig")) {
            Path candidate = file.resolveSibling(file.getFileName() + ext);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static boolean isCleartextSigned(Path file) throws IOException {
        byte[] header = "-----BEGIN PGP SIGNED MESSAGE-----".getBytes(StandardCharsets.US_ASCII);
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(header.length), header);
        }
    }

    private static void report(PrintWriter out, VerifiedSignature v, String what) {
        out.println("Good signature from " + v.keyFingerprint()
                + v.userId().map(u -> " \"" + Cli.printable(u) + "\"").orElse(""));
        if (v.bySubkey()) {
            out.println("signing subkey: " + v.signingKeyFingerprint());
        }
        out.println("signed: " + v.created() + ", " + v.hashAlgorithm() + (v.textMode() ? ", text" : ", binary"));
        out.println("file: " + what);
        out.flush();
    }
}
