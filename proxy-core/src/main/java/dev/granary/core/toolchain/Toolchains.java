package dev.granary.core.toolchain;

import dev.granary.core.ProxyException;
import dev.granary.core.fetch.ModuleService;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoPlatform;
import dev.granary.core.module.GoVersion;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.protocol.Artifact;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go toolchains as modules ({@code golang.org/toolchain@v0.0.1-go1.26.3.linux-amd64}), what the go
 * command downloads when {@code GOTOOLCHAIN} (or a go.mod {@code toolchain} line) asks for a newer Go
 * (cmd/go/internal/toolchain). They flow through the ordinary module pipeline (fetched once, zip rules,
 * h1 against the checksum database, which the go command insists on for toolchains whatever GONOSUMDB
 * says, served zero-copy); this class names them and fills the mirror ahead of need.
 *
 * <p>A prefetch of versions V for platforms P commits the zip of every (V, P), and for every V the
 * {@code .info} of its linux-amd64 build (recorded apart when that zip is not wanted): the go command
 * checks that a toolchain exists by that {@code .info}, on every platform.
 */
public final class Toolchains {
    /** The module toolchains are published as. */
    public static final ModulePath MODULE = ModulePath.parse(StorageLayout.TOOLCHAIN_MODULE);
    /** cmd/go/internal/toolchain: {@code v0.0.1-<gotoolchain>.<goos>-<goarch>}. */
    private static final Pattern VERSION = Pattern.compile("v0\\.0\\.1-go(.+)\\.([a-z0-9]+)-([a-z0-9]+)");

    /** A toolchain module version taken apart. */
    public record Toolchain(String goVersion, GoPlatform platform) {
        /** {@code golang.org/toolchain@v0.0.1-go<goVersion>.<goos>-<goarch>}. */
        public ModuleVersion moduleVersion() {
            return Toolchains.moduleVersion(goVersion, platform);
        }
    }

    /**
     * What a prefetch covers.
     *
     * @param goVersions the Go versions the specs resolved to ({@code 1.26.3})
     * @param zips       the versions whose zip is committed: every Go version for every platform asked for
     * @param infos      the linux-amd64 version of every Go version: its {@code .info} is recorded
     * @param problems   specs that named no toolchain
     */
    public record Selection(
            List<String> goVersions, List<ModuleVersion> zips, List<ModuleVersion> infos, List<String> problems) {}

    /** What a prefetch did for one version: its zip committed or its {@code .info} recorded, or why not. */
    public record Outcome(ModuleVersion version, boolean zip, Optional<String> failure) {}

    private final ModuleService modules;

    public Toolchains(ModuleService modules) {
        this.modules = modules;
    }

    /** {@code golang.org/toolchain@v0.0.1-go1.26.3.linux-amd64} for Go 1.26.3 on linux/amd64. */
    public static ModuleVersion moduleVersion(String goVersion, GoPlatform platform) {
        return ModuleVersion.of(MODULE.value(), "v0.0.1-go" + GoVersion.strip(goVersion) + "." + platform.dashed());
    }

    /** The Go version and platform of a toolchain module version, or empty for other versions. */
    public static Optional<Toolchain> parse(String moduleVersion) {
        Matcher m = VERSION.matcher(moduleVersion);
        if (!m.matches() || !GoVersion.isValid(m.group(1))) {
            return Optional.empty();
        }
        return Optional.of(new Toolchain(m.group(1), new GoPlatform(m.group(2), m.group(3))));
    }

    /** The toolchains the upstream (and storage) list, parsed. */
    public List<Toolchain> listed() {
        String text;
        try (Artifact a = modules.list(MODULE)) {
            text = new String(a.blob().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ProxyException(
                    ProxyException.Kind.STORAGE_UNAVAILABLE, "reading the toolchain list: " + e.getMessage(), e);
        }
        List<Toolchain> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            parse(line.strip()).ifPresent(out::add);
        }
        return out;
    }

