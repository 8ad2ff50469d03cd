package dev.granary.server;

import dev.granary.core.pgp.KeyAlgorithm;
import dev.granary.core.pgp.SigningKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import picocli.CommandLine;

/** Helpers of the air-gap tests: the command line in-process, key files, and storage fingerprints. */
public final class AirGap {
    private AirGap() {}

    /** What a command printed and how it ended. */
    public record Run(int exit, String out, String err) {
        public Run assertOk() {
            if (exit != 0) {
                throw new AssertionError("granary exited " + exit + ":\n" + out + err);
            }
            return this;
        }
    }

    /** Runs {@code granary ARGS} in this JVM. */
    public static Run granary(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A signing key pair written to {@code dir}: {@code secret.asc} and {@code public.asc}. */
    public static SigningKey keys(Path dir, String uid) throws IOException {
        Files.createDirectories(dir);
        SigningKey k = SigningKey.generate(uid, KeyAlgorithm.ED25519, null);
        k.writeSecretKey(dir.resolve("secret.asc"));
        k.writePublicKey(dir.resolve("public.asc"));
        return k;
    }

    /**
     * Every file under {@code root} with its SHA-256, so a test can say "byte for byte as before". A
     * missing root is the empty map.
     */
    public static Map<String, String> fingerprint(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(files::add);
        }
        for (Path f : files) {
            out.put(root.relativize(f).toString(), sha256(f));
        }
        return out;
    }

    static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a system command; returns its exit code and output. */
    public static Run exec(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Run(p.waitFor(), out, "");
    }
}
