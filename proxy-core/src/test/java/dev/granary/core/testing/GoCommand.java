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
 * Runs one real Go toolchain's {@code go} command hermetically: that toolchain's {@code bin} first on
 * {@code PATH}, a fresh HOME, GOPATH and module cache under a work directory, no inherited {@code GO*}
 * variables, and every variable that could reach a network or switch toolchains set explicitly
 * (loopback proxies are given by the test).
 *
 * <p>Only the build cache is shared, per toolchain, under the build directory: it is content-addressed
 * and holds compiled packages, not module state, and sharing it spares every test recompiling the
 * standard library (Go 1.20+ ships it uncompiled).
 */
public final class GoCommand {

    /** What a go invocation printed and how it ended; {@code command} names the toolchain and arguments. */
    public record Result(int exit, String output, String command) {
        public Result assertSuccess() {
            if (exit != 0) {
                throw new AssertionError(command + " exited " + exit + ":\n" + output);
            }
            return this;
        }
    }

    private final GoToolchain toolchain;
    private final Path home;
    private final Map<String, String> env = new HashMap<>();

    public GoCommand(GoToolchain toolchain, Path home) throws IOException {
        this.toolchain = toolchain;
        this.home = home;
        Files.createDirectories(home);
        // Go 1.23+ keeps its telemetry mode under the user config dir; "off" there means no counters at all.
        Path config = home.resolve(".config");
        Files.createDirectories(config.resolve("go/telemetry"));
        Files.writeString(config.resolve("go/telemetry/mode"), "off");
        env.put("PATH", toolchain.binDir() + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/bin");
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", config.toString());
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", modCache().toString());
        env.put("GOCACHE", BuildDir.dir("go-build-cache/" + toolchain.version()).toString());
        env.put("GOENV", "off");
        env.put("GOWORK", "off");
        env.put("GOFLAGS", "-mod=mod");
        env.put("GOTOOLCHAIN", "local");
        env.put("GOTELEMETRY", "off");
        env.put("CGO_ENABLED", "0");
        env.put("GOPROXY", "off");
        env.put("GOSUMDB", "off");
        env.put("GONOSUMDB", "");
        env.put("GONOPROXY", "");
        env.put("GOPRIVATE", "");
        env.put("GOINSECURE", "");
        // No version control at all: a module that cannot come from the given proxy fails instead of
        // being cloned from its origin.
        env.put("GOVCS", "*:off");
        // Go 1.24+: no credential helpers and no .netrc (older Go ignores the variable).
        env.put("GOAUTH", "off");
    }

    /** The toolchain this command runs. */
    public GoToolchain toolchain() {
        return toolchain;
    }

    public GoCommand env(String key, String value) {
        env.put(key, value);
        return this;
    }

    /** The HOME of the go runs (for .netrc and other per-user files). */
    public Path home() {
        return home;
    }

    public Path modCache() {
        return home.resolve("modcache");
    }

    public Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(toolchain.go().toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        String command = toolchain.version() + ": go " + String.join(" ", args);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), command);
    }

    /** Empties the module cache (it is read-only on disk, as the go command leaves it). */
    public void cleanModCache() throws IOException {
        deleteTree(modCache());
    }

    /** Deletes a tree the go command wrote, read-only directories included. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.forEach(p -> p.toFile().setWritable(true));
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
