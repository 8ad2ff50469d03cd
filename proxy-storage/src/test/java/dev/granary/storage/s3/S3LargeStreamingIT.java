package dev.granary.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 300 MB blob through S3 and back in a JVM limited to 128 MB of heap: uploads never hold more than
 * a part, downloads stream. Runs {@link StreamingRoundTrip} in a child JVM; a body held in memory
 * would end it with an OutOfMemoryError. (Its heap and time figures: proxy-bench, bench/figures.sh.)
 */
@ExtendWith(SharedS3.class)
class S3LargeStreamingIT {

    private static final long SIZE = 300L * 1000 * 1000;

    private final TestS3 s3;

    @TempDir
    Path dir;

    S3LargeStreamingIT(TestS3 s3) {
        this.s3 = s3;
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void threeHundredMegabytesRoundTripInA128MegabyteHeap() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("child.out");
        Process child = new ProcessBuilder(List.of(
                        java,
                        "-Xmx128m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        StreamingRoundTrip.class.getName(),
                        s3.endpoint().toString(),
                        s3.accessKey(),
                        s3.secretKey(),
                        s3.createBucket(),
                        Long.toString(SIZE)))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        boolean exited = child.waitFor(170, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(exited).as("child finished; output:\n%s", output).isTrue();
        assertThat(child.exitValue())
                .as("child exit status; output:\n%s", output)
                .isZero();
        Map<String, String> results = new HashMap<>();
        for (String line : output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                results.put(
                        line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        assertThat(results.get("bytes")).as(output).isEqualTo(Long.toString(SIZE));
        assertThat(results.get("sha256-get")).isNotBlank().isEqualTo(results.get("sha256-put"));
        assertThat(results.get("multipart-uploads")).as("one multipart upload").isEqualTo("1");
    }
}
