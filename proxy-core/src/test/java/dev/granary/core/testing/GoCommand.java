package dev.granary.core.testing;

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
 * Runs the real {@code go} command hermetically: a fresh GOPATH, module cache and build cache under a
 * work directory, no inherited {@code GO*} variables, loopback-only proxies given by the test.
 */
public final class GoCommand {
    public static final Path GO = Path.of("/usr/bin/go");

    /** What a go invocation printed and how it ended. */
    public record Result(int exit, String output) {
        public Result assertSuccess() {
            if (exit != 0) {
                throw new AssertionError("go exited " + exit + ":\n" + output);
            }
            return this;
        }
    }

    /** Every Go on the machine that tests compare against: Debian's and the current one, when installed. */
    public static List<Path> installed() {
        return Stream.of(GO, Path.of("/usr/local/go/bin/go")).filter(Files::isExecutable).toList();
    }

    private final Path home;
    private final Path go;
    private final Map<String, String> env = new HashMap<>();

    public GoCommand(Path home) throws IOException {
        this(home, GO);
    }

    /** A hermetic go command using the binary {@code go}. */
    public GoCommand(Path home, Path go) throws IOException {
        if (!Files.isExecutable(go)) {
            throw new IllegalStateException(go + " is missing: install Debian's golang-go (apt-get install -y golang-go)");
        }
        this.home = home;
        this.go = go;
        Files.createDirectories(home);
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", home.toString());
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", home.resolve("modcache").toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
        env.put("GOENV", "off");
        env.put("GOFLAGS", "-mod=mod");
        env.put("GOTOOLCHAIN", "local");
        env.put("CGO_ENABLED", "0");
        env.put("GONOSUMDB", "");
        env.put("GOPRIVATE", "");
        env.put("GOSUMDB", "off");
        env.put("GOPROXY", "off");
    }

    public GoCommand env(String key, String value) {
        env.put(key, value);
        return this;
    }

    public Path home() {
        return home;
    }

    public Path modCache() {
        return home.resolve("modcache");
    }

    public Result run(Path dir, String... args) throws IOException, InterruptedException {
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
            throw new AssertionError("go " + String.join(" ", args) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Empties the module cache (it is read-only on disk, as the go command leaves it). */
    public void cleanModCache() throws IOException {
        Path mc = modCache();
        if (!Files.exists(mc)) {
            return;
        }
        try (Stream<Path> s = Files.walk(mc)) {
            s.forEach(p -> p.toFile().setWritable(true));
        }
        try (Stream<Path> s = Files.walk(mc)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
