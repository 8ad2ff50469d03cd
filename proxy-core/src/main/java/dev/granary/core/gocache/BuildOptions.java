package dev.granary.core.gocache;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The build flags a pre-warm bundle is made for and that change every cache key: {@code -trimpath}
 * (without it, keys contain each package's absolute directory), {@code -race}, and {@code -tags}.
 * Given on the command line of {@code gocache build} and {@code gocache restore}, or in GOFLAGS.
 *
 * @param tags build tags, sorted, without duplicates
 */
public record BuildOptions(boolean trimpath, boolean race, List<String> tags) {
    public static final BuildOptions NONE = new BuildOptions(false, false, List.of());

    public BuildOptions {
        TreeSet<String> sorted = new TreeSet<>();
        for (String t : tags) {
            for (String s : t.split("[,\\s]+")) {
                if (!s.isEmpty()) {
                    sorted.add(s);
                }
            }
        }
        tags = List.copyOf(sorted);
    }

    /** Both sets of options at once: a flag set in either, the union of the tags. */
    public BuildOptions plus(BuildOptions o) {
        List<String> all = new ArrayList<>(tags);
        all.addAll(o.tags);
        return new BuildOptions(trimpath || o.trimpath, race || o.race, all);
    }

    /** The flags to pass to go build, vet and test. */
    public List<String> flags() {
        List<String> f = new ArrayList<>();
        if (trimpath) {
            f.add("-trimpath");
        }
        if (race) {
            f.add("-race");
        }
        if (!tags.isEmpty()) {
            f.add("-tags=" + String.join(",", tags));
        }
        return f;
    }
}
