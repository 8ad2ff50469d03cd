package dev.granary.core.sumdb;

import dev.granary.core.testing.BuildDir;
import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoToolchains;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A real Go checksum database for tests: the program in {@code proxy-core/src/test/go/testsumdb}
 * (golang.org/x/mod/sumdb's server, tlog and note packages), built once per source version with
 * Debian's Go against Debian's golang.org/x/mod, offline, and started on 127.0.0.1 with a free port.
 *
 * <p>It logs the go.sum lines of every module version in a GOPROXY-layout directory (sorted); a
 * lookup of a version added to the directory later appends it, so the tree can grow. A database
 * started with {@link #startFork} presents a history inconsistent with {@link #start} for the same
 * directory, signed with the same key: what a client must report as a fork.
 *
 * <p>From another module's tests (proxy-core's test-jar on the test classpath):
 * <pre>{@code
 * Path proxy = tmp.resolve("proxy");
 * TestSumdb.writeModule(proxy, "example.com/hello", "v1.0.0", Map.of("hello.go", "package hello\n"));
 * try (TestSumdb db = TestSumdb.start(proxy)) {
 *     // GOSUMDB = db.verifierKey() + " " + db.url()
 * }
 * }</pre>
 * A machine without Debian's Go fails these tests loudly rather than skipping them: CI installs golang-go.
 */
public final class TestSumdb implements AutoCloseable {

    private static final String RESOURCE_DIR = "/dev/granary/core/sumdb/go/testsumdb/";
    private static final List<String> SOURCES = List.of("go.mod", "main.go", "keys.go");
    private static Path binary;

    private final Process process;
    private final String url;
    private final String verifierKey;
    private final String signerKey;
    private final long initialSize;
    private final Path log;

    private TestSumdb(Process process, String addr, String verifierKey, String signerKey, long initialSize, Path log) {
        this.process = process;
        this.url = "http://" + addr;
        this.verifierKey = verifierKey;
        this.signerKey = signerKey;
        this.initialSize = initialSize;
        this.log = log;
    }

    /** Starts an honest database over a GOPROXY tree, with a freshly generated key. */
    public static TestSumdb start(Path proxyTreeDir) {
        return launch(proxyTreeDir, null, false);
    }

    /** Starts an honest database signing with the given key ({@code PRIVATE+KEY+...}). */
    public static TestSumdb start(Path proxyTreeDir, String signerKey) {
        return launch(proxyTreeDir, signerKey, false);
    }

    /** Starts an honest database with a freshly generated key for {@code name} ({@code host[/path]}). */
    public static TestSumdb startNamed(Path proxyTreeDir, String name) {
        return launch(proxyTreeDir, null, false, "-name", name);
    }

    /**
     * Starts a database whose tree is inconsistent with the honest one for the same directory
     * (an extra first record, the rest reversed), signed with {@code signerKey}: a forked log.
     */
    public static TestSumdb startFork(Path proxyTreeDir, String signerKey) {
        return launch(proxyTreeDir, signerKey, true);
    }

    /** Base URL, e.g. {@code http://127.0.0.1:40123}, without a trailing slash. */
    public String url() {
        return url;
    }

    /** The verifier key, {@code name+hash+key}. */
    public String verifierKey() {
        return verifierKey;
    }

    /** The signer key, {@code PRIVATE+KEY+name+hash+seed}: to start a fork signed by the same key. */
    public String signerKey() {
        return signerKey;
    }

    /** The database name (first field of the verifier key). */
    public String name() {
        return verifierKey.substring(0, verifierKey.indexOf('+'));
    }

    /** The number of records logged at startup. */
    public long initialSize() {
        return initialSize;
    }

    /** Stops the server and deletes its log. Idempotent. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // left in the build directory; mvn clean removes it
        }
    }

    @Override
    public String toString() {
        return "TestSumdb[" + url + ", " + verifierKey + ", log " + log + "]";
    }

    private static TestSumdb launch(Path proxyTreeDir, String signerKey, boolean fork, String... extraArgs) {
        try {
            Path bin = binary();
            List<String> cmd = new ArrayList<>(List.of(
                    bin.toString(), "-proxy", proxyTreeDir.toAbsolutePath().toString(), "-listen", "127.0.0.1:0"));
            if (signerKey != null) {
                cmd.add("-key");
                cmd.add(signerKey);
            }
            if (fork) {
                cmd.add("-fork");
            }
            cmd.addAll(List.of(extraArgs));
            // The log lives next to the binary in the build directory and goes away with close().
            Path log = Files.createTempFile(
                    Files.createDirectories(bin.getParent().resolve("logs")), "testsumdb-", ".log");
            Process p = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            Map<String, String> fields = new TreeMap<>();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            // The program prints four key=value lines and then nothing: readLine cannot hang once it exits.
            for (int i = 0; i < 4; i++) {
                String line = out.readLine();
                if (line == null) {
                    p.waitFor(5, TimeUnit.SECONDS);
                    String stderr = Files.readString(log);
                    Files.deleteIfExists(log);
                    throw new IllegalStateException("testsumdb exited at startup: " + stderr);
                }
                int eq = line.indexOf('=');
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
            return new TestSumdb(
                    p,
                    fields.get("addr"),
                    fields.get("vkey"),
                    fields.get("skey"),
                    Long.parseLong(fields.get("size")),
                    log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The testsumdb binary, built on first use with Debian's Go (whose {@code golang.org/x/mod} sources
     * it compiles against) into {@code <build dir>/testsumdb-<hash>} (the hash is of the Go sources, so a
     * changed program is rebuilt; unchanged, it is reused across JVMs until {@code mvn clean}).
     */
    public static synchronized Path binary() throws IOException, InterruptedException {
        if (binary != null) {
            return binary;
        }
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Map<String, byte[]> sources = new TreeMap<>();
        for (String name : SOURCES) {
            try (InputStream in = TestSumdb.class.getResourceAsStream(RESOURCE_DIR + name)) {
                if (in == null) {
                    throw new IllegalStateException("missing test resource " + RESOURCE_DIR + name);
                }
                byte[] b = in.readAllBytes();
                sources.put(name, b);
                md.update(name.getBytes(StandardCharsets.UTF_8));
                md.update(b);
            }
        }
        String hash = HexFormat.of().formatHex(md.digest()).substring(0, 16);
        Path dir = BuildDir.dir("testsumdb-" + hash);
        Path bin = dir.resolve("testsumdb");
        if (!Files.isExecutable(bin)) {
            Path src = Files.createTempDirectory(dir, "src-"); // per build: concurrent JVMs may build at once
            Path tmpBin = Files.createTempFile(dir, "testsumdb-", ".tmp");
            try {
                for (Map.Entry<String, byte[]> e : sources.entrySet()) {
                    Files.write(src.resolve(e.getKey()), e.getValue());
                }
                GoCommand.Result built = new GoCommand(GoToolchains.debian(), dir.resolve("home"))
                        .run(src, "build", "-o", tmpBin.toString(), ".");
                if (built.exit() != 0) {
                    throw new IllegalStateException("go build of testsumdb failed:\n" + built.output());
                }
                Files.move(tmpBin, bin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmpBin);
                GoCommand.deleteTree(src);
            }
        }
        binary = bin;
        return bin;
    }

    /**
     * Writes a module version into a GOPROXY-layout directory: {@code .info}, {@code .mod} (a
     * {@code module} line unless {@code files} has {@code go.mod}) and a {@code .zip} with
     * {@code files} (plus go.mod) under {@code path@version/}. Returns the escaped module directory.
     */
    public static Path writeModule(Path proxyDir, String modulePath, String version, Map<String, String> files)
            throws IOException {
        Path v = proxyDir.resolve(escape(modulePath)).resolve("@v");
        Files.createDirectories(v);
        String ev = escape(version);
        String goMod = files.getOrDefault("go.mod", "module " + modulePath + "\n");
        Files.writeString(v.resolve(ev + ".mod"), goMod);
        Files.writeString(
                v.resolve(ev + ".info"), "{\"Version\":\"" + version + "\",\"Time\":\"2024-01-01T00:00:00Z\"}\n");
        Map<String, String> all = new TreeMap<>(files);
        all.put("go.mod", goMod);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            for (Map.Entry<String, String> e : all.entrySet()) {
                z.putNextEntry(new ZipEntry(modulePath + "@" + version + "/" + e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        try (OutputStream out = Files.newOutputStream(v.resolve(ev + ".zip"))) {
            zip.writeTo(out);
        }
        Path list = v.resolve("list");
        String old = Files.exists(list) ? Files.readString(list) : "";
        Files.writeString(list, old + version + "\n");
        return v.getParent();
    }

    /** Go's module path/version escaping: each upper-case letter becomes '!' and its lower case. */
    public static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c >= 'A' && c <= 'Z') {
                b.append('!').append((char) (c - 'A' + 'a'));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
