package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.gocache.ClientModule;
import dev.granary.core.module.GoSum;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GOCACHEPROG client Granary publishes is exactly {@code tools/gocacheprog}, and its version is
 * pinned to its content: a published version never changes, so changed sources need a new
 * {@link ClientModule#VERSION} (and the h1 below).
 */
class ClientModuleTest {
    /** The go.sum lines of granary.dev/gocacheprog at {@link ClientModule#VERSION}. */
    private static final String SUMS = """
            granary.dev/gocacheprog v0.1.0 h1:uU483DKpHwaR1d1CoDWLI1N6SPBtPb7oI8jzD5imuqM=
            granary.dev/gocacheprog v0.1.0/go.mod h1:yJmbwfvIwkJF83veh7LENRIKsmFVmzsg5MBn6rz3Wk0=
            """;

    @TempDir
    Path tmp;

    @Test
    void theJarCarriesEveryFileOfTheClientAndNothingElse() throws Exception {
        Path dir = Path.of("../tools/gocacheprog");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.equals("go.mod") || n.endsWith(".go")))
                    .containsExactlyInAnyOrderElementsOf(ClientModule.FILES);
        }
        for (String f : ClientModule.FILES) {
            try (InputStream in = GranaryServer.class.getResourceAsStream("gocacheprog/" + f)) {
                assertThat(in).as(f).isNotNull();
                assertThat(in.readAllBytes()).as(f).isEqualTo(Files.readAllBytes(dir.resolve(f)));
            }
        }
    }

    @Test
    void theSourcesAreTheOnesOfThePinnedVersion() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String f : ClientModule.FILES) {
            files.put(f, Files.readAllBytes(Path.of("../tools/gocacheprog").resolve(f)));
        }
        GoSum sums = ClientModule.sums(files, tmp);
        assertThat(sums.text())
                .as("tools/gocacheprog changed: give ClientModule a new VERSION, then put these lines here")
                .isEqualTo(SUMS);
    }
}
