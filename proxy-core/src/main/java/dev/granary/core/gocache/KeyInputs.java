package dev.granary.core.gocache;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the go command's build cache keys depend on besides the sources: a bundle is only of use to a
 * build whose inputs are all equal to the ones it was made with (a bundle for other inputs is wasted
 * bytes, never wrong output: the go command would simply miss). Compared field by field, so a
 * refusal can say what differs.
 *
 * <p>Facts behind the fields (cmd/go/internal/work/exec.go, {@code buildActionID}): the compiler's
 * and tools' version (GOVERSION) and the target (GOOS, GOARCH and its level variable) are in every
 * key; so are GOEXPERIMENT and the flags GOFLAGS adds. A package outside GOROOT has its absolute
 * directory in its key unless {@code -trimpath} is on, so without it the module cache's path must be
 * the same on both sides. Packages with cgo hash the {@code CC}/{@code CXX} strings and CGO_*FLAGS;
 * the C compiler's version is recorded too (it is not in the key: checking it avoids reusing objects
 * of another compiler with the same name).
 *
 * @param goflags   GOFLAGS without the flags of {@link BuildOptions} and without the flags that do
 *                  not reach compile keys ({@code -mod}, {@code -modcacherw}, {@code -modfile},
 *                  {@code -buildvcs}), sorted, space-separated
 * @param cgoFlags  CGO_CFLAGS ... CGO_LDFLAGS, CC, CXX and the compiler version; empty without cgo
 * @param gomodcache GOMODCACHE when not trimpath, else empty
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record KeyInputs(
        String goVersion,
        String goos,
        String goarch,
        String archLevel,
        boolean cgo,
        SortedMap<String, String> cgoFlags,
        String goexperiment,
        String goflags,
        boolean trimpath,
        boolean race,
        List<String> tags,
        String gomodcache) {

    private static final List<String> CGO_KEYS =
            List.of("CC", "CXX", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_FFLAGS", "CGO_LDFLAGS");
    /** GOFLAGS entries that never reach a dependency's compile or vet key. */
    private static final List<String> NEUTRAL = List.of("-mod", "-modcacherw", "-modfile", "-buildvcs");

    public KeyInputs {
        Objects.requireNonNull(goVersion, "goVersion");
        Objects.requireNonNull(goos, "goos");
        Objects.requireNonNull(goarch, "goarch");
        archLevel = Objects.requireNonNullElse(archLevel, "");
        cgoFlags = new TreeMap<>(cgoFlags == null ? Map.of() : cgoFlags);
        goexperiment = Objects.requireNonNullElse(goexperiment, "");
        goflags = Objects.requireNonNullElse(goflags, "");
        tags = List.copyOf(new TreeSet<>(tags == null ? List.of() : tags));
        gomodcache = Objects.requireNonNullElse(gomodcache, "");
    }

    /**
     * The inputs of a build in {@code env} with {@code requested} options on its command line (they
     * add to what GOFLAGS already asks for).
     */
    public static KeyInputs of(GoEnv env, BuildOptions requested) {
        boolean trimpath = requested.trimpath();
        boolean race = requested.race();
        List<String> tags = new ArrayList<>(requested.tags());
        TreeSet<String> rest = new TreeSet<>();
        for (String flag : env.get("GOFLAGS").strip().split("\\s+")) {
            if (flag.isEmpty()) {
                continue;
            }
            String f = flag.startsWith("--") ? flag.substring(1) : flag;
            String name = f.contains("=") ? f.substring(0, f.indexOf('=')) : f;
            String value = f.contains("=") ? f.substring(f.indexOf('=') + 1) : "true";
            switch (name) {
                case "-trimpath" -> trimpath = trimpath || !value.equals("false");
                case "-race" -> race = race || !value.equals("false");
                case "-tags" -> tags.addAll(List.of(value.split(",")));
                default -> {
                    if (!NEUTRAL.contains(name)) {
                        rest.add(f);
                    }
                }
            }
        }
        boolean cgo = env.get("CGO_ENABLED").equals("1");
        SortedMap<String, String> cgoFlags = new TreeMap<>();
        if (cgo) {
            for (String k : CGO_KEYS) {
                cgoFlags.put(k, env.get(k));
            }
            cgoFlags.put("CC version", env.ccVersion());
        }
        BuildOptions options = new BuildOptions(trimpath, race, tags);
        return new KeyInputs(
                env.get("GOVERSION"),
                env.get("GOOS"),
                env.get("GOARCH"),
                env.archLevel(),
                cgo,
                cgoFlags,
                env.get("GOEXPERIMENT"),
                String.join(" ", rest),
                options.trimpath(),
                options.race(),
                options.tags(),
                options.trimpath() ? "" : env.get("GOMODCACHE"));
    }

    /** The build flags these inputs were made with. */
    public BuildOptions options() {
        return new BuildOptions(trimpath, race, tags);
    }

    /** One line per input, in a fixed order: what a bundle's identity hashes. */
    public String canonical() {
        StringBuilder b = new StringBuilder();
        b.append("go ")
                .append(goVersion)
                .append('\n')
                .append("goos ")
                .append(goos)
                .append('\n')
                .append("goarch ")
                .append(goarch)
                .append('\n')
                .append("archlevel ")
                .append(archLevel)
                .append('\n')
                .append("cgo ")
                .append(cgo)
                .append('\n');
        cgoFlags.forEach(
                (k, v) -> b.append("cgoflag ").append(k).append('=').append(v).append('\n'));
        b.append("goexperiment ")
                .append(goexperiment)
                .append('\n')
                .append("goflags ")
                .append(goflags)
                .append('\n')
                .append("trimpath ")
                .append(trimpath)
                .append('\n')
                .append("race ")
                .append(race)
                .append('\n')
                .append("tags ")
                .append(String.join(",", tags))
                .append('\n')
                .append("gomodcache ")
                .append(gomodcache)
                .append('\n');
        return b.toString();
    }

    /**
     * The identity of a bundle for these inputs and a go.sum: the first 32 hex digits of the SHA-256
     * of {@link #canonical()} followed by {@code gosum <digest>}. It names the bundle's URL.
     */
    public String bundleId(String gosumDigest) {
        String text = canonical() + "gosum " + gosumDigest + "\n";
        return CacheIds.sha256(text.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
    }

    /** What differs from {@code here} (this is the bundle's side), one phrase each; empty when usable. */
    public List<String> differences(KeyInputs here) {
        List<String> d = new ArrayList<>();
        differ(d, "Go version", goVersion, here.goVersion);
        differ(d, "GOOS", goos, here.goos);
        differ(d, "GOARCH", goarch, here.goarch);
        differ(d, "architecture level", archLevel, here.archLevel);
        differ(d, "CGO_ENABLED", cgo ? "1" : "0", here.cgo ? "1" : "0");
        if (cgo && here.cgo) {
            for (String k : new TreeSet<>(union(cgoFlags.keySet(), here.cgoFlags.keySet()))) {
                differ(d, k, cgoFlags.getOrDefault(k, ""), here.cgoFlags.getOrDefault(k, ""));
            }
        }
        differ(d, "GOEXPERIMENT", goexperiment, here.goexperiment);
        differ(d, "GOFLAGS (beyond -trimpath, -race, -tags, -mod)", goflags, here.goflags);
        differ(d, "-trimpath", Boolean.toString(trimpath), Boolean.toString(here.trimpath));
        differ(d, "-race", Boolean.toString(race), Boolean.toString(here.race));
        differ(d, "-tags", String.join(",", tags), String.join(",", here.tags));
        if (!trimpath && !here.trimpath) {
            differ(d, "GOMODCACHE (keys hold absolute paths without -trimpath)", gomodcache, here.gomodcache);
        }
        return d;
    }

    private static List<String> union(Set<String> a, Set<String> b) {
        List<String> u = new ArrayList<>(a);
        u.addAll(b);
        return u;
    }

    private static void differ(List<String> d, String what, String bundle, String here) {
        if (!bundle.equals(here)) {
            d.add(what + " is " + quote(here) + " here but " + quote(bundle) + " in the bundle");
        }
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
