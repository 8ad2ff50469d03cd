package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** golang.org/x/mod/semver semver_test.go, every test over the whole table. */
class SemverTest {

    /** The table is in ascending order; rows with out == "" are invalid. */
    static final List<GoTable.Row> TESTS = GoTable.load(SemverTest.class, "semverTests.gotable");

    static List<GoTable.Row> tests() {
        return TESTS;
    }

    static IntStream indexes() {
        return IntStream.range(0, TESTS.size());
    }

    @Test
    void tableIsCompletelyLoaded() {
        assertThat(TESTS).hasSize(32);
    }

    @ParameterizedTest
    @MethodSource("tests")
    void isValid(GoTable.Row tt) {
        assertThat(Semver.isValid(tt.str(0))).isEqualTo(!tt.str(1).isEmpty());
    }

    @ParameterizedTest
    @MethodSource("tests")
    void canonical(GoTable.Row tt) {
        assertThat(Semver.canonical(tt.str(0))).isEqualTo(tt.str(1));
    }

    @ParameterizedTest
    @MethodSource("tests")
    void major(GoTable.Row tt) {
        String out = tt.str(1);
        String want = out.contains(".") ? out.substring(0, out.indexOf('.')) : "";
        assertThat(Semver.major(tt.str(0))).isEqualTo(want);
    }

    @ParameterizedTest
    @MethodSource("tests")
    void majorMinor(GoTable.Row tt) {
        String want = "";
        if (!tt.str(1).isEmpty()) {
            want = tt.str(0);
            if (want.contains("+")) {
                want = want.substring(0, want.indexOf('+'));
            }
            if (want.contains("-")) {
                want = want.substring(0, want.indexOf('-'));
            }
            long dots = want.chars().filter(c -> c == '.').count();
            if (dots == 0) {
                want += ".0";
            } else if (dots == 2) {
                want = want.substring(0, want.lastIndexOf('.'));
            }
        }
        assertThat(Semver.majorMinor(tt.str(0))).isEqualTo(want);
    }

    @ParameterizedTest
    @MethodSource("tests")
    void prerelease(GoTable.Row tt) {
        String out = tt.str(1);
        String want = !out.isEmpty() && out.contains("-") ? out.substring(out.indexOf('-')) : "";
        assertThat(Semver.prerelease(tt.str(0))).isEqualTo(want);
    }

    @ParameterizedTest
    @MethodSource("tests")
    void build(GoTable.Row tt) {
        String in = tt.str(0);
        String want = !tt.str(1).isEmpty() && in.contains("+") ? in.substring(in.indexOf('+')) : "";
        assertThat(Semver.build(in)).isEqualTo(want);
    }

    @ParameterizedTest
    @MethodSource("indexes")
    void compareAgainstEveryRow(int i) {
        GoTable.Row ti = TESTS.get(i);
        for (int j = 0; j < TESTS.size(); j++) {
            GoTable.Row tj = TESTS.get(j);
            int want = ti.str(1).equals(tj.str(1)) ? 0 : i < j ? -1 : +1;
            assertThat(Semver.compare(ti.str(0), tj.str(0)))
                    .as("compare(%s, %s)", ti.str(0), tj.str(0))
                    .isEqualTo(want);
        }
    }

    @ParameterizedTest
    @MethodSource("indexes")
    void maxAgainstEveryRow(int i) {
        GoTable.Row ti = TESTS.get(i);
        for (int j = 0; j < TESTS.size(); j++) {
            GoTable.Row tj = TESTS.get(j);
            String want = i < j ? Semver.canonical(tj.str(0)) : Semver.canonical(ti.str(0));
            assertThat(Semver.max(ti.str(0), tj.str(0)))
                    .as("max(%s, %s)", ti.str(0), tj.str(0))
                    .isEqualTo(want);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 2006})
    void sortOrdersAShuffledTable(long seed) {
        List<String> versions =
                new ArrayList<>(TESTS.stream().map(r -> r.str(0)).toList());
        Collections.shuffle(versions, new Random(seed));
        Semver.sort(versions);
        // sort.IsSorted(ByVersion(versions))
        for (int k = 1; k < versions.size(); k++) {
            assertThat(Semver.ORDER.compare(versions.get(k - 1), versions.get(k)))
                    .as("%s before %s", versions.get(k - 1), versions.get(k))
                    .isLessThanOrEqualTo(0);
        }
        // Invalid versions compare below valid ones, so they come first, in string order.
        List<String> invalid = TESTS.stream()
                .filter(r -> r.str(1).isEmpty())
                .map(r -> r.str(0))
                .sorted()
                .toList();
        assertThat(versions.subList(0, invalid.size())).isEqualTo(invalid);
        assertThat(versions.get(invalid.size())).isEqualTo("v1.0.0-alpha");
        assertThat(versions.getLast()).isEqualTo("v1.2.3+meta-pre.sha.256a");
    }

    @Test
    void equalVersionsAreOrderedAsStrings() {
        List<String> versions = new ArrayList<>(List.of("v1.2.3+b", "v1.2.3", "v1.2.3+a", "v1.2", "v1.2.0"));
        Semver.sort(versions);
        assertThat(versions).containsExactly("v1.2", "v1.2.0", "v1.2.3", "v1.2.3+a", "v1.2.3+b");
    }

    @Test
    void numbersCompareByValueAtAnyLength() {
        assertThat(Semver.compare("v1.10.0", "v1.9.0")).isEqualTo(1);
        assertThat(Semver.compare("v1.2.99999999999999999999", "v1.2.100000000000000000000"))
                .isEqualTo(-1);
        assertThat(Semver.compare("v1.0.0-rc.10", "v1.0.0-rc.9")).isEqualTo(1);
        assertThat(Semver.compare("v1.0.0-1", "v1.0.0-a")).isEqualTo(-1);
        assertThat(Semver.compare("v1.0.0-a", "v1.0.0-a.0")).isEqualTo(-1);
    }
}