    /** The toolchains stored here: committed versions and recorded existence {@code .info}s. */
    public List<Toolchain> stored(BlobStore store) throws IOException {
        List<Toolchain> out = new ArrayList<>();
        for (String v : modules.storedVersions(MODULE)) {
            parse(v).ifPresent(out::add);
        }
        for (BlobKey k : store.list(StorageLayout.toolchainsDir())) {
            StorageLayout.versionOfToolchainInfo(k)
                    .flatMap(mv -> parse(mv.version()))
                    .ifPresent(out::add);
        }
        return out;
    }

    /**
     * Resolves version specs ({@code 1.26.3}, {@code go1.26.3}, {@code 1.26.x} = the newest 1.26 release)
     * against the listed toolchains.
     */
    public Selection select(List<String> versionSpecs, List<GoPlatform> platforms) {
        return select(versionSpecs, platforms, listed());
    }

    /** {@link #select(List, List)} against the given toolchains (the stored ones, for an offline export). */
    public static Selection select(List<String> versionSpecs, List<GoPlatform> platforms, List<Toolchain> listed) {
        Set<String> available = new LinkedHashSet<>();
        for (Toolchain t : listed) {
            available.add(t.goVersion());
        }
        List<String> goVersions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String spec : versionSpecs) {
            Optional<String> v = GoVersion.resolve(spec, available);
            if (v.isEmpty()) {
                problems.add("no toolchain matches " + spec);
            } else if (!goVersions.contains(v.get())) {
                goVersions.add(v.get());
            }
        }
        List<ModuleVersion> zips = new ArrayList<>();
        List<ModuleVersion> infos = new ArrayList<>();
        for (String v : goVersions) {
            infos.add(moduleVersion(v, GoPlatform.LINUX_AMD64));
            for (GoPlatform p : platforms) {
                zips.add(moduleVersion(v, p));
            }
        }
        return new Selection(goVersions, zips, infos, problems);
    }

    /** Records every existence {@code .info} and commits every zip of the selection; one outcome each. */
    public List<Outcome> prefetch(Selection selection) {
        List<Outcome> out = new ArrayList<>();
        for (ModuleVersion mv : selection.infos()) {
            try {
                modules.info(mv).close();
                out.add(new Outcome(mv, false, Optional.empty()));
            } catch (ProxyException e) {
                out.add(new Outcome(mv, false, Optional.of(e.getMessage())));
            } catch (IOException e) {
                out.add(new Outcome(mv, false, Optional.of(e.toString())));
            }
        }
        for (ModuleVersion mv : selection.zips()) {
            try {
                modules.ensureVersion(mv);
                out.add(new Outcome(mv, true, Optional.empty()));
            } catch (ProxyException e) {
                out.add(new Outcome(mv, true, Optional.of(e.getMessage())));
            }
        }
        return out;
    }

    /**
     * The storage keys a snapshot carries for a selection: for each zip its version's artifacts
     * ({@code .zip}, {@code .mod}, {@code .sum}, {@code .info}, in commit order), and for each existence
     * {@code .info} that is not a committed version, its record ({@code toolchains/<version>.info}).
     * Checksum-database proofs (lookups and tiles) come with the versions as for every module.
     */
    public List<BlobKey> keys(Selection selection) {
        List<BlobKey> out = new ArrayList<>();
        for (ModuleVersion mv : selection.zips()) {
            if (modules.isStored(mv)) {
                out.addAll(List.of(
                        StorageLayout.zip(mv), StorageLayout.mod(mv), StorageLayout.sum(mv), StorageLayout.info(mv)));
            }
        }
        for (ModuleVersion mv : selection.infos()) {
            if (!modules.isStored(mv) && modules.recordedToolchainInfo(mv).isPresent()) {
                out.add(StorageLayout.toolchainInfo(mv));
            }
        }
        return out;
    }
}
