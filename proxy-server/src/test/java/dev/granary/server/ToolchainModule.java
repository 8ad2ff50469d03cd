package dev.granary.server;

import dev.granary.core.module.GoPlatform;
import dev.granary.core.module.GoVersion;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.testing.BuildDir;
import dev.granary.core.testing.GoToolchain;
import dev.granary.core.testing.GoToolchains;
import dev.granary.core.toolchain.Toolchains;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A Go toolchain module ({@code golang.org/toolchain@v0.0.1-go<version>.linux-amd64}) as a GOPROXY tree,
 * for the tests of toolchain switching: built once per build (under {@code target}, reused by every test
 * class) from Debian's Go ({@link GoToolchains#debian()}, 1.19.8 on this machine), which predates
 * switching, so the newer go command switches to it.
 *
 * <p>The layout is cmd/distpack's for toolchain modules: {@code bin/go}, {@code bin/gofmt}, the build
 * tools distpack keeps under {@code pkg/tool/linux_amd64}, {@code lib/} and {@code VERSION}. Sources
 * ({@code src/}, the largest part) are left out: the switch runs {@code bin/go} and never reads them
 * ({@code go version} and {@code go env} do not). {@code pkg/tool} and {@code lib} must be there: after
 * unpacking, the go command walks both to set execute bits and fails when either is missing
 * (cmd/go/internal/toolchain/select.go, Exec). Debian's tree has no {@code lib/}, so the time zone
 * database of the current Go's tree stands in ({@code lib/time/zoneinfo.zip}).
 */
final class ToolchainModule {
    /** Build tools cmd/distpack keeps under pkg/tool (those Go 1.19 has). */
    private static final List<String> TOOLS = List.of("asm", "cgo", "compile", "cover", "fix", "link", "vet");

    private static ToolchainModule built;

    private final GoToolchain packaged;
    private final String version;
    private final ModuleVersion module;
    private final Path tree;

    private ToolchainModule(GoToolchain packaged, String version, ModuleVersion module, Path tree) {
        this.packaged = packaged;
        this.version = version;
        this.module = module;
        this.tree = tree;
    }

    /** The toolchain module, built on first use in this build. */
    static synchronized ToolchainModule get() throws IOException {
        if (built == null) {
            built = build();
        }
        return built;
    }

    private static ToolchainModule build() throws IOException {
        GoToolchain packaged = GoToolchains.debian();
        String version = GoVersion.strip(packaged.version());
        ModuleVersion module = Toolchains.moduleVersion(version, GoPlatform.LINUX_AMD64);
        Path tree = BuildDir.root().resolve("toolchain-module/go" + version);
        if (Files.exists(tree.resolve("complete"))) {
            return new ToolchainModule(packaged, version, module, tree);
        }
        Path building = Files.createTempDirectory(BuildDir.dir("toolchain-module"), ".building-");
        Path goroot = packaged.binDir().getParent();
        List<String> files = new ArrayList<>(List.of("VERSION", "bin/go", "bin/gofmt"));
        TOOLS.forEach(t -> files.add("pkg/tool/linux_amd64/" + t));
        Path dir = Files.createDirectories(building.resolve("golang.org/toolchain/@v"));
        String prefix = module.path().value() + "@" + module.version() + "/";
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(dir.resolve(module.version() + ".zip")))) {
            z.setLevel(Deflater.BEST_SPEED);
            for (String f : files) {
                z.putNextEntry(new ZipEntry(prefix + f));
                Files.copy(goroot.resolve(f), z);
                z.closeEntry();
            }
            z.putNextEntry(new ZipEntry(prefix + "lib/time/zoneinfo.zip"));
            Files.copy(GoToolchains.all().get(0).binDir().getParent().resolve("lib/time/zoneinfo.zip"), z);
            z.closeEntry();
        }
        // What cmd/distpack writes beside the zip.
        Files.writeString(dir.resolve(module.version() + ".mod"), "module golang.org/toolchain\n");
        Files.writeString(
                dir.resolve(module.version() + ".info"),
                "{\"Version\":\"" + module.version() + "\", \"Time\":\"2023-04-04T17:30:31Z\"}\n");
        Files.writeString(dir.resolve("list"), module.version() + "\n");
        Files.writeString(building.resolve("complete"), "");
        // An incomplete tree is what a build that died left.
        GocacheRig.delete(tree);
        Files.move(building, tree, StandardCopyOption.ATOMIC_MOVE);
        return new ToolchainModule(packaged, version, module, tree);
    }

    /** The Go packaged as a toolchain module. */
    GoToolchain packaged() {
        return packaged;
    }

    /** Its version without the go prefix: {@code 1.19.8}. */
    String version() {
        return version;
    }

    /** {@code golang.org/toolchain@v0.0.1-go<version>.linux-amd64}. */
    ModuleVersion module() {
        return module;
    }

    /** The GOPROXY tree holding the module alone (read-only: copy it with {@link #copyInto} to add modules). */
    Path tree() {
        return tree;
    }

    /** The zip's size. */
    long zipBytes() throws IOException {
        return Files.size(tree.resolve("golang.org/toolchain/@v/" + module.version() + ".zip"));
    }

    /** Copies the module's files into another GOPROXY tree. */
    void copyInto(Path other) throws IOException {
        Path from = tree.resolve("golang.org/toolchain/@v");
        Path to = Files.createDirectories(other.resolve("golang.org/toolchain/@v"));
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
