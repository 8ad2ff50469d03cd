package dev.granary.core.policy;

import dev.granary.core.module.Semver;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of versions given by comparators that must all hold, such as {@code <v1.2.3} or
 * {@code >=v2.0.0 <v2.1.0}. Operators: {@code <}, {@code <=}, {@code >}, {@code >=}, {@code =} (a
 * bare version means {@code =}). Versions are compared as the go command compares them
 * ({@link Semver#compare}): a pre-release sorts below its release ({@code v2.0.0-rc.1 < v2.0.0}), a
 * pseudo-version is a pre-release of the version after its base ({@code v1.2.4-0.2024...} lies
 * between {@code v1.2.3} and {@code v1.2.4}), build metadata is ignored, and the shorthands
 * {@code v2} and {@code v2.1} stand for {@code v2.0.0} and {@code v2.1.0}. The empty range holds
 * every version.
 */
public record VersionRange(List<Comparator> comparators) {

    /** One comparison with a bound. */
    public record Comparator(Op op, String version) {
        public Comparator {
            if (!Semver.isValid(version)) {
                throw new IllegalArgumentException(
                        "not a semantic version: '" + version + "' (versions start with v, as in v1.2.3)");
            }
        }

        boolean holds(String v) {
            int c = Semver.compare(v, version);
            return switch (op) {
                case LT -> c < 0;
                case LE -> c <= 0;
                case GT -> c > 0;
                case GE -> c >= 0;
                case EQ -> c == 0;
            };
        }

        @Override
        public String toString() {
            return op.symbol + version;
        }
    }

    /** A comparison operator. */
    public enum Op {
        LT("<"),
        LE("<="),
        GT(">"),
        GE(">="),
        EQ("=");

        final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }
    }

    public static final VersionRange ANY = new VersionRange(List.of());

    public VersionRange {
        comparators = List.copyOf(comparators);
    }

    /**
     * Parses whitespace-separated comparators.
     *
     * @throws IllegalArgumentException naming the comparator that is not one
     */
    public static VersionRange parse(String text) {
        List<Comparator> out = new ArrayList<>();
        for (String word : text.strip().split("\\s+")) {
            if (!word.isEmpty()) {
                out.add(comparator(word));
            }
        }
        return new VersionRange(out);
    }

    private static Comparator comparator(String word) {
        // Two-character operators first, so "<=" is not read as "<" and "=v1".
        for (Op op : List.of(Op.LE, Op.GE, Op.LT, Op.GT, Op.EQ)) {
            if (word.startsWith(op.symbol)) {
                return new Comparator(op, word.substring(op.symbol.length()));
            }
        }
        return new Comparator(Op.EQ, word);
    }

    /** True when {@code version} (a valid semantic version) is in the range. */
    public boolean contains(String version) {
        for (Comparator c : comparators) {
            if (!c.holds(version)) {
                return false;
            }
        }
        return true;
    }

    public boolean isAny() {
        return comparators.isEmpty();
    }

    @Override
    public String toString() {
        return String.join(" ", comparators.stream().map(Comparator::toString).toList());
    }
}
