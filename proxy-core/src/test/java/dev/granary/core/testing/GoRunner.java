package dev.granary.core.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs one given {@code go} binary hermetically (fresh HOME, GOPATH and module cache under a work
 * directory, the build cache shared per toolchain under {@code target/}; no inherited {@code GO*}
 * variables; proxies and checksum databases set by the test),
 * and lists the Go toolchains on this machine so that a test can run once per toolchain
 * ({@code @MethodSource("dev.granary.core.testing.GoRunner#toolchains")}): the current Go at
 * {@code /usr/local/go/bin/go} when present, and Debian's at {@code /usr/bin/go}.
 */
public final class GoRunner {
    /** The current Go, when installed from go.dev. */
    public static final Path CURRENT = Path.of("/usr/local/go/bin/go");
    /** Debian's golang-go. */
    public static final Path DEBIAN = Path.of("/usr/bin/go");

    private final Path go;
    private final Path home;
    private final Map<String, String> env = new HashMap<>();

    public GoRunner(Path go, Path home) throws IOException {
        if (!Files.isExecutable(go)) {
            throw new IllegalStateException(go + " is missing");
        }
        this.go = go;
        this.home = home;
        Files.createDirectories(home.resolve(".config/go/telemetry"));
        Files.writeString(home.resolve(".config/go/telemetry/mode"), "off");
        env.put("PATH", go.getParent() + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/bin");
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", modCache().toString());
        // The build cache holds compiled packages, not module state, and is content-addressed: sharing it per
        // toolchain spares every test compiling the standard library again (Go 1.20+ ships it uncompiled).
        env.put("GOCACHE", Path.of("target", "go-build-cache", go.toString().replaceAll("[^A-Za-z0-9.]", "_")).toAbsolutePath().toString());
        env.put("GOENV", "off");
        env.put("GOFLAGS", "-mod=mod");
        env.put("GOTOOLCHAIN", "local");
        env.put("GOTELEMETRY", "off");
        env.put("CGO_ENABLED", "0");
        env.put("GONOSUMDB", "");
        env.put("GONOPROXY", "");
        env.put("GOPRIVATE", "");
        env.put("GOINSECURE", "");
        env.put("GOVCS", "*:off");
        env.put("GOSUMDB", "off");
        env.put("GOPROXY", "off");
    }

    /** The toolchains on this machine, newest first; Debian's is required. */
    public static List<Path> toolchains() {
        List<Path> out = new ArrayList<>();
        if (Files.isExecutable(CURRENT)) {
            out.add(CURRENT);
        }
        if (!Files.isExecutable(DEBIAN)) {
            throw new IllegalStateException(DEBIAN + " is missing: apt-get install -y golang-go");
        }
        out.add(DEBIAN);
        return out;
    }

    public Path binary() {
        return go;
    }

    public GoRunner env(String key, String value) {
        env.put(key, value);
        return this;
    }

    public Path modCache() {
        return home.resolve("modcache");
    }

    /** The client's checksum-database state ({@code $GOPATH/pkg/sumdb}). */
    public Path sumdbState() {
        return home.resolve("gopath/pkg/sumdb");
    }

    public GoCommand.Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(go.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(go + " " + String.join(" ", args) + " did not finish");
        }
        return new GoCommand.Result(p.exitValue(), go + " " + String.join(" ", args) + ":\n" + new String(out, StandardCharsets.UTF_8));
    }

    /** Empties the module cache (read-only on disk, as the go command leaves it). */
    public void cleanModCache() throws IOException {
        deleteTree(modCache());
    }

    /** Deletes a directory tree, making read-only parts writable first. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(p -> p.toFile().setWritable(true));
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
