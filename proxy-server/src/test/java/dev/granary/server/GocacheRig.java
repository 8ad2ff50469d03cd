package dev.granary.server;

import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the build cache tests share: a hermetic environment per runner (with an empty build cache of
 * its own, unlike {@code GoCommand}'s shared one: these tests are about that cache), a small test
 * project whose dependencies are Go's own test modules, the granary command line in a child JVM, and
 * reading {@code go -x} output for what was compiled and vetted.
 */
final class GocacheRig {
    private GocacheRig() {}

    /** The toolchains that have GOCACHEPROG (Go 1.24+). */
    static List<GoToolchain> toolchainsWithCacheProg() {
        return GoToolchains.all().stream().filter(t -> t.atLeast(24)).toList();
    }

    /** A runner's environment: nothing inherited; its own HOME, module cache and build cache; loopback proxy only. */
    static Map<String, String> env(GoToolchain go, Path home, String proxy) throws IOException {
        Files.createDirectories(home.resolve(".config/go/telemetry"));
        Files.writeString(home.resolve(".config/go/telemetry/mode"), "off");
        Map<String, String> env = new HashMap<>();
        env.put("PATH", go.binDir() + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/bin");
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        env.put("GOPATH", home.resolve("gopath").toString());
        env.put("GOMODCACHE", home.resolve("modcache").toString());
        env.put("GOCACHE", home.resolve("gocache").toString());
        env.put("GOENV", "off");
        env.put("GOWORK", "off");
        env.put("GOFLAGS", "-mod=mod");
        env.put("GOTOOLCHAIN", "local");
        env.put("GOTELEMETRY", "off");
        env.put("CGO_ENABLED", "0");
        env.put("GOPROXY", proxy);
        env.put("GOSUMDB", "off");
        env.put("GONOSUMDB", "");
        env.put("GONOPROXY", "");
        env.put("GOPRIVATE", "");
        env.put("GOINSECURE", "");
        env.put("GOVCS", "*:off");
        env.put("GOAUTH", "off");
        return env;
    }

    /** The upstream modules of the test project: Go's own test modules. */
    static GoProxyTree upstream(Path root) throws IOException {
        return new GoProxyTree(root)
                .addGoTestModules(
                        "rsc.io_quote_v1.5.2.txt",
                        "rsc.io_quote_v3_v3.0.0.txt",
                        "rsc.io_sampler_v1.3.0.txt",
                        "golang.org_x_text_v0.0.0-20170915032832-14c0d48ead0c.txt",
                        "rsc.io_testonly_v1.0.0.txt",
                        "golang.org_x_useinternal_v0.1.0.txt",
                        "golang.org_x_internal_v0.1.0.txt");
    }

    static final String MODULE = "example.com/app";

    /**
     * A project with build dependencies (one using an internal package of another module) and a
     * dependency only its tests import.
     */
    static Path project(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("go.mod"), """
                module example.com/app

                go 1.19

                require (
                \tgolang.org/x/useinternal v0.1.0
                \trsc.io/quote v1.5.2
                \trsc.io/quote/v3 v3.0.0
                \trsc.io/testonly v1.0.0
                )
                """);
        Files.writeString(dir.resolve("main.go"), """
                package main

                import (
                \t"fmt"

                \t_ "golang.org/x/useinternal"
                \t"rsc.io/quote"
                \tquotev3 "rsc.io/quote/v3"
                )

                func main() {
                \tfmt.Println(quote.Hello())
                \tfmt.Println(quotev3.HelloV3())
                }
                """);
        Files.writeString(dir.resolve("main_test.go"), """
                package main

                import (
                \t"testing"

                \t_ "rsc.io/testonly"
                )

                func TestNothing(t *testing.T) {}
                """);
        return dir;
    }

    private static final Pattern COMPILE = Pattern.compile("/compile\\s.*?\\s-p\\s+(\\S+)");
    private static final Pattern VETTED = Pattern.compile("^\\s*\"ImportPath\":\\s*\"([^\"]+)\"", Pattern.MULTILINE);

    /** Import paths compiled ({@code compile -p}) and vetted ({@code vet.cfg} ImportPath) in {@code go -x} output. */
    static Set<String> worked(String xOutput) {
        Set<String> out = new TreeSet<>();
        for (String line : xOutput.split("\n")) {
            Matcher m = COMPILE.matcher(line);
            if (m.find()) {
                out.add(m.group(1));
            }
        }
        Matcher v = VETTED.matcher(xOutput);
        while (v.find()) {
            out.add(v.group(1));
        }
        return out;
    }

    /** What {@link #worked} found outside the project itself (and the test main): dependencies that were rebuilt. */
    static Set<String> dependenciesWorked(String xOutput) {
        Set<String> out = new TreeSet<>(worked(xOutput));
        out.removeIf(
                p -> p.equals("main") || p.equals(MODULE) || p.startsWith(MODULE + " ") || p.startsWith(MODULE + "."));
        return out;
    }

    /** What the granary command line printed and how it ended. */
    record CliResult(int exit, String out, String err) {
        CliResult assertOk() {
            if (exit != 0) {
                throw new AssertionError("granary exited " + exit + ":\n" + out + err);
            }
            return this;
        }
    }

    /** Runs {@code granary args...} in a child JVM with exactly {@code env} (plus JAVA_HOME). */
    static CliResult cli(Map<String, String> env, Path dir, String... args) throws IOException, InterruptedException {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                javaBin,
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("granary-cli-", ".out");
        Path err = Files.createTempFile("granary-cli-", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("granary " + String.join(" ", args) + " did not finish");
            }
            return new CliResult(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Build cache entry files under a GOCACHE directory. */
    static long entries(Path gocache) throws IOException {
        if (!Files.exists(gocache)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(gocache)) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{64}-[ad]"))
                    .count();
        }
    }

    /** Deletes a tree the go command wrote (its module cache is read-only). */
    static void delete(Path root) throws IOException {
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
