package dev.granary.core.module;

import dev.granary.core.ProxyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The module graph the go command loads for a main module or a workspace, and what it downloads for
 * it: the go.mod of every module version whose requirements it reads, and the build list (one selected
 * version per module path) whose zips a build of {@code all} needs.
 *
 * <p>After cmd/go/internal/modload ({@code readModGraph}) and go.dev/ref/mod#graph-pruning:
 * <ul>
 *   <li>the main module's requirements are the roots; each root's go.mod is read;</li>
 *   <li>a main module at {@code go 1.17} or later has a <em>pruned</em> graph: a dependency's own
 *       requirements are followed only when that dependency's go.mod is older than 1.17 (it does not
 *       list all it needs), and from there everything is followed (<em>unpruned</em>); a main module
 *       older than 1.17 follows everything;</li>
 *   <li>every requirement read, followed or not, is a node of the graph; minimal version selection
 *       (go.dev/ref/mod#minimal-version-selection) picks the highest version of each path among them;</li>
 *   <li>the main module's {@code exclude} drops requirements of excluded versions, and its
 *       {@code replace} substitutes the go.mod (and the zip) of another module version; a directory
 *       replacement is read from disk when it is there and never downloaded;</li>
 *   <li>a workspace (go.work) has its modules as roots, each read with the pruning of its own go
 *       line; then the dependencies whose selected version is above what was required are loaded
 *       again at the selected version, until nothing changes (modload's {@code hasDepsInAll} loop).</li>
 * </ul>
 * {@code retract} plays no part in loading. go.mod files are read through a {@link GoModSource}, in
 * parallel.
 */
public final class ModuleGraph {

    /** Reads the go.mod file of a module version (from storage, or through the upstream). */
    @FunctionalInterface
    public interface GoModSource {
        byte[] goMod(ModuleVersion mv) throws IOException;
    }

    /**
     * What loading found.
     *
     * @param buildList the selected version of every module path in the graph except the main modules'
     * @param goMods    the module versions whose go.mod the go command downloads (replacements applied)
     * @param zips      the module versions whose zip a build of {@code all} downloads (replacements applied)
     */
    public record Result(List<ModuleVersion> buildList, Set<ModuleVersion> goMods, Set<ModuleVersion> zips) {}

    private enum Pruning {
        PRUNED,
        UNPRUNED,
        WORKSPACE
    }

    private record Key(ModuleVersion mv, Pruning pruning) {}

    private record Summary(List<ModuleVersion> require, Pruning pruning) {}

    /** A version's go.mod comes from a download, or from a local directory (never downloaded). */
    private record Target(ModuleVersion module, Path directory) {}

    private static final Comparator<ModuleVersion> ORDER = Comparator.<ModuleVersion, String>comparing(
                    m -> m.path().value())
            .thenComparing(ModuleVersion::version, Semver.ORDER);

    private final GoModSource source;
    private final Set<String> mainPaths;
    private final List<GoModFile.Replace> replaces;
    private final Map<GoModFile.Replace, Path> replaceBase;
    private final Set<ModuleVersion> excluded;
    private final Map<ModuleVersion, Summary> summaries = new ConcurrentHashMap<>();
    private final Map<String, String> selected = new HashMap<>();
    private final Map<ModuleVersion, List<ModuleVersion>> requiredBy = new HashMap<>();
    private final Set<Key> enqueued = new HashSet<>();
    private final Set<ModuleVersion> loaded = new LinkedHashSet<>();
    private final int parallelism;

    private ModuleGraph(
            GoModSource source,
            Set<String> mainPaths,
            Map<GoModFile.Replace, Path> replaces,
            Set<ModuleVersion> excluded,
            int parallelism) {
        this.source = source;
        this.mainPaths = mainPaths;
        this.replaces = List.copyOf(replaces.keySet());
        this.replaceBase = replaces;
        this.excluded = excluded;
        this.parallelism = parallelism;
    }

    /**
     * Loads the graph of a main module.
     *
     * @param main    its go.mod
     * @param mainDir the directory holding it (directory replacements are relative to it)
     */
    public static Result load(GoModFile main, Path mainDir, GoModSource source) {
        if (main.module() == null) {
            throw ProxyException.invalid("go.mod has no module directive");
        }
        Map<GoModFile.Replace, Path> replaces = new LinkedHashMap<>();
        main.replace().forEach(r -> replaces.put(r, mainDir));
        ModuleGraph g = new ModuleGraph(source, Set.of(main.module()), replaces, Set.copyOf(main.exclude()), 16);
        Pruning pruning = main.prunesGraph() ? Pruning.PRUNED : Pruning.UNPRUNED;
        List<ModuleVersion> roots = main.require().stream()
                .map(GoModFile.Require::version)
                .filter(v -> !g.excluded.contains(v))
                .toList();
        g.run(roots, pruning);
        return g.result();
    }

    /**
     * Loads the graph of a workspace.
     *
     * @param work    its go.work
     * @param workDir the directory holding it ({@code use} directories are relative to it)
     */
    public static Result loadWorkspace(GoWorkFile work, Path workDir, GoModSource source) throws IOException {
        Map<String, GoModFile> mains = new LinkedHashMap<>();
        Map<GoModFile.Replace, Path> replaces = new LinkedHashMap<>();
        work.replace().forEach(r -> replaces.put(r, workDir));
        Set<ModuleVersion> excluded = new HashSet<>();
        for (String use : work.use()) {
            Path dir = workDir.resolve(use).normalize();
            Path file = dir.resolve("go.mod");
            GoModFile mod = GoModFile.parse(file.toString(), Files.readAllBytes(file));
            if (mod.module() == null) {
                throw ProxyException.invalid(file + ": no module directive");
            }
            mains.put(mod.module(), mod);
            excluded.addAll(mod.exclude());
            for (GoModFile.Replace r : mod.replace()) {
                // go.work's own replacements win over a module's (go.dev/ref/mod#go-work-file-replace).
                boolean overridden = work.replace().stream()
                        .anyMatch(w -> w.oldPath().equals(r.oldPath())
                                && (w.oldVersion() == null || w.oldVersion().equals(r.oldVersion())));
                if (!overridden) {
                    replaces.putIfAbsent(r, dir);
                }
            }
        }
        ModuleGraph g = new ModuleGraph(source, mains.keySet(), replaces, excluded, 16);
        // modload, workspace mode: the roots are the workspace modules themselves, each read with the
        // pruning of its own go line, so their requirements are followed one level further than a
        // pruned main module's.
        List<Key> wave = new ArrayList<>();
        Map<String, List<ModuleVersion>> mainRequires = new LinkedHashMap<>();
        for (GoModFile mod : mains.values()) {
            List<ModuleVersion> req = mod.require().stream()
                    .map(GoModFile.Require::version)
                    .filter(v -> !excluded.contains(v))
                    .toList();
            mainRequires.put(mod.module(), req);
            Pruning p = mod.prunesGraph() ? Pruning.PRUNED : Pruning.UNPRUNED;
            for (ModuleVersion r : req) {
                g.select(r);
                if (g.enqueued.add(new Key(r, p))) {
                    wave.add(new Key(r, p));
                }
            }
        }
        g.drain(wave);
        g.workspaceReload(mainRequires);
        return g.result();
    }

    private void run(List<ModuleVersion> roots, Pruning pruning) {
        List<Key> wave = new ArrayList<>();
        for (ModuleVersion r : roots) {
            select(r);
            if (enqueued.add(new Key(r, pruning))) {
                wave.add(new Key(r, pruning));
            }
        }
        drain(wave);
    }

    /** Loads waves of keys until none is left; each wave's go.mod files are read in parallel. */
    private void drain(List<Key> wave) {
        while (!wave.isEmpty()) {
            readAll(wave.stream()
                    .map(Key::mv)
                    .filter(m -> !summaries.containsKey(m))
                    .distinct()
                    .toList());
            List<Key> next = new ArrayList<>();
            wave.sort(Comparator.comparing(Key::mv, ORDER).thenComparing(Key::pruning));
            for (Key k : wave) {
                Summary s = summaries.get(k.mv());
                if (loaded.add(k.mv())) {
                    // modload: mg.g.Require(m, summary.require): every requirement read is a node, followed or not.
                    requiredBy.put(k.mv(), s.require());
                    s.require().forEach(this::select);
                }
                if (k.pruning() != Pruning.PRUNED || s.pruning() == Pruning.UNPRUNED) {
                    Pruning nextPruning = k.pruning() == Pruning.UNPRUNED ? Pruning.UNPRUNED : s.pruning();
                    for (ModuleVersion r : s.require()) {
                        Key rk = new Key(r, nextPruning);
                        if (enqueued.add(rk)) {
                            next.add(rk);
                        }
                    }
                }
            }
            wave = next;
        }
    }

    /**
     * modload.readModGraph, workspace mode: a dependency (of a workspace module, then transitively)
     * whose selected version is above the one required is loaded again at the selected version,
     * until nothing changes.
     */
    private void workspaceReload(Map<String, List<ModuleVersion>> mainRequires) {
        Set<String> hasDepsInAll = new LinkedHashSet<>(mainRequires.keySet());
        Set<ModuleVersion> seen = new HashSet<>();
        while (true) {
            Set<ModuleVersion> needs = new TreeSet<>(ORDER);
            for (String p : hasDepsInAll) {
                List<ModuleVersion> reqs;
                if (mainRequires.containsKey(p)) {
                    reqs = mainRequires.get(p);
                } else {
                    ModuleVersion m = ModuleVersion.of(p, selected.get(p));
                    if (!seen.contains(m)) {
                        needs.add(m);
                        continue;
                    }
                    reqs = requiredBy.getOrDefault(m, List.of());
                }
                for (ModuleVersion r : reqs) {
                    String s = selected.get(r.path().value());
                    if (!mainPaths.contains(r.path().value()) && Semver.compare(s, r.version()) > 0) {
                        ModuleVersion sv = ModuleVersion.of(r.path().value(), s);
                        if (!seen.contains(sv)) {
                            needs.add(sv);
                        }
                    }
                }
            }
            if (needs.isEmpty()) {
                return;
            }
            List<Key> wave = new ArrayList<>();
            for (ModuleVersion m : needs) {
                seen.add(m);
                hasDepsInAll.add(m.path().value());
                Key k = new Key(m, Pruning.WORKSPACE);
                if (enqueued.add(k)) {
                    wave.add(k);
                }
            }
            drain(wave);
        }
    }

    private void select(ModuleVersion r) {
        selected.merge(r.path().value(), r.version(), (a, b) -> Semver.compare(a, b) >= 0 ? a : b);
    }

    private void readAll(List<ModuleVersion> mvs) {
        if (mvs.size() <= 1) {
            mvs.forEach(m -> summaries.put(m, read(m)));
            return;
        }
        try (ExecutorService ex = Executors.newFixedThreadPool(
                Math.min(parallelism, mvs.size()), Thread.ofVirtual().factory())) {
            List<Future<Summary>> fs =
                    mvs.stream().map(m -> ex.submit(() -> read(m))).toList();
            for (int i = 0; i < mvs.size(); i++) {
                summaries.put(mvs.get(i), fs.get(i).get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProxyException(ProxyException.Kind.INTERNAL, "interrupted loading the module graph");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new ProxyException(
                    ProxyException.Kind.INTERNAL, "loading the module graph: " + e.getCause(), e.getCause());
        }
    }

    /** modload.goModSummary: the go.mod of m's replacement (if any), minus requirements on excluded versions. */
    private Summary read(ModuleVersion m) {
        Target t = target(m);
        GoModFile mod;
        try {
            if (t.directory() != null) {
                Path f = t.directory().resolve("go.mod");
                if (!Files.isRegularFile(f)) {
                    // modload: a replacement directory without go.mod stands for a module with no requirements.
                    return new Summary(List.of(), Pruning.UNPRUNED);
                }
                mod = GoModFile.parse(f.toString(), Files.readAllBytes(f));
            } else {
                mod = GoModFile.parseLax(t.module() + " go.mod", source.goMod(t.module()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the go.mod of " + m + ": " + e.getMessage(), e);
        }
        List<ModuleVersion> req = mod.require().stream()
                .map(GoModFile.Require::version)
                .filter(v -> !excluded.contains(v))
                .toList();
        return new Summary(req, mod.prunesGraph() ? Pruning.PRUNED : Pruning.UNPRUNED);
    }

    /** modload.Replacement: an exact-version replacement wins over a path-wide one. */
    private Target target(ModuleVersion m) {
        GoModFile.Replace best = null;
        for (GoModFile.Replace r : replaces) {
            if (r.matches(m) && (best == null || (best.oldVersion() == null && r.oldVersion() != null))) {
                best = r;
            }
        }
        if (best == null) {
            return new Target(m, null);
        }
        if (best.isDirectory()) {
            return new Target(
                    null, replaceBase.get(best).resolve(best.newPath()).normalize());
        }
        return new Target(ModuleVersion.of(best.newPath(), best.newVersion()), null);
    }

    private Result result() {
        List<ModuleVersion> buildList = new ArrayList<>();
        new TreeMap<>(selected).forEach((path, version) -> {
            if (!mainPaths.contains(path)) {
                buildList.add(ModuleVersion.of(path, version));
            }
        });
        Set<ModuleVersion> zips = new TreeSet<>(ORDER);
        Set<ModuleVersion> goMods = new TreeSet<>(ORDER);
        for (ModuleVersion b : buildList) {
            Target t = target(b);
            if (t.module() != null) {
                zips.add(t.module());
                goMods.add(t.module());
            }
        }
        for (ModuleVersion m : loaded) {
            Target t = target(m);
            if (t.module() != null) {
                goMods.add(t.module());
            }
        }
        return new Result(List.copyOf(buildList), goMods, zips);
    }
}
