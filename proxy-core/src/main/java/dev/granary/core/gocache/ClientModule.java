package dev.granary.core.gocache;

import dev.granary.core.fetch.ModuleService;
import dev.granary.core.fetch.VerifiedVersion;
import dev.granary.core.fetch.VersionChecks;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.TempFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Granary's GOCACHEPROG client ({@code tools/gocacheprog}) as a module version in Granary's own
 * storage, so that a runner with nothing but Go can install it from Granary:
 * <pre>
 * GOPROXY=http://granary:3000 GONOSUMDB=granary.dev/gocacheprog go install granary.dev/gocacheprog@v0.1.0
 * </pre>
 * The zip is made from the sources Granary ships, checked by the module zip rules and committed like
 * a fetched version ({@code .info} last). The version is pinned: a version, once published, never
 * changes, so new sources need a new {@link #VERSION} ({@code ClientModuleTest} holds the h1 of the
 * sources and fails when they change without it). It is not in any checksum database, hence
 * {@code GONOSUMDB}.
 */
public final class ClientModule {
    public static final String PATH = "granary.dev/gocacheprog";
    public static final String VERSION = "v0.1.0";
    /** The version's time in its {@code .info}. */
    public static final String TIME = "2026-11-27T00:00:00Z";
    /** The files of the module, as they are in {@code tools/gocacheprog}. */
    public static final List<String> FILES =
            List.of("go.mod", "main.go", "protocol.go", "protocol_test.go", "disk.go", "remote.go");

    private ClientModule() {}

    /** What publishing found. */
    public enum Outcome {
        /** Committed now. */
        PUBLISHED,
        /** The same content was already committed. */
        PRESENT,
        /** Other content is committed under this version: left alone (versions never change). */
        CONFLICT
    }

    public static ModuleVersion version() {
        return ModuleVersion.of(PATH, VERSION);
    }

    /** Writes the module zip of {@code files} (names relative to the module root). */
    public static void zip(Map<String, byte[]> files, Path zip) throws IOException {
        FileTime time = FileTime.from(Instant.parse(TIME));
        try (OutputStream out = Files.newOutputStream(zip);
                ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> f : new TreeMap<>(files).entrySet()) {
                ZipEntry e = new ZipEntry(PATH + "@" + VERSION + "/" + f.getKey());
                e.setLastModifiedTime(time);
                z.putNextEntry(e);
                z.write(f.getValue());
                z.closeEntry();
            }
        }
    }

    /** The go.sum lines of the module made of {@code files}. */
    public static GoSum sums(Map<String, byte[]> files, Path tmpDir) throws IOException {
        Path zip = TempFiles.create(tmpDir, "gocacheprog-zip");
        try {
            zip(files, zip);
            byte[] mod = files.get("go.mod");
            String modH1 = VersionChecks.checkMod(version(), mod, Optional.empty());
            return VersionChecks.checkZip(version(), zip, mod, modH1, Optional.empty());
        } finally {
            Files.deleteIfExists(zip);
        }
    }

    /**
     * Commits the module version made of {@code files} unless it is already there.
     *
     * @param tmpDir where the zip is made (the storage root, so that committing it can be a rename)
     */
    public static Outcome publish(ModuleService modules, Map<String, byte[]> files, Path tmpDir) throws IOException {
        ModuleVersion mv = version();
        byte[] mod = files.get("go.mod");
        if (mod == null) {
            throw new IllegalArgumentException("the client module has no go.mod");
        }
        Path zip = TempFiles.create(tmpDir, "gocacheprog-zip");
        try {
            zip(files, zip);
            String modH1 = VersionChecks.checkMod(mv, mod, Optional.empty());
            GoSum sums = VersionChecks.checkZip(mv, zip, mod, modH1, Optional.empty());
            if (modules.isStored(mv)) {
                return modules.goSum(mv).filter(s -> s.sameHashes(sums)).isPresent()
                        ? Outcome.PRESENT
                        : Outcome.CONFLICT;
            }
            byte[] info =
                    ("{\"Version\":\"" + VERSION + "\",\"Time\":\"" + TIME + "\"}\n").getBytes(StandardCharsets.UTF_8);
            VersionChecks.checkInfo(mv, info);
            modules.committer().commit(new VerifiedVersion(mv, info, mod, zip, sums));
            return Outcome.PUBLISHED;
        } finally {
            Files.deleteIfExists(zip);
        }
    }
}
