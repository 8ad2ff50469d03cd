package dev.granary.core.testing;

import java.io.File;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Go toolchain on this machine, so that end-to-end tests run against what users run (the
 * current Go) and against Debian's older Go alike.
 *
 * <p>Looked for, in this order, deduplicated by resolved path and by {@code go version} output:
 * <ul>
 *   <li>{@value #CURRENT_PATH}: the current Go. Used whenever that path exists, and then it must run.</li>
 *   <li>{@value #DEBIAN_PATH}: Debian's golang-go, which {@code .ci/run} installs. Required: its
 *       {@code cmd/go} test modules and {@code golang.org/x/mod} sources are test inputs too.</li>
 *   <li>every entry of {@value #EXTRA_ENV} ({@link File#pathSeparator}-separated): a {@code go} binary,
 *       or a directory holding {@code go} or {@code bin/go}. Each must run.</li>
 * </ul>
 * On CI ({@code CI=true}, as CI runs {@code .ci/run}) fewer than two distinct toolchains is a failure,
 * never a silent reduction of coverage. A failed discovery fails every test that asks for toolchains.
 *
 * <p>A test runs once per toolchain, the version in its display name:
 * <pre>{@code
 * @EachGoToolchain
 * void goBuilds(GoToolchain go) throws Exception {
 *     GoCommand cmd = new GoCommand(go, tmp.resolve("go"));
 * }
 * }</pre>
 */
public final class GoToolchains {
    static final String CURRENT_PATH = "/usr/local/go/bin/go";
    static final String DEBIAN_PATH = "/usr/bin/go";

    /** The current Go, as installed from go.dev. */
    public static final Path CURRENT = Path.of(CURRENT_PATH);
    /** Debian's golang-go. */
    public static final Path DEBIAN = Path.of(DEBIAN_PATH);
    /** More toolchains to test with, {@link File#pathSeparator}-separated. */
    public static final String EXTRA_ENV = "GRANARY_TEST_GO";

    /** Runs a test method once per Go toolchain ({@link #all()}), named after the toolchain. */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.granary.core.testing.GoToolchains#all")
    public @interface EachGoToolchain {}

    /** Where to look for a toolchain and whether its absence is an error. */
    record Candidate(Path go, boolean required, String why) {}

    private static List<GoToolchain> all;

    private GoToolchains() {}

    /**
     * The distinct toolchains, newest first.
     *
     * @throws IllegalStateException if a required toolchain is missing or broken, or CI finds fewer than two
     */
    public static synchronized List<GoToolchain> all() {
        if (all == null) {
            String ci = System.getenv("CI");
            boolean onCi = ci != null && (ci.equalsIgnoreCase("true") || ci.equals("1"));
            all = discover(candidates(System.getenv(EXTRA_ENV)), onCi ? 2 : 1);
        }
        return all;
    }

    /**
     * Debian's Go ({@value #DEBIAN_PATH}): builds the test programs that use Debian's
     * {@code golang.org/x/mod} sources, quickly (its standard library comes precompiled).
     */
    public static GoToolchain debian() {
        Path real;
        try {
            real = DEBIAN.toRealPath();
        } catch (IOException e) {
            throw new IllegalStateException(DEBIAN + " is missing: apt-get install -y golang-go", e);
        }
        return all().stream()
                .filter(t -> t.binDir().equals(real.getParent()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no toolchain at " + real));
    }

    /** The places to look: the current Go if present, Debian's, then the extra ones. */
    static List<Candidate> candidates(String extra) {
        List<Candidate> c = new ArrayList<>();
        c.add(new Candidate(CURRENT, false, "the current Go"));
        c.add(new Candidate(DEBIAN, true, "Debian's Go; apt-get install -y golang-go (.ci/run installs it)"));
        if (extra != null) {
            for (String entry : extra.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    c.add(new Candidate(binaryIn(Path.of(entry.strip())), true, "listed in " + EXTRA_ENV));
                }
            }
        }
        return c;
    }

    /** Probes each candidate and keeps the distinct toolchains, newest first; fails listing every problem. */
    static List<GoToolchain> discover(List<Candidate> candidates, int minimum) {
        List<String> problems = new ArrayList<>();
        Set<Path> realPaths = new HashSet<>();
        Set<String> versionLines = new HashSet<>();
        List<GoToolchain> found = new ArrayList<>();
        for (Candidate c : candidates) {
            if (!Files.exists(c.go())) {
                if (c.required()) {
                    problems.add(c.go() + " is missing (" + c.why() + ")");
                }
                continue;
            }
            GoToolchain t;
            try {
                Path real = c.go().toRealPath();
                if (!realPaths.add(real)) {
                    continue;
                }
                t = GoToolchain.of(c.go(), real.getParent(), goVersion(c.go(), real.getParent()));
            } catch (IOException | RuntimeException e) {
                problems.add(c.go() + " does not run (" + c.why() + "): " + e.getMessage());
                continue;
            }
            if (versionLines.add(t.versionLine())) {
                found.add(t);
            }
        }
        if (problems.isEmpty() && found.size() < minimum) {
            problems.add("found " + found.size() + " distinct Go toolchain(s) " + found + " where " + minimum
                    + " are required (CI=true: " + CURRENT_PATH + " and " + DEBIAN_PATH + ")");
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Go toolchains for the tests: " + String.join("; ", problems));
        }
        found.sort(Comparator.comparingInt(GoToolchain::minor).reversed());
        return List.copyOf(found);
    }

    private static Path binaryIn(Path entry) {
        if (Files.isDirectory(entry)) {
            Path direct = entry.resolve("go");
            return Files.isRegularFile(direct) ? direct : entry.resolve("bin").resolve("go");
        }
        return entry;
    }

    /** {@code go version}, with nothing inherited that could make it switch toolchains or write anywhere. */
    private static String goVersion(Path go, Path binDir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(go.toString(), "version").redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", binDir + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/bin");
        env.put("GOTOOLCHAIN", "local");
        env.put("GOENV", "off");
        env.put("GOTELEMETRY", "off");
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("go version did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IOException("go version exited " + p.exitValue() + ": " + out.strip());
            }
            return out.lines()
                    .filter(l -> l.startsWith("go version "))
                    .findFirst()
                    .orElseThrow(() -> new IOException("no version line in: " + out.strip()));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
