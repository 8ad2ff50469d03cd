package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The go command's own module script tests through Granary ({@code conformance/run.sh}): every
 * {@code src/cmd/go/testdata/script/mod_*.txt} of the machine's Go that passes against cmd/go's test
 * proxy alone must pass through the jar built by this reactor, except the accepted differences in
 * {@code conformance/accepted.txt}. Runs after {@code package} (failsafe), so the jar is the one
 * under test. Skipped only where there is no Go source tree to take the scripts from.
 */
class ConformanceIT {
    private static final Pattern VERDICT = Pattern.compile("(?m)^conformance: (\\d+) passed, (\\d+) failed, (\\d+) skipped$");

    @Test
    void theGoCommandsModuleScriptsPassThroughGranaryAsTheyDoAgainstTheTestProxy() throws Exception {
        Path goroot = Path.of(System.getenv().getOrDefault("GRANARY_CONFORMANCE_GOROOT", "/usr/local/go"));
        assumeTrue(Files.isDirectory(goroot.resolve("src/cmd/go/testdata/script")), "no Go source tree at " + goroot);
        Path root = Path.of("").toAbsolutePath().getParent();
        Path jar = root.resolve("proxy-server/target/granary.jar");
        assertThat(jar).exists();
        Path output = Files.createDirectories(root.resolve("proxy-server/target/conformance")).resolve("run.out");

        ProcessBuilder pb = new ProcessBuilder(List.of("bash", root.resolve("conformance/run.sh").toString(), "--jar", jar.toString()))
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        // The same JDK as this build, for the jar.
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        boolean done = p.waitFor(30, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        // The per-run counts and the accepted differences, in the build log.
        System.out.println(out.lines().filter(l -> !l.startsWith("    |")).reduce("", (a, l) -> a + l + "\n"));

        assertThat(done).as("conformance/run.sh did not finish within 30 minutes:\n%s", out).isTrue();
        Matcher verdict = VERDICT.matcher(out);
        assertThat(verdict.find()).as("no verdict line in:\n%s", out).isTrue();
        assertThat(Integer.parseInt(verdict.group(1))).as("scripts passing in both runs").isPositive();
        assertThat(Integer.parseInt(verdict.group(2))).as("unexpected differences:\n%s", out).isZero();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
