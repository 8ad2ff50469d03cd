package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoTable;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Go's own gover tables (internal/gover/gover_test.go), copied verbatim, plus the prefetch specs built on them. */
class GoVersionTest {

    static Stream<GoTable.Row> compareTests() {
        return GoTable.load(GoVersionTest.class, "goverCompareTests.gotable").stream();
    }

    static Stream<GoTable.Row> langTests() {
        return GoTable.load(GoVersionTest.class, "goverLangTests.gotable").stream();
    }

    static Stream<GoTable.Row> isLangTests() {
        return GoTable.load(GoVersionTest.class, "goverIsLangTests.gotable").stream();
    }

    static Stream<GoTable.Row> isValidTests() {
        return GoTable.load(GoVersionTest.class, "goverIsValidTests.gotable").stream();
    }

    @ParameterizedTest
    @MethodSource("compareTests")
    void compareOrdersAsGoverDoesBothWays(GoTable.Row row) {
        String x = row.str(0);
        String y = row.str(1);
        int want = (int) row.integer(2);
        assertThat(GoVersion.compare(x, y)).as("compare(%s, %s)", x, y).isEqualTo(want);
        assertThat(GoVersion.compare(y, x)).as("compare(%s, %s)", y, x).isEqualTo(-want);
    }

    @ParameterizedTest
    @MethodSource("langTests")
    void langIsTheLanguageVersion(GoTable.Row row) {
        assertThat(GoVersion.lang(row.str(0))).isEqualTo(row.str(1));
    }

    @ParameterizedTest
    @MethodSource("isLangTests")
    void isLangTellsLanguageVersionsFromReleases(GoTable.Row row) {
        assertThat(GoVersion.isLang(row.str(0))).as(row.str(0)).isEqualTo(row.bool(1));
    }

    @ParameterizedTest
    @MethodSource("isValidTests")
    void isValidAcceptsExactlyGoVersions(GoTable.Row row) {
        assertThat(GoVersion.isValid(row.str(0))).as(row.str(0)).isEqualTo(row.bool(1));
    }

    @Test
    void theTablesAreThere() {
        assertThat(compareTests().count()).isGreaterThan(20);
        assertThat(isValidTests().count()).isGreaterThan(10);
    }

    private static final List<String> RELEASES = List.of(
            "1.24.0", "1.24.9", "1.25rc1", "1.25.0", "1.25.1", "1.25.10", "1.25.2", "1.26rc2", "1.26rc1", "1.20",
            "1.20.14", "1.19.8");

    @ParameterizedTest
    @CsvSource({
        "1.25.x,    1.25.10",
        "go1.25.x,  1.25.10",
        "1.26.x,    ''",
        "1.20.x,    1.20.14",
        "1.25.2,    1.25.2",
        "go1.19.8,  1.19.8",
        "1.20.0,    1.20",
        "1.26rc2,   1.26rc2",
        "1.27.0,    ''",
        "banana,    ''",
        "1.x,       ''",
    })
    void prefetchSpecsResolveExactlyOrToTheNewestRelease(String spec, String want) {
        assertThat(GoVersion.resolve(spec, RELEASES).orElse("")).isEqualTo(want);
    }

    @Test
    void stripRemovesTheGoPrefixOnly() {
        assertThat(GoVersion.strip("go1.26.3")).isEqualTo("1.26.3");
        assertThat(GoVersion.strip("1.26.3")).isEqualTo("1.26.3");
        assertThat(GoVersion.isPrerelease("1.26rc1")).isTrue();
        assertThat(GoVersion.isPrerelease("1.26.1")).isFalse();
    }
}
