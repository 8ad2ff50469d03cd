package dev.granary.bench;

import dev.granary.core.module.PseudoVersion;
import dev.granary.core.module.Semver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Semantic-version ordering on a realistic version list: every {@code @v/list}, {@code @latest} and query
 * answer computed from storage sorts or compares versions.
 *
 * <p>1,000 versions of one module history, shuffled with a fixed seed: releases of v0 to v2, prereleases
 * ({@code -alpha}, {@code -beta.2}, {@code -rc.1}), {@code +incompatible} majors and pseudo-versions of all
 * three forms.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SemverBench {

    static final int VERSIONS = 1000;

    private String[] versions;
    private List<String> shuffled;

    @Setup
    public void setup() {
        shuffled = realisticVersions(VERSIONS, new Random(7));
        versions = shuffled.toArray(String[]::new);
        List<String> sorted = new ArrayList<>(shuffled);
        Semver.sort(sorted);
        System.out.printf("%n%d versions, lowest %s, highest %s%n", VERSIONS, sorted.get(0), sorted.get(VERSIONS - 1));
    }

    // One Semver.compare of two neighbouring versions of the shuffled list (ops/s = comparisons/s):
    // the primitive under every list, @latest and max computation.
    @Benchmark
    @OperationsPerInvocation(VERSIONS)
    public int compare() {
        int acc = 0;
        String[] v = versions;
        for (int i = 0; i < v.length; i++) {
            acc += Semver.compare(v[i], v[(i + 1) % v.length]);
        }
        return acc;
    }

    // Semver.sort of all 1,000 versions (ops/s = whole sorts/s), as done for a long @v/list answer.
    @Benchmark
    public List<String> sort() {
        List<String> copy = new ArrayList<>(shuffled);
        Semver.sort(copy);
        return copy;
    }

    /** {@code n} distinct, valid versions resembling a long-lived module's tags and pseudo-versions. */
    static List<String> realisticVersions(int n, Random rnd) {
        List<String> out = new ArrayList<>(n);
        Instant t = Instant.parse("2019-03-01T10:15:30Z");
        int major = 0;
        int minor = 1;
        int patch = 0;
        String[] pre = {"-alpha", "-alpha.1", "-beta.2", "-rc.1", "-rc.2", "-pre"};
        while (out.size() < n) {
            String tag = "v" + major + "." + minor + "." + patch;
            String suffix = major >= 2 ? "+incompatible" : "";
            t = t.plusSeconds(3600 + rnd.nextInt(200_000));
            switch (out.size() % 10) {
                case 0, 1, 2, 3 -> out.add(tag + suffix);
                case 4, 5 -> out.add(tag + pre[rnd.nextInt(pre.length)] + "." + out.size() + suffix);
                case 6, 7 -> out.add(PseudoVersion.build("v" + major, tag + suffix, t, rev(rnd)));
                case 8 -> out.add(PseudoVersion.build("v" + major, tag + "-rc.1" + suffix, t, rev(rnd)));
                default -> out.add(PseudoVersion.build("v" + major, "", t, rev(rnd)));
            }
            patch++;
            if (rnd.nextInt(8) == 0) {
                minor++;
                patch = 0;
            }
            if (out.size() % 400 == 399) {
                major++;
                minor = 0;
                patch = 0;
            }
        }
        Collections.shuffle(out, rnd);
        return out;
    }

    private static String rev(Random rnd) {
        return String.format("%012x", rnd.nextLong() & 0xffff_ffff_ffffL);
    }
}
