package dev.granary.core.gocache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Fills an empty build cache with the compiled form of one project's dependencies, the way the
 * project's own CI would, so that the cache can be packed into a pre-warm bundle.
 *
 * <p>How: a synthetic module with the project's go.mod and go.sum (relative {@code replace}
 * directories made absolute) holds one package, {@code prewarm}, that blank-imports every package
 * the project's packages depend on outside the project, standard library included, and a
 * {@code _test.go} that blank-imports the packages only the project's tests need. In an empty
 * GOCACHE it runs {@code go build .}, {@code go vet .} and {@code go test -c}: build, vet and test use
 * different analyzer sets, and vet facts are cache entries of their own. The test binary is compiled
 * and linked but never run: running it would run every imported package's {@code init}, and test
 * results must not end up in a bundle.
 *
 * <p>Left out of the imports, because the go command refuses to import them from another module:
 * {@code internal} packages, {@code vendor/} packages of the standard library, commands ({@code
 * package main}), {@code C}, and packages with errors. They are compiled anyway when a package that
 * uses them is.
 *
 * <p>With only a go.mod and go.sum (no sources), the imports are every package of every required
 * module that lists without errors.
 */
public final class BundleProducer {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code go list -f}: import path, package name, whether it is in the main module, what it is a test variant of, and errors. */
    private static final String LIST_FORMAT =
            "{{.ImportPath}}\t{{.Name}}\t{{if .Module}}{{.Module.Main}}{{else}}false{{end}}\t{{.ForTest}}\t{{if or .Error .DepsErrors}}error{{end}}";

    /** Where the project's requirements come from: a module directory, or its go.mod and go.sum alone. */
    public record Source(Path project, Path gomod, Path gosum) {
        public static Source project(Path dir) {
            return new Source(dir.toAbsolutePath().normalize(), null, null);
        }

        public static Source files(Path gomod, Path gosum) {
            return new Source(
                    null,
                    gomod.toAbsolutePath().normalize(),
                    gosum == null ? null : gosum.toAbsolutePath().normalize());
        }

        Path goMod() {
            return project != null ? project.resolve("go.mod") : gomod;
        }

        Path goSum() {
            return project != null ? project.resolve("go.sum") : gosum;
        }
    }

    /** A filled build cache and what describes it. */
    public record Produced(
            Path gocache, String name, KeyInputs inputs, String gosum, List<String> modules, List<String> packages) {}

    private final GoTool go;
    private final BuildOptions options;
    private final Progress progress;

    /**
     * @param go      the go command and the environment of the builds (GOPROXY, GOFLAGS, GOOS, GOARCH,
     *                CGO_ENABLED, CC, GOMODCACHE ... as the project's CI has them); GOCACHE is replaced
     * @param options the build flags the bundle is for
     */
    public BundleProducer(GoTool go, BuildOptions options, Progress progress) {
        this.go = go;
        this.options = options;
        this.progress = progress;
    }

    /**
     * Builds the dependencies of {@code source} into {@code work/gocache}.
     *
     * @param work an empty directory of the caller's, removed by the caller
     */
    public Produced produce(Source source, Path work) throws IOException, GoTool.GoToolException {
        Path gomod = source.goMod();
        if (!Files.isRegularFile(gomod)) {
            throw new GoTool.GoToolException(gomod + " does not exist");
        }
        Path gocache = Files.createDirectories(work.resolve("gocache"));
        Path synth = Files.createDirectories(work.resolve("prewarm"));
        Files.copy(gomod, synth.resolve("go.mod"));
        GoTool tool = go.with("GOCACHE", gocache.toString())
                .with("GOWORK", "off")
                .with("GOFLAGS", goflags(go.env().get("GOFLAGS")));

        JsonNode mod =
                JSON.readTree(tool.run(synth, "mod", "edit", "-json").orThrow().stdout());
        String name = mod.path("Module").path("Path").asText("");
        absoluteReplacements(tool, synth, mod, gomod.getParent());
        Path gosum = source.goSum();
        Files.writeString(
                synth.resolve("go.sum"), gosum != null && Files.isRegularFile(gosum) ? Files.readString(gosum) : "");

        progress.start("listing packages", -1);
        List<String> buildFlags = options.flags();
        Set<String> imports;
        Set<String> testImports = new TreeSet<>();
        if (source.project() != null) {
            imports = importable(list(tool, source.project(), buildFlags, false, List.of("./...")));
            testImports.addAll(importable(list(tool, source.project(), buildFlags, true, List.of("./..."))));
            testImports.removeAll(imports);
        } else {
            List<String> patterns = new ArrayList<>();
            for (JsonNode r : mod.path("Require")) {
                patterns.add(r.path("Path").asText() + "/...");
            }
            imports = patterns.isEmpty() ? new TreeSet<>() : importable(list(tool, synth, buildFlags, false, patterns));
        }
        progress.done();
        // Read again after listing: with -mod=mod the go command completes a project's go.sum as it lists.
        String gosumText = gosum != null && Files.isRegularFile(gosum) ? Files.readString(gosum) : "";
        Files.writeString(synth.resolve("go.sum"), gosumText);

        Files.writeString(synth.resolve("prewarm.go"), source("prewarm", imports));
        if (!testImports.isEmpty()) {
            Files.writeString(synth.resolve("prewarm_test.go"), source("prewarm", testImports));
        }
        GoEnv env = GoEnv.read(tool, synth);
        step(tool, synth, "building dependencies", "build", buildFlags, List.of("."));
        step(tool, synth, "vetting dependencies", "vet", buildFlags, List.of("."));
        step(
                tool,
                synth,
                "building test dependencies",
                "test",
                buildFlags,
                List.of("-c", "-o", work.resolve("prewarm.test").toString(), "."));

        Set<String> modules = new TreeSet<>();
        String listed = tool.run(
                        synth,
                        cat(
                                List.of("list", "-deps", "-test"),
                                buildFlags,
                                List.of(
                                        "-f",
                                        "{{with .Module}}{{if not .Main}}{{.Path}}@{{.Version}}{{end}}{{end}}",
                                        ".")))
                .orThrow()
                .stdout();
        listed.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(modules::add);
        List<String> packages = new ArrayList<>(imports);
        packages.addAll(testImports);
        return new Produced(
                gocache,
                name,
                KeyInputs.of(env, options),
                BundleManifest.gosumDigest(gosumText),
                List.copyOf(modules),
                List.copyOf(packages));
    }

    /** GOFLAGS for the synthetic module: the caller's, with -mod=mod (it has no vendor directory). */
    static String goflags(String goflags) {
        List<String> kept = new ArrayList<>();
        for (String f : Objects.requireNonNullElse(goflags, "").strip().split("\\s+")) {
            if (!f.isEmpty() && !f.startsWith("-mod=") && !f.startsWith("--mod=")) {
                kept.add(f);
            }
        }
        kept.add("-mod=mod");
        return String.join(" ", kept);
    }

    private void step(GoTool tool, Path dir, String what, String verb, List<String> flags, List<String> rest)
            throws IOException, GoTool.GoToolException {
        progress.start(what, -1);
        try {
            tool.run(dir, cat(List.of(verb), flags, rest)).orThrow();
        } finally {
            progress.done();
        }
    }

    /** Makes {@code replace} directives with relative directories absolute (they were relative to the project's go.mod). */
    private static void absoluteReplacements(GoTool tool, Path synth, JsonNode mod, Path origin)
            throws IOException, GoTool.GoToolException {
        for (JsonNode r : mod.path("Replace")) {
            String newPath = r.path("New").path("Path").asText("");
            if (!r.path("New").path("Version").asText("").isEmpty()
                    || !(newPath.startsWith("./") || newPath.startsWith("../"))) {
                continue;
            }
            String old = r.path("Old").path("Path").asText();
            String oldVersion = r.path("Old").path("Version").asText("");
            String abs = origin.resolve(newPath).normalize().toString();
            tool.run(
                            synth,
                            "mod",
                            "edit",
                            "-replace=" + old + (oldVersion.isEmpty() ? "" : "@" + oldVersion) + "=" + abs)
                    .orThrow();
        }
    }

    /** One listed package. */
    record Listed(String importPath, String name, boolean main, String forTest, boolean error) {}

    private static List<Listed> list(GoTool tool, Path dir, List<String> flags, boolean tests, List<String> patterns)
            throws IOException, GoTool.GoToolException {
        List<String> args = new ArrayList<>(List.of("list", "-e", "-deps"));
        if (tests) {
            args.add("-test");
        }
        args.addAll(flags);
        args.addAll(List.of("-f", LIST_FORMAT));
        args.addAll(patterns);
        String out = tool.run(dir, args).orThrow().stdout();
        List<Listed> listed = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.split("\t", -1);
            if (f.length == 5) {
                listed.add(new Listed(f[0], f[1], f[2].equals("true"), f[3], !f[4].isEmpty()));
            }
        }
        return listed;
    }

    /** The packages a module of its own may blank-import, sorted. */
    static Set<String> importable(List<Listed> listed) {
        Set<String> out = new TreeSet<>();
        for (Listed p : listed) {
            if (p.main()
                    || p.error()
                    || !p.forTest().isEmpty()
                    || p.name().equals("main")
                    || p.name().isEmpty()) {
                continue;
            }
            String path = p.importPath();
            if (path.equals("C")
                    || path.equals("unsafe")
                    || path.endsWith(".test")
                    || path.contains(" ")
                    || path.startsWith("vendor/")
                    || path.startsWith("_")
                    || path.startsWith(".")
                    || isInternal(path)) {
                continue;
            }
            out.add(path);
        }
        return out;
    }

    static boolean isInternal(String path) {
        return path.equals("internal")
                || path.startsWith("internal/")
                || path.endsWith("/internal")
                || path.contains("/internal/");
    }

    private static String source(String pkg, Set<String> imports) {
        StringBuilder b = new StringBuilder(
                        "// Written by granary gocache build: the dependencies to compile.\n\npackage ")
                .append(pkg)
                .append("\n");
        if (!imports.isEmpty()) {
            b.append("\nimport (\n");
            for (String i : new LinkedHashSet<>(imports)) {
                b.append("\t_ \"").append(i).append("\"\n");
            }
            b.append(")\n");
        }
        return b.toString();
    }

    private static List<String> cat(List<String> a, List<String> b, List<String> c) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        return all;
    }
}
