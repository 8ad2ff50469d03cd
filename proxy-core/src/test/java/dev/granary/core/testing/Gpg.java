package dev.granary.core.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code gpg} in a throwaway home directory: {@code --batch}, loopback pinentry, an empty
 * passphrase unless a test gives one, and optionally a faked system time. {@link #close()} stops the
 * home's {@code gpg-agent}, which would otherwise outlive the test.
 */
public final class Gpg implements AutoCloseable {
    public static final Path GPG = Path.of("/usr/bin/gpg");

    /** What a gpg invocation wrote and how it ended. */
    public record Result(int exit, byte[] stdout, String stderr) {
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        public Result assertSuccess() {
            if (exit != 0) {
                throw new AssertionError("gpg exited " + exit + ":\n" + stderr);
            }
            return this;
        }
    }

    private final Path home;

    public Gpg(Path home) throws IOException {
        if (!Files.isExecutable(GPG)) {
            throw new IllegalStateException(GPG + " is missing: install Debian's gnupg (apt-get install -y gnupg)");
        }
        this.home = home;
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    }

    public Path home() {
        return home;
    }

    /** Runs {@code gpg --batch --pinentry-mode loopback --passphrase '' ARGS}. */
    public Result run(String... args) throws IOException, InterruptedException {
        return exec(null, null, "", args);
    }

    /** Runs gpg with its clock set to {@code fakedTime} ({@code --faked-system-time}). */
    public Result runAt(Instant fakedTime, String... args) throws IOException, InterruptedException {
        return exec(null, fakedTime, "", args);
    }

    /** Runs gpg with {@code passphrase} for loopback pinentry. */
    public Result runWithPassphrase(String passphrase, String... args) throws IOException, InterruptedException {
        return exec(null, null, passphrase, args);
    }

    /** Runs gpg with {@code stdin} piped in, read to its end. */
    public Result runWithInput(InputStream stdin, String... args) throws IOException, InterruptedException {
        return exec(stdin, null, "", args);
    }

    private Result exec(InputStream stdin, Instant fakedTime, String passphrase, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                GPG.toString(),
                "--homedir",
                home.toString(),
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                passphrase));
        if (fakedTime != null) {
            cmd.addAll(List.of("--faked-system-time", Long.toString(fakedTime.getEpochSecond())));
        }
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("GNUPGHOME", home.toString());
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        CompletableFuture<Void> feed = CompletableFuture.runAsync(() -> {
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    stdin.transferTo(in);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("gpg " + String.join(" ", args) + " did not finish");
        }
        feed.join();
        return new Result(p.exitValue(), out.toByteArray(), new String(err.join(), StandardCharsets.UTF_8));
    }

    /** {@code --quick-gen-key UID ALGO USAGE EXPIRE} at {@code at} (null: now); returns the primary fingerprint. */
    public String generate(String uid, String algo, String usage, String expire, Instant at)
            throws IOException, InterruptedException {
        exec(null, at, "", "--quick-gen-key", uid, algo, usage, expire).assertSuccess();
        return fingerprints(uid).get(0);
    }

    /** {@code --quick-add-key FPR ALGO USAGE EXPIRE}; returns the new subkey's fingerprint. */
    public String addSubkey(String fpr, String algo, String usage, String expire)
            throws IOException, InterruptedException {
        return addSubkey(fpr, algo, usage, expire, null);
    }

    /** {@code --quick-add-key FPR ALGO USAGE EXPIRE} at {@code at} (null: now); returns the new subkey's fingerprint. */
    public String addSubkey(String fpr, String algo, String usage, String expire, Instant at)
            throws IOException, InterruptedException {
        List<String> before = fingerprints(fpr);
        exec(null, at, "", "--quick-add-key", fpr, algo, usage, expire).assertSuccess();
        List<String> after = fingerprints(fpr);
        after.removeAll(before);
        return after.get(0);
    }

    /** The fingerprints of the key {@code id}: primary first, then its subkeys. */
    public List<String> fingerprints(String id) throws IOException, InterruptedException {
        List<String> fprs = new ArrayList<>();
        for (String line :
                run("--with-colons", "--list-keys", id).assertSuccess().out().split("\n")) {
            if (line.startsWith("fpr:")) {
                fprs.add(line.split(":")[9]);
            }
        }
        return fprs;
    }

    /** {@code --export [--armor] IDS}. */
    public byte[] export(boolean armor, String... ids) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--export"));
        if (armor) {
            args.add("--armor");
        }
        args.addAll(List.of(ids));
        return run(args.toArray(String[]::new)).assertSuccess().stdout();
    }

    /**
     * The revocation certificate gpg stored when it made key {@code fpr}, made importable (gpg prefixes
     * its armor line with a colon so that it is not imported by accident).
     */
    public byte[] storedRevocation(String fpr) throws IOException {
        String text = Files.readString(home.resolve("openpgp-revocs.d").resolve(fpr + ".rev"), StandardCharsets.UTF_8);
        return text.replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Revokes the subkey at index {@code index} (1 = first subkey) through {@code --edit-key}. */
    public void revokeSubkey(String fpr, int index) throws IOException, InterruptedException {
        byte[] script = ("key " + index + "\nrevkey\ny\n0\n\ny\nsave\n").getBytes(StandardCharsets.UTF_8);
        runWithInput(new ByteArrayInputStream(script), "--command-fd", "0", "--status-fd", "2", "--edit-key", fpr)
                .assertSuccess();
    }

    @Override
    public void close() throws IOException {
        Process p = new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "all")
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        try {
            p.waitFor(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
