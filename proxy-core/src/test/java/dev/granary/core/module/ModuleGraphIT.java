package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.core.testing.GoCommand;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains;
import dev.granary.core.testing.TestUpstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ModuleGraph} against the real go command: for each main module (or workspace) and each Go
 * toolchain, the .mod and .zip files {@code go list -m all} and {@code go mod download all} fetch
 * through a recording GOPROXY are exactly the go.mod and zip sets ModuleGraph computes, and
 * {@code go list -m all} prints exactly its build list.
 */
class ModuleGraphIT {
    @TempDir
    Path tmp;

    static Stream<Arguments> cases() {
        String[] names = {
            "pruned", "unpruned", "exclude-and-replace", "go-test-modules", "workspace", "workspace-upgrade"
        };
        return GoToolchains.all().stream().flatMap(go -> Stream.of(names).map(n -> Arguments.of(n, go)));
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("cases")
    void goFetchesExactlyTheGoModsAndZipsOfTheComputedGraph(String name, GoToolchain toolchain) throws Exception {
        GoProxyTree tree = upstream(tmp.resolve("upstream"));
        Path app = Files.createDirectories(tmp.resolve("app"));
        boolean workspace = name.startsWith("workspace");
        switch (name) {
            case "pruned" -> mainModule(app, "1.17", """
                    require (
                    \texample.com/a v1.0.0
                    \texample.com/b v1.1.0
                    \texample.com/c v1.0.0
                    )
                    """, "example.com/a");
            case "unpruned" -> mainModule(app, "1.16", """
                    require (
                    \texample.com/a v1.0.0
                    \texample.com/b v1.1.0
                    )
                    """, "example.com/a");
            case "exclude-and-replace" -> {
                Path local = Files.createDirectories(tmp.resolve("localz"));
                Files.writeString(
                        local.resolve("go.mod"), "module example.com/z\n\ngo 1.17\n\nrequire example.com/f v1.0.0\n");
                Files.writeString(local.resolve("z.go"), "package z\n");
                mainModule(app, "1.17", """
                        require (
                        \texample.com/a v1.0.0
                        \texample.com/c v1.0.0
                        \texample.com/x v1.0.0
                        \texample.com/w v1.0.0
                        \texample.com/z v1.0.0
                        )

                        exclude example.com/e v1.0.0

                        replace example.com/x v1.0.0 => example.com/y v1.2.0

                        replace example.com/w => example.com/y v1.2.0

                        replace example.com/z => ../localz
                        """, "example.com/a");
            }
            case "go-test-modules" -> mainModule(app, "1.19", """
                    require (
                    \trsc.io/quote v1.5.2
                    \trsc.io/quote/v3 v3.0.0
                    )
                    """, "rsc.io/quote");
            case "workspace" ->
                workspace(
                        app,
                        "require example.com/a v1.0.0\n",
                        "require (\n\texample.com/b v1.0.0\n\texample.com/c v1.0.0\n)\n");
            // m2's y requires e v1.1.0, above m1's e v1.0.0: e v1.1.0 is loaded again, and its g joins the graph.
            case "workspace-upgrade" ->
                workspace(
                        app,
                        "require (\n\texample.com/a v1.0.0\n\texample.com/e v1.0.0\n)\n",
                        "require example.com/y v1.2.0\n");
            default -> throw new IllegalArgumentException(name);
        }
        ModuleGraph.Result computed = workspace
                ? ModuleGraph.loadWorkspace(
                        GoWorkFile.parse("go.work", Files.readAllBytes(app.resolve("go.work"))), app, source(tree))
                : ModuleGraph.load(
                        GoModFile.parse("go.mod", Files.readAllBytes(app.resolve("go.mod"))), app, source(tree));

        String goModBefore = workspace ? "" : Files.readString(app.resolve("go.mod"));
        try (TestUpstream upstream = TestUpstream.serve(tree.root())) {
            GoCommand go = new GoCommand(toolchain, tmp.resolve("go"))
                    .env("GOPROXY", upstream.uri().toString());
            if (workspace) {
                go.env("GOWORK", app.resolve("go.work").toString()).env("GOFLAGS", "");
            }
            String list = go.run(app, "list", "-m", "all").assertSuccess().output();
            go.run(app, "mod", "download", "all").assertSuccess();

            Set<String> mods = fetched(upstream, ".mod");
            Set<String> zips = fetched(upstream, ".zip");
            assertThat(mods).as("go.mod files fetched by " + toolchain).isEqualTo(names(computed.goMods()));
            assertThat(zips).as("zips fetched by " + toolchain).isEqualTo(names(computed.zips()));
            Set<String> printed = list.lines()
                    .skip(1)
                    .map(String::strip)
                    .filter(l -> l.contains(" ") && !l.startsWith("example.com/m"))
                    .map(l -> l.split(" ")[0] + "@" + l.split(" ")[1])
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(printed).as("go list -m all").isEqualTo(names(Set.copyOf(computed.buildList())));
        }
        if (!workspace) {
            assertThat(Files.readString(app.resolve("go.mod")))
                    .as("go.mod untouched by the go command")
                    .isEqualTo(goModBefore);
        }
    }

    private static Set<String> fetched(TestUpstream upstream, String ext) {
        return upstream.paths().stream()
                .filter(p -> p.endsWith(ext))
                .map(p -> p.substring(0, p.indexOf("/@v/")) + "@"
                        + p.substring(p.indexOf("/@v/") + 4, p.length() - ext.length()))
                .map(p -> ModuleEscaping.unescapePath(p.substring(0, p.indexOf('@'))) + "@"
                        + ModuleEscaping.unescapeVersion(p.substring(p.indexOf('@') + 1)))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> names(Set<ModuleVersion> mvs) {
        return mvs.stream().map(ModuleVersion::toString).collect(Collectors.toCollection(TreeSet::new));
    }

    private static ModuleGraph.GoModSource source(GoProxyTree tree) {
        return mv -> Files.readAllBytes(tree.file(mv.path().value(), mv.version(), ".mod"));
    }

    private static void workspace(Path app, String m1Requires, String m2Requires) throws IOException {
        Path m1 = Files.createDirectories(app.resolve("m1"));
        Path m2 = Files.createDirectories(app.resolve("m2"));
        Files.writeString(m1.resolve("go.mod"), "module example.com/m1\n\ngo 1.18\n\n" + m1Requires);
        Files.writeString(m1.resolve("m1.go"), "package m1\n\nimport _ \"example.com/a\"\n");
        Files.writeString(m2.resolve("go.mod"), "module example.com/m2\n\ngo 1.18\n\n" + m2Requires);
        Files.writeString(m2.resolve("m2.go"), "package m2\n");
        Files.writeString(app.resolve("go.work"), "go 1.18\n\nuse (\n\t./m1\n\t./m2\n)\n");
    }

    private static void mainModule(Path dir, String go, String requires, String imported) throws IOException {
        Files.writeString(
                dir.resolve("go.mod"),
                "module example.com/main\n\n" + (go == null ? "" : "go " + go + "\n\n") + requires);
        Files.writeString(dir.resolve("main.go"), "package main\n\nimport _ \"" + imported + "\"\n\nfunc main() {}\n");
    }

    /**
     * a (1.17) requires b v1.0.0 and c; b v1.0.0 (1.17) requires d v1.0.0; b v1.1.0 requires d v1.1.0;
     * c has no go line (unpruned) and requires e; e (1.17) requires f, e v1.1.0 g; d v1.0.0 requires g v1.1.0;
     * x requires g; y (the replacement of x and w) requires e v1.1.0.
     */
    static GoProxyTree upstream(Path root) throws IOException {
        GoProxyTree t = new GoProxyTree(root)
                .addGoTestModules(
                        "rsc.io_quote_v1.5.2.txt",
                        "rsc.io_quote_v3_v3.0.0.txt",
                        "rsc.io_sampler_v1.3.0.txt",
                        "golang.org_x_text_v0.0.0-20170915032832-14c0d48ead0c.txt");
        module(t, "example.com/a", "v1.0.0", "1.17", "example.com/b v1.0.0", "example.com/c v1.0.0");
        module(t, "example.com/b", "v1.0.0", "1.17", "example.com/d v1.0.0");
        module(t, "example.com/b", "v1.1.0", "1.17", "example.com/d v1.1.0");
        module(t, "example.com/c", "v1.0.0", null, "example.com/e v1.0.0");
        module(t, "example.com/e", "v1.0.0", "1.17", "example.com/f v1.0.0");
        module(t, "example.com/e", "v1.1.0", "1.17", "example.com/g v1.1.0");
        module(t, "example.com/f", "v1.0.0", null);
        module(t, "example.com/d", "v1.0.0", "1.17", "example.com/g v1.1.0");
        module(t, "example.com/d", "v1.1.0", "1.17");
        module(t, "example.com/g", "v1.1.0", null);
        module(t, "example.com/x", "v1.0.0", "1.17", "example.com/g v1.1.0");
        module(t, "example.com/w", "v1.0.0", "1.17");
        module(t, "example.com/y", "v1.2.0", "1.17", "example.com/e v1.1.0");
        return t;
    }

    private static void module(GoProxyTree t, String path, String version, String go, String... requires)
            throws IOException {
        StringBuilder mod = new StringBuilder("module " + path + "\n");
        if (go != null) {
            mod.append("\ngo ").append(go).append('\n');
        }
        if (requires.length > 0) {
            mod.append("\nrequire (\n");
            for (String r : requires) {
                mod.append('\t').append(r).append('\n');
            }
            mod.append(")\n");
        }
        String pkg = path.substring(path.lastIndexOf('/') + 1);
        Map<String, byte[]> files = new TreeMap<>();
        files.put("go.mod", mod.toString().getBytes(StandardCharsets.UTF_8));
        files.put(pkg + ".go", ("package " + pkg + "\n").getBytes(StandardCharsets.UTF_8));
        t.add(
                path,
                version,
                ("{\"Version\":\"" + version + "\",\"Time\":\"2024-01-01T00:00:00Z\"}")
                        .getBytes(StandardCharsets.UTF_8),
                mod.toString().getBytes(StandardCharsets.UTF_8),
                files);
    }
}
