package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.testing.GoTable;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** golang.org/x/mod/module pseudo_test.go. */
class PseudoVersionTest {

    static final Instant PSEUDO_TIME = Instant.parse("2006-01-02T15:04:05Z");

    static List<GoTable.Row> pseudoTests() {
        return GoTable.load(PseudoVersionTest.class, "pseudoTests.gotable");
    }

    static List<String> invalidBases() {
        return GoTable.load(PseudoVersionTest.class, "invalidPseudoBaseTests.gotable").stream()
                .map(r -> r.str(0))
                .toList();
    }

    static List<GoTable.Row> incDecimalTests() {
        return GoTable.load(PseudoVersionTest.class, "incDecimalTests.gotable");
    }

    static List<GoTable.Row> decDecimalTests() {
        return GoTable.load(PseudoVersionTest.class, "decDecimalTests.gotable");
    }

    @Test
    void tablesAreCompletelyLoaded() {
        assertThat(pseudoTests()).hasSize(13);
        assertThat(invalidBases()).hasSize(7);
        assertThat(incDecimalTests()).hasSize(5);
        assertThat(decDecimalTests()).hasSize(8);
    }

    @ParameterizedTest
    @MethodSource("pseudoTests")
    void buildsThePseudoVersion(GoTable.Row tt) {
        assertThat(PseudoVersion.build(tt.str(0), tt.str(1), PSEUDO_TIME, "hash"))
                .isEqualTo(tt.str(2));
    }

    @ParameterizedTest
    @MethodSource("pseudoTests")
    void recognisesPseudoVersions(GoTable.Row tt) {
        assertThat(PseudoVersion.isPseudoVersion(tt.str(2))).isTrue();
        assertThat(PseudoVersion.isPseudoVersion(tt.str(1))).isFalse();
    }

    @ParameterizedTest
    @MethodSource("pseudoTests")
    void extractsTheTime(GoTable.Row tt) {
        assertThat(PseudoVersion.pseudoVersionTime(tt.str(2))).isEqualTo(PSEUDO_TIME);
        assertThatThrownBy(() -> PseudoVersion.pseudoVersionTime(tt.str(1))).isInstanceOf(ProxyException.class);
    }

    @Test
    void invalidPseudoVersionTime() {
        assertThatThrownBy(() -> PseudoVersion.pseudoVersionTime("---"))
                .isInstanceOf(ProxyException.class)
                .hasMessage("pseudo-version \"---\" invalid: syntax error");
        assertThatThrownBy(() -> PseudoVersion.pseudoVersionTime("v0.0.0-20061302150405-hash"))
                .hasMessage("pseudo-version \"v0.0.0-20061302150405-hash\" invalid: malformed time \"20061302150405\"");
    }

    @ParameterizedTest
    @MethodSource("pseudoTests")
    void extractsTheRevision(GoTable.Row tt) {
        assertThat(PseudoVersion.pseudoVersionRev(tt.str(2))).isEqualTo("hash");
        assertThatThrownBy(() -> PseudoVersion.pseudoVersionRev(tt.str(1))).isInstanceOf(ProxyException.class);
    }

    @ParameterizedTest
    @MethodSource("pseudoTests")
    void extractsTheBase(GoTable.Row tt) {
        assertThat(PseudoVersion.pseudoVersionBase(tt.str(2))).isEqualTo(tt.str(1));
    }

    @ParameterizedTest
    @MethodSource("invalidBases")
    void refusesInconsistentBases(String v) {
        assertThatThrownBy(() -> PseudoVersion.pseudoVersionBase(v))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.kind()).isEqualTo(ProxyException.Kind.INVALID))
                .hasMessageStartingWith("pseudo-version " + GoQuote.quote(v) + " invalid: ");
    }

    @ParameterizedTest
    @MethodSource("incDecimalTests")
    void incDecimal(GoTable.Row tc) {
        assertThat(PseudoVersion.incDecimal(tc.str(0))).isEqualTo(tc.str(1));
    }

    @ParameterizedTest
    @MethodSource("decDecimalTests")
    void decDecimal(GoTable.Row tc) {
        assertThat(PseudoVersion.decDecimal(tc.str(0))).isEqualTo(tc.str(1));
    }

    @Test
    void zeroPseudoVersion() {
        assertThat(PseudoVersion.zeroPseudoVersion("v0")).isEqualTo("v0.0.0-00010101000000-000000000000");
        assertThat(PseudoVersion.isZeroPseudoVersion("v2.0.0-00010101000000-000000000000"))
                .isTrue();
        assertThat(PseudoVersion.isZeroPseudoVersion("v0.0.0-20060102150405-hash"))
                .isFalse();
    }

    @Test
    void timeIsWrittenInUtc() {
        Instant t = Instant.parse("2019-11-09T02:19:31Z");
        assertThat(PseudoVersion.build("v0", "", t, "daa7c04131f5")).isEqualTo("v0.0.0-20191109021931-daa7c04131f5");
    }
}
