package dev.granary.core.testing;

import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.PseudoVersion;
import dev.granary.core.module.Semver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds a GOPROXY directory tree ({@code <escaped module>/@v/list|<v>.info|.mod|.zip}) from the real
 * test modules that ship with Go ({@code $GOROOT/src/cmd/go/testdata/mod/*.txt}), the way the go
 * command's own test proxy serves them. Used as an upstream by the tests (over HTTP or file://).
 */
public final class GoProxyTree {
    /** Go's test modules on this machine (Debian golang-go). */
    public static final Path GO_TEST_MODULES = Path.of("/usr/lib/go-1.19/src/cmd/go/testdata/mod");

    private static final Pattern MODULE = Pattern.compile("(?m)^module\\s+\"?([^\"\\s]+)\"?");
    private static final Pattern VERSION = Pattern.compile("\"Version\"\\s*:\\s*\"([^\"]+)\"");

    /** One module version written to the tree. */
    public record Entry(String module, String version, byte[] info, byte[] mod, Path zip) {}

    private final Path root;
    private final Map<String, TreeSet<String>> versions = new TreeMap<>();
    private final List<Entry> entries = new ArrayList<>();

    public GoProxyTree(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Adds Go test modules by archive file name, e.g. {@code rsc.io_quote_v1.5.2.txt}. */
    public GoProxyTree addGoTestModules(String... archiveNames) throws IOException {
        for (String n : archiveNames) {
            addTxtar(Txtar.parse(Files.readAllBytes(GO_TEST_MODULES.resolve(n))));
        }
        return this;
    }

    /** Adds one module version from a txtar archive: {@code .mod}, {@code .info}, then the zip's files. */
    public Entry addTxtar(Txtar t) throws IOException {
        byte[] modSection = t.file(".mod").data();
        Matcher mm = MODULE.matcher(new String(modSection, StandardCharsets.UTF_8));
        if (!mm.find()) {
            throw new IllegalArgumentException("no module line in .mod");
        }
        String module = mm.group(1);
        byte[] info = t.file(".info").data();
        Matcher vm = VERSION.matcher(new String(info, StandardCharsets.UTF_8));
        if (!vm.find()) {
            throw new IllegalArgumentException("no Version in .info");
        }
        String version = vm.group(1);
        Map<String, byte[]> files = new TreeMap<>();
        for (Txtar.File f : t.files()) {
            if (!f.name().startsWith(".")) {
                files.put(f.name(), f.data());
            }
        }
        // A real proxy serves the zip's go.mod as the .mod when there is one.
        byte[] mod = files.getOrDefault("go.mod", modSection);
        return add(module, version, info, mod, files);
    }

    /** Adds a module version with the given zip files (names relative to the module root). */
    public Entry add(String module, String version, byte[] info, byte[] mod, Map<String, byte[]> files)
            throws IOException {
        Path dir = versionsDir(module);
        Files.createDirectories(dir);
        String ev = ModuleEscaping.escapeVersion(version);
        Files.write(dir.resolve(ev + ".info"), info);
        Files.write(dir.resolve(ev + ".mod"), mod);
        Path zip = dir.resolve(ev + ".zip");
        try (OutputStream out = Files.newOutputStream(zip);
                ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                z.putNextEntry(new ZipEntry(module + "@" + version + "/" + f.getKey()));
                z.write(f.getValue());
                z.closeEntry();
            }
        }
        versions.computeIfAbsent(module, k -> new TreeSet<>()).add(version);
        writeList(module);
        Entry e = new Entry(module, version, info, mod, zip);
        entries.add(e);
        return e;
    }

    /** A simple module version with one Go file, for tests that need many distinct versions. */
    public Entry addSimple(String module, String version) throws IOException {
        String info = "{\"Version\":\"" + version + "\",\"Time\":\"2024-01-01T00:00:00Z\"}";
        String mod = "module " + module + "\n";
        String pkg = module.substring(module.lastIndexOf('/') + 1).replaceAll("[^a-zA-Z]", "");
        Map<String, byte[]> files = new TreeMap<>();
        files.put("go.mod", mod.getBytes(StandardCharsets.UTF_8));
        files.put(
                pkg + ".go",
                ("package " + (pkg.isEmpty() ? "p" : pkg)
                                + "\n\n// Version is this module's version.\nconst Version = \"" + version + "\"\n")
                        .getBytes(StandardCharsets.UTF_8));
        return add(module, version, info.getBytes(StandardCharsets.UTF_8), mod.getBytes(StandardCharsets.UTF_8), files);
    }

    /**
     * A module version whose zip holds its go.mod and {@code bytes} of incompressible data drawn from
     * {@code random}: for tests that need fetches, commits or transfers to take a while.
     */
    public Entry addIncompressible(String module, String version, int bytes, Random random) throws IOException {
        byte[] blob = new byte[bytes];
        random.nextBytes(blob);
        byte[] mod = ("module " + module + "\n").getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = new TreeMap<>();
        files.put("go.mod", mod);
        files.put("data.bin", blob);
        return add(module, version, ("{\"Version\":\"" + version + "\"}").getBytes(StandardCharsets.UTF_8), mod, files);
    }

    public Path versionsDir(String module) {
        return root.resolve(ModuleEscaping.escapePath(module)).resolve("@v");
    }

    public Path file(String module, String version, String ext) {
        return versionsDir(module).resolve(ModuleEscaping.escapeVersion(version) + ext);
    }

    private void writeList(String module) throws IOException {
        StringBuilder b = new StringBuilder();
        List<String> vs = new ArrayList<>(versions.get(module));
        vs.sort(Semver.ORDER);
        for (String v : vs) {
            if (!PseudoVersion.isPseudoVersion(v)) {
                b.append(v).append('\n');
            }
        }
        Files.writeString(versionsDir(module).resolve("list"), b.toString());
    }
}
