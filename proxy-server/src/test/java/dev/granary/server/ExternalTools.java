package dev.granary.server;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The tools the deployment and browser tests drive (promtool, kubectl, node, chromium): found on the
 * machine, or the test is skipped with a message saying what to install. On CI ({@code CI=true}),
 * where {@code .ci/run} installs them, a missing tool fails the test instead.
 */
final class ExternalTools {
    private ExternalTools() {}

    /** The tool's path; skips (or on CI fails) the test when it is not installed. */
    static Path require(String name, String install) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String why = name + " is not installed (" + install + ")";
        if ("true".equals(System.getenv("CI"))) {
            fail(why + "; .ci/run installs it");
        }
        assumeTrue(false, why + ": skipping");
        return null;
    }

    /** What a finished process said. */
    record Result(int code, String out) {}

    /** Runs a command to its end (at most {@code timeoutSeconds}), stdout and stderr together. */
    static Result run(Path dir, Map<String, String> env, long timeoutSeconds, String... command)
            throws IOException, InterruptedException {
        ProcessBuilder pb =
                new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        List<String> lines = new ArrayList<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        .lines()
                        .forEach(lines::add);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
        }
        reader.join();
        return new Result(p.exitValue(), String.join("\n", lines));
    }
}
