package dev.granary.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.module.ModulePatterns;
import dev.granary.core.module.ModuleVersion;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * The operator's policy for module versions: a deny list, an allow list and a minimum age.
 * <ol>
 *   <li>A version covered by a <b>deny</b> rule is refused, whatever else says.</li>
 *   <li>When an <b>allow</b> list is configured, a version no allow rule covers is refused.</li>
 *   <li>With a <b>minimum age</b> (quarantine), a version whose {@code .info} {@code Time} is less
 *       than that long ago is refused until it has aged, unless its module matches the exemption
 *       patterns (your own modules). A version whose {@code .info} has no valid {@code Time} cannot
 *       be shown to be old enough and is refused too.</li>
 * </ol>
 * The {@code Time} is what the origin reports: for a tag on proxy.golang.org, the time of the tagged
 * commit. A backdated commit passes the quarantine; what it stops is the common attack, a freshly
 * published version of a real module, which is usually found and withdrawn within days.
 *
 * <p>Pure logic over a clock; thread-safe.
 */
public final class ModulePolicy implements VersionPolicy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<PolicyRule> deny;
    private final List<PolicyRule> allow;
    private final Duration minAge;
    private final String minAgeExempt;
    private final Clock clock;

    /**
     * @param deny         versions refused
     * @param allow        when not empty, the only versions served (deny still wins)
     * @param minAge       how old a version must be; zero for no quarantine
     * @param minAgeExempt GOPRIVATE-style patterns of modules the minimum age does not apply to
     */
    public ModulePolicy(
            List<PolicyRule> deny, List<PolicyRule> allow, Duration minAge, String minAgeExempt, Clock clock) {
        if (minAge.isNegative()) {
            throw new IllegalArgumentException("the minimum age must not be negative");
        }
        if (minAgeExempt != null && !minAgeExempt.isBlank()) {
            for (String glob : minAgeExempt.split(",", -1)) {
                if (!ModulePatterns.isWellFormed(glob.strip())) {
                    throw new IllegalArgumentException(
                            "malformed module pattern '" + glob + "' in '" + minAgeExempt + "'");
                }
            }
        }
        this.deny = List.copyOf(deny);
        this.allow = List.copyOf(allow);
        this.minAge = minAge;
        this.minAgeExempt = minAgeExempt == null ? "" : minAgeExempt.replace(" ", "");
        this.clock = clock;
    }

    /** True when no rule and no minimum age is configured: {@link VersionPolicy#NONE} does the same for less. */
    public boolean isEmpty() {
        return deny.isEmpty() && allow.isEmpty() && minAge.isZero();
    }

    @Override
    public void checkVersion(ModuleVersion mv) {
        for (PolicyRule r : deny) {
            if (r.covers(mv)) {
                throw new PolicyException(
                        PolicyException.DENIED,
                        "policy: " + mv + " is denied (rule '" + r.text() + "'"
                                + (r.note().isEmpty() ? "" : ": " + r.note()) + ")");
            }
        }
        if (!allow.isEmpty() && allow.stream().noneMatch(r -> r.covers(mv))) {
            throw new PolicyException(PolicyException.NOT_ALLOWED, "policy: " + mv + " is not on the allow list");
        }
    }

    @Override
    public boolean needsInfo(ModuleVersion mv) {
        return !minAge.isZero()
                && !ModulePatterns.matchPrefixPatterns(minAgeExempt, mv.path().value());
    }

    @Override
    public void checkInfo(ModuleVersion mv, byte[] info) {
        checkVersion(mv);
        if (!needsInfo(mv)) {
            return;
        }
        Optional<Instant> published = publishedTime(info);
        if (published.isEmpty()) {
            throw new PolicyException(
                    PolicyException.QUARANTINED,
                    "policy: " + mv + " is quarantined: its .info has no valid Time, so it cannot be shown to be "
                            + format(minAge) + " old");
        }
        Instant now = clock.instant();
        Instant until = published.get().plus(minAge);
        if (now.isBefore(until)) {
            Duration age = Duration.between(published.get(), now);
            throw new PolicyException(
                    PolicyException.QUARANTINED,
                    "policy: " + mv + " is quarantined until "
                            + until.truncatedTo(ChronoUnit.SECONDS) + ": published "
                            + published.get().truncatedTo(ChronoUnit.SECONDS)
                            + (age.isNegative() ? " (in the future)" : " (" + format(age) + " ago)")
                            + "; versions are served once they are " + format(minAge) + " old");
        }
    }

    /** The {@code Time} of an {@code .info} (RFC 3339, as the go command writes it), if it has a valid one. */
    public static Optional<Instant> publishedTime(byte[] info) {
        try {
            JsonNode n = JSON.readTree(info);
            JsonNode t = n == null ? null : n.get("Time");
            if (t == null || !t.isTextual()) {
                return Optional.empty();
            }
            return Optional.of(OffsetDateTime.parse(t.asText()).toInstant());
        } catch (IOException | DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** {@code 72h}, {@code 3h25m}, {@code 40m}, {@code 12s}: short enough for the go command's one-line error. */
    static String format(Duration d) {
        long s = Math.abs(d.getSeconds());
        long h = s / 3600;
        long m = s % 3600 / 60;
        if (h > 0) {
            return m == 0 ? h + "h" : h + "h" + m + "m";
        }
        return m > 0 ? m + "m" : s + "s";
    }

    @Override
    public String toString() {
        return "deny " + deny + ", allow " + (allow.isEmpty() ? "(all)" : allow) + ", min-age "
                + (minAge.isZero()
                        ? "off"
                        : format(minAge) + (minAgeExempt.isEmpty() ? "" : " except " + minAgeExempt));
    }
}
