package dev.granary.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VersionRangeTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            <v1.2.3              | v1.2.2                               | true
            <v1.2.3              | v1.2.3                               | false
            <v1.2.3              | v1.2.3-rc.1                          | true
            <v1.2.3              | v1.2.4                               | false
            <=v1.2.3             | v1.2.3                               | true
            >v1.2.3              | v1.2.3                               | false
            >v1.2.3              | v1.2.4-0.20240101000000-abcdefabcdef | true
            <v1.2.4              | v1.2.4-0.20240101000000-abcdefabcdef | true
            >=v2.0.0 <v2.1.0     | v2.0.5                               | true
            >=v2.0.0 <v2.1.0     | v2.1.0                               | false
            >=v2.0.0 <v2.1.0     | v1.9.9                               | false
            >=v2.0.0 <v2.1.0     | v2.1.0-pre                           | true
            =v1.0.0              | v1.0.0                               | true
            v1.0.0               | v1.0.1                               | false
            <v2                  | v1.99.99                             | true
            <v2                  | v2.0.0                               | false
            <v2                  | v2.0.0-alpha                         | true
            >=v1.5               | v1.5.0                               | true
            >=v1.5               | v1.4.9                               | false
            <v2.0.0              | v2.0.0+incompatible                  | false
            >=v2.0.0             | v3.1.0+incompatible                  | true
            ''                   | v0.0.1                               | true
            """)
    void comparesAsTheGoCommandDoes(String range, String version, boolean contained) {
        assertThat(VersionRange.parse(range).contains(version)).isEqualTo(contained);
    }

    @ParameterizedTest
    @ValueSource(strings = {"<1.2.3", ">=vx", "~v1.2.3", "<", "v1.2.3.4", "<=v1.2.3,>v1"})
    void malformedComparatorsAreRefusedByName(String range) {
        assertThatThrownBy(() -> VersionRange.parse(range))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a semantic version");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            <v1.2.3          | <v1.2.3
            >=v2.0.0  <v2.1.0 | >=v2.0.0 <v2.1.0
            v1.0.0           | =v1.0.0
            """)
    void printsItsCanonicalForm(String text, String printed) {
        assertThat(VersionRange.parse(text)).hasToString(printed);
    }
}
