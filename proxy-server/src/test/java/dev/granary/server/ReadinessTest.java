package dev.granary.server;

import static dev.granary.server.RawHttp.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.server.config.ConfigKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code /readyz} also fails when the disk tier's file system is short of free space. */
class ReadinessTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "min-free {0} -> {1}")
    @CsvSource({"1MiB, 200", "1%, 200", "1000TiB, 503", "100%, 503"})
    void readyzFollowsTheFreeSpaceOfTheDiskTier(String minFree, int status) throws Exception {
        long usable = Files.getFileStore(tmp).getUsableSpace();
        long total = Files.getFileStore(tmp).getTotalSpace();
        // The rows assume a file system with more than 1 MiB and 1% free, and less than 1000 TiB and 100% free.
        assertThat(usable).isGreaterThan(Math.max(1 << 20, total / 100)).isLessThan(total);
        try (TestServers.Running granary = TestServers.start(
                        tmp.resolve("storage"), "off", Map.of(ConfigKey.READINESS_MIN_FREE, minFree));
                RawHttp c = RawHttp.connect(granary.address())) {
            c.send(request("GET", "/readyz"));
            RawHttp.Response r = c.read(false);
            assertThat(r.status()).as(r.toString()).isEqualTo(status);
            assertThat(r.header("cache-control")).isEqualTo("no-store");
            if (status == 503) {
                assertThat(r.text()).contains("not ready").contains("free");
            } else {
                assertThat(r.text()).startsWith("ready");
            }
        }
    }
}
