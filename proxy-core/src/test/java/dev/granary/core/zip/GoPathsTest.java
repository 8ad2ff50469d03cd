package dev.granary.core.zip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoTable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Go's path.Clean (path_test.go cleantests) and the case folding of the zip collision rule. */
class GoPathsTest {

    static List<GoTable.Row> cleanTests() {
        return GoTable.load(GoPathsTest.class, "cleanTests.gotable");
    }

    @Test
    void tableIsCompletelyLoaded() {
        assertThat(cleanTests()).hasSize(36);
    }

    @ParameterizedTest
    @MethodSource("cleanTests")
    void cleanAgreesWithGo(GoTable.Row tt) {
        assertThat(GoPaths.clean(tt.str(0))).isEqualTo(tt.str(1));
        assertThat(GoPaths.clean(tt.str(1))).isEqualTo(tt.str(1));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            A.go       | a.go
            GO.MOD     | go.mod
            \u212A.go  | k.go
            \u017F.go  | S.go
            \u03A3     | \u03C2
            \u01C5     | \u01C6
            \u1E9E     | \u00DF
            """)
    void simpleFoldEquivalentsCollide(String a, String b) {
        assertThat(GoPaths.foldKey(a)).isEqualTo(GoPaths.foldKey(b));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            i.go       | \u0131.go
            I.go       | \u0130.go
            a.go       | b.go
            """)
    void otherNamesDoNotCollide(String a, String b) {
        assertThat(GoPaths.foldKey(a)).isNotEqualTo(GoPaths.foldKey(b));
    }
}
