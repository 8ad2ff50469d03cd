package dev.granary.core.gocache;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code go env} values that decide whether a build cache entry can be reused, plus the C
 * compiler's version when cgo is on (cgo action IDs hash the {@code CC} string, not the compiler
 * behind it, so two different compilers under the same name would share entries; the manifest records
 * the version to catch that).
 *
 * @param values    every variable of {@link #KEYS}, empty when unset or unknown to this Go
 * @param ccVersion the first line of {@code $CC --version} when cgo is enabled, else empty
 */
public record GoEnv(Map<String, String> values, String ccVersion) {

    /**
     * Asked of {@code go env}: version and target, the per-architecture levels (GOAMD64 ... GOWASM;
     * a Go that lacks one prints it empty), cgo's compilers and flags, flags and experiments, and
     * where the module cache and build cache are.
     */
    public static final List<String> KEYS = List.of(
            "GOVERSION",
            "GOOS",
            "GOARCH",
            "GO386",
            "GOAMD64",
            "GOARM",
            "GOARM64",
            "GOMIPS",
            "GOMIPS64",
            "GOPPC64",
            "GORISCV64",
            "GOWASM",
            "CGO_ENABLED",
            "CC",
            "CXX",
            "CGO_CFLAGS",
            "CGO_CPPFLAGS",
            "CGO_CXXFLAGS",
            "CGO_FFLAGS",
            "CGO_LDFLAGS",
            "GOFLAGS",
            "GOEXPERIMENT",
            "GOMODCACHE",
            "GOCACHE",
            "GOCACHEPROG",
            "GOROOT");

    /** Asked only when cgo is on: Go 1.26 compiles a probe into the build cache to answer {@code CGO_*FLAGS}. */
    private static final List<String> CGO_KEYS =
            List.of("CC", "CXX", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_FFLAGS", "CGO_LDFLAGS");

    private static final ObjectMapper JSON = new ObjectMapper();

    public GoEnv {
        values = Map.copyOf(new TreeMap<>(values));
    }

    /** Runs {@code go env -json} in {@code dir} (its go.mod may select another toolchain). */
    public static GoEnv read(GoTool go, Path dir) throws IOException, GoTool.GoToolException {
        List<String> plain = new ArrayList<>(KEYS);
        plain.removeAll(CGO_KEYS);
        Map<String, String> values = ask(go, dir, plain);
        if ("1".equals(values.get("CGO_ENABLED"))) {
            values.putAll(ask(go, dir, CGO_KEYS));
        }
        Map<String, String> all = new TreeMap<>();
        for (String k : KEYS) {
            all.put(k, values.getOrDefault(k, ""));
        }
        String cc = "";
        if ("1".equals(all.get("CGO_ENABLED")) && !all.get("CC").isBlank()) {
            List<String> cmd = new ArrayList<>(List.of(all.get("CC").strip().split("\\s+")));
            cmd.add("--version");
            GoTool.Result r;
            try {
                r = go.exec(cmd, dir);
            } catch (IOException e) {
                throw new GoTool.GoToolException(
                        "cgo is enabled but the C compiler " + all.get("CC") + " does not run: " + e.getMessage());
            }
            cc = r.stdout().lines().findFirst().orElse("").strip();
        }
        return new GoEnv(all, cc);
    }

    private static Map<String, String> ask(GoTool go, Path dir, List<String> keys)
            throws IOException, GoTool.GoToolException {
        List<String> args = new ArrayList<>(List.of("env", "-json"));
        args.addAll(keys);
        String json = go.run(dir, args).orThrow().stdout();
        return new TreeMap<>(JSON.readValue(json, new TypeReference<Map<String, String>>() {}));
    }

    /** A value, empty when unset. */
    public String get(String key) {
        return values.getOrDefault(key, "");
    }

    /** The level variable of the target architecture, such as {@code GOAMD64=v1}; empty for architectures without one. */
    public String archLevel() {
        String var = switch (get("GOARCH")) {
            case "386" -> "GO386";
            case "amd64" -> "GOAMD64";
            case "arm" -> "GOARM";
            case "arm64" -> "GOARM64";
            case "mips", "mipsle" -> "GOMIPS";
            case "mips64", "mips64le" -> "GOMIPS64";
            case "ppc64", "ppc64le" -> "GOPPC64";
            case "riscv64" -> "GORISCV64";
            case "wasm" -> "GOWASM";
            default -> null;
        };
        return var == null || get(var).isEmpty() ? "" : var + "=" + get(var);
    }
}
