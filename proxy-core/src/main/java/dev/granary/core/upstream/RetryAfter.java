package dev.granary.core.upstream;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Reads a {@code Retry-After} header (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date. */
final class RetryAfter {
    /** Longer waits are taken as "a day": nobody retries a fetch after that anyway. */
    static final Duration MAX = Duration.ofDays(1);

    // RFC 9110 section 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept.
    private static final List<DateTimeFormatter> DATES = List.of(
            DateTimeFormatter.RFC_1123_DATE_TIME,
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(ZoneOffset.UTC));

    private RetryAfter() {}

    private static List<DateTimeFormatter> formats(Instant now) {
        // RFC 850's two-digit year: one more than 50 years ahead of now is in the past century (RFC 9110 section
        // 5.6.7).
        int base = ZonedDateTime.ofInstant(now, ZoneOffset.UTC).getYear() - 49;
        DateTimeFormatter rfc850 = new DateTimeFormatterBuilder()
                .appendPattern("EEEE, dd-MMM-")
                .appendValueReduced(ChronoField.YEAR, 2, 2, base)
                .appendPattern(" HH:mm:ss 'GMT'")
                .toFormatter(Locale.US)
                .withZone(ZoneOffset.UTC);
        return List.of(DATES.get(0), rfc850, DATES.get(1));
    }

    /** The wait the header asks for, relative to {@code now}; empty when absent or unreadable. */
    static Optional<Duration> parse(String value, Instant now) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.strip();
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (v.length() > 6) {
                return Optional.of(MAX);
            }
            Duration d = Duration.ofSeconds(Long.parseLong(v));
            return Optional.of(d.compareTo(MAX) > 0 ? MAX : d);
        }
        for (DateTimeFormatter f : formats(now)) {
            try {
                Instant at = ZonedDateTime.parse(v, f).toInstant();
                Duration d = Duration.between(now, at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d.compareTo(MAX) > 0 ? MAX : d);
            } catch (DateTimeParseException e) {
                // try the next form
            }
        }
        return Optional.empty();
    }
}
