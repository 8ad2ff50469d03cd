package dev.granary.server;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One Go toolchain of this machine run hermetically ({@code /usr/local/go/bin/go}, the current Go,
 * and {@code /usr/bin/go}, Debian's): a fresh HOME, GOPATH, module and build cache, no inherited
 * {@code GO*} variable, no VCS, proxies and credentials only as the test gives them. For the tests
 * that run the go command once per toolchain through TLS and authentication.
 */
record GoToolchainRun(Path go, int minor, Path home, Map<String, String> env) {
    private static final Pattern VERSION = Pattern.compile("go version go1\\.(\\d+)");

    /** What a run printed and how it ended. */
    record Result(int exit, String output) {
        Result assertSuccess() {
            if (exit != 0) {
                throw new AssertionError("go exited " + exit + ":\n" + output);
            }
            return this;
        }

        Result assertFailure() {
            if (exit == 0) {
                throw new AssertionError("go succeeded where it must fail:\n" + output);
            }
            return this;
        }
    }

    /** The go binaries on this machine, newest first; Debian's must be there (CI installs it). */
    static List<Path> toolchains() {
        List<Path> out = new ArrayList<>();
        for (Path p : List.of(Path.of("/usr/local/go/bin/go"), Path.of("/usr/bin/go"))) {
            if (Files.isExecutable(p)) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no go command: apt-get install -y golang-go");
        }
        return out;
    }

    /** A hermetic environment for {@code go} under {@code home}. */
    static GoToolchainRun of(Path go, Path home) throws IOException, InterruptedException {
        Files.createDirectories(home);
        Map<String, String> env = new HashMap<>();
        Path bin = go.toRealPath().getParent();
        env.put("PATH", bin + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/bin");
        env.put("HOME", home.toString());
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", home.resolve("modcache").toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
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
        // No credentials unless the test gives some: an empty .netrc.
        Path netrc = home.resolve("empty-netrc");
        Files.writeString(netrc, "");
        env.put("NETRC", netrc.toString());
        GoToolchainRun run = new GoToolchainRun(go, 0, home, env);
        String version = run.run(home, "version").assertSuccess().output();
        Matcher m = VERSION.matcher(version);
        if (!m.find()) {
            throw new IllegalStateException(go + " version: " + version);
        }
        return new GoToolchainRun(go, Integer.parseInt(m.group(1)), home, env);
    }

    GoToolchainRun with(String key, String value) {
        Map<String, String> e = new HashMap<>(env);
        e.put(key, value);
        return new GoToolchainRun(go, minor, home, e);
    }

    /** True from Go 1.24 on, which has GOAUTH. */
    boolean hasGoAuth() {
        return minor >= 24;
    }

    Result run(Path dir, String... args) throws IOException, InterruptedException {
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

    /** Empties the module cache (read-only on disk, as the go command leaves it). */
    void cleanModCache() throws IOException {
        Path mc = home.resolve("modcache");
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

    @Override
    public String toString() {
        return "go1." + minor + " (" + go + ")";
    }
}
