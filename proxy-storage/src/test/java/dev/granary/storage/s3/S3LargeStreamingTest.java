package dev.granary.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 300 MB blob through S3 and back in a JVM limited to 128 MB of heap: uploads never hold more than
 * a part, downloads stream. Runs {@link HeapBoundRoundTrip} in a child JVM.
 */
class S3LargeStreamingTest {

    private static final long SIZE = 300L * 1000 * 1000;

    static TestS3 s3;

    @TempDir
    Path dir;

    @BeforeAll
    static void startS3() throws IOException {
        s3 = TestS3.start();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.stop();
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void threeHundredMegabytesRoundTripInA128MegabyteHeap() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("child.out");
        Process child = new ProcessBuilder(List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                HeapBoundRoundTrip.class.getName(), s3.endpoint().toString(), s3.accessKey(), s3.secretKey(),
                s3.createBucket(), Long.toString(SIZE)))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean exited = child.waitFor(170, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly();
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        System.out.println("child JVM (-Xmx128m) output:\n" + output);
        assertThat(exited).as("child finished").isTrue();
        assertThat(child.exitValue()).as("child exit status; output:\n%s", output).isZero();
        Map<String, String> results = new HashMap<>();
        for (String line : output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                results.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        assertThat(results.get("bytes")).isEqualTo(Long.toString(SIZE));
        assertThat(results.get("sha256-get")).isNotBlank().isEqualTo(results.get("sha256-put"));
        assertThat(Long.parseLong(results.get("multipart-uploads"))).isEqualTo(1);
        long peak = Long.parseLong(results.get("heap-peak-used-sampled"));
        System.out.printf("300 MB round trip: heap high-water mark %.1f MiB used (sampled every 5 ms, garbage "
                        + "included), %.1f MiB (sum of heap pool peaks), of %.1f MiB max heap%n", peak / 1048576.0,
                Long.parseLong(results.get("heap-pool-peaks-sum")) / 1048576.0,
                Long.parseLong(results.get("heap-max")) / 1048576.0);
        assertThat(peak).isLessThan(128L * 1024 * 1024);
    }
}
