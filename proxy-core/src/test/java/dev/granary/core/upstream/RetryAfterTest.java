package dev.granary.core.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryAfterTest {
    // RFC 9110 section 10.2.3 and the three date forms of section 5.6.7.
    @ParameterizedTest(name = "''{0}'' at {1} -> {2}")
    @CsvSource(
            delimiter = '|',
            nullValues = "-",
            value = {
                "120                            | 2015-10-21T07:27:30Z | PT2M",
                "0                              | 2015-10-21T07:27:30Z | PT0S",
                "' 5 '                          | 2015-10-21T07:27:30Z | PT5S",
                "99999999999                    | 2015-10-21T07:27:30Z | PT24H",
                "-1                             | 2015-10-21T07:27:30Z | -",
                "soon                           | 2015-10-21T07:27:30Z | -",
                "''                             | 2015-10-21T07:27:30Z | -",
                "Wed, 21 Oct 2015 07:28:00 GMT  | 2015-10-21T07:27:30Z | PT30S",
                "Wednesday, 21-Oct-15 07:28:00 GMT | 2015-10-21T07:27:30Z | PT30S",
                "Wed Oct 21 07:28:00 2015       | 2015-10-21T07:27:30Z | PT30S",
                "Sun Nov  6 08:49:37 1994       | 1994-11-06T08:49:00Z | PT37S",
                "Sunday, 06-Nov-94 08:49:37 GMT | 1994-11-06T08:49:00Z | PT37S",
                "Wed, 21 Oct 2015 07:28:00 GMT  | 2016-01-01T00:00:00Z | PT0S",
                "Wed, 21 Oct 2099 07:28:00 GMT  | 2015-10-21T07:27:30Z | PT24H",
            })
    void parses(String header, String now, String expected) {
        assertThat(RetryAfter.parse(header, Instant.parse(now)))
                .isEqualTo(expected == null ? Optional.empty() : Optional.of(Duration.parse(expected)));
    }

    @ParameterizedTest
    @CsvSource(
            nullValues = "-",
            value = {"-"})
    void anAbsentHeaderIsNoWait(String header) {
        assertThat(RetryAfter.parse(header, Instant.EPOCH)).isEmpty();
    }
}
