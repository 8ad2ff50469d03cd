package dev.granary.core.gocache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ActionEntryTest {
    private static final String A = CacheDirs.id("action");
    private static final String O = CacheDirs.id("output");

    @Test
    void formatsAsTheGoCommandWritesAndParsesBack() {
        ActionEntry e = new ActionEntry(A, O, 1234, 1_795_804_952_759_328_975L);
        String text = new String(e.format(), StandardCharsets.US_ASCII);
        // cmd/go/internal/cache: "v1 %x %x %20d %20d\n" (size and time right-aligned in 20 columns)
        assertThat(text)
                .isEqualTo(
                        "v1 " + A + " " + O + " " + " ".repeat(16) + "1234" + " " + " " + "1795804952759328975" + "\n");
        assertThat(text).hasSize(ActionEntry.LENGTH);
        assertThat(ActionEntry.parse(e.format())).contains(e);
    }

    @Test
    void readsAnEntryGo126Wrote() {
        String line = "v1 b10ba8fd3c82138daebff97b0892b02d56fcca9d2d0769075044ab60453ffb37 "
                + "901a115bbb89bb5c3042c15bebc8ae38a3ab053486a8bface4a3aff532db432a                   64  1795804952759328975\n";
        ActionEntry e =
                ActionEntry.parse(line.getBytes(StandardCharsets.US_ASCII)).orElseThrow();
        assertThat(e.actionId()).startsWith("b10ba8fd");
        assertThat(e.outputId()).startsWith("901a115b");
        assertThat(e.size()).isEqualTo(64);
        assertThat(e.timeNanos()).isEqualTo(1795804952759328975L);
        assertThat(e.format()).isEqualTo(line.getBytes(StandardCharsets.US_ASCII));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "v2 A O                 1234                    5\n",
                "v1 A O                 1234                    5",
                "v1 A O                 -123                    5\n",
                "v1 A O                 12x4                    5\n",
                "v1 A O                 1234                    5\n\n",
            })
    void refusesWhatTheGoCommandWouldTreatAsAMiss(String template) {
        String text = template.replace("A", A).replace("O", O);
        assertThat(ActionEntry.parse(text.getBytes(StandardCharsets.US_ASCII))).isEmpty();
    }

    @Test
    void upperCaseHexIsNotAnId() {
        String text = "v1 " + A.toUpperCase() + " " + O + " " + String.format("%20d %20d\n", 1, 1);
        assertThat(ActionEntry.parse(text.getBytes(StandardCharsets.US_ASCII))).isEmpty();
    }
}
