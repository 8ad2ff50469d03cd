package dev.granary.core.fetch;

import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobKey;

/**
 * Storage keys of module artifacts: the escaped GOPROXY paths, so a disk root is a valid
 * {@code GOPROXY=file://} tree. Besides the protocol's files, each committed version has a
 * {@code <version>.sum} file holding its two go.sum lines (zip and go.mod h1), written before the
 * {@code .info} commit marker.
 */
public final class ModuleKeys {
    private ModuleKeys() {
    }

    /** {@code <module>/@v}: the directory of a module's versions. */
    public static BlobKey versionsDir(ModulePath p) {
        return BlobKey.of(p.escaped() + "/@v");
    }

    public static BlobKey list(ModulePath p) {
        return BlobKey.of(p.escaped() + "/@v/list");
    }

    public static BlobKey info(ModuleVersion mv) {
        return artifact(mv, ".info");
    }

    public static BlobKey mod(ModuleVersion mv) {
        return artifact(mv, ".mod");
    }

    public static BlobKey zip(ModuleVersion mv) {
        return artifact(mv, ".zip");
    }

    public static BlobKey sum(ModuleVersion mv) {
        return artifact(mv, ".sum");
    }

    /** The upstream request path of a version artifact, such as {@code rsc.io/quote/@v/v1.5.2.zip}. */
    public static String path(ModuleVersion mv, String ext) {
        return mv.escapedPath() + "/@v/" + mv.escapedVersion() + ext;
    }

    private static BlobKey artifact(ModuleVersion mv, String ext) {
        return BlobKey.of(path(mv, ext));
    }

    /**
     * True for keys whose content never changes once written (versions, verified lookups and tiles,
     * pins), which caches in front of a shared store may keep. False for the mutable ones: the
     * derived {@code @v/list}, a checksum database's {@code latest} and fetch leases.
     */
    public static boolean isImmutable(BlobKey key) {
        String v = key.value();
        if (v.startsWith("leases/") || v.endsWith("/@v/list")) {
            return false;
        }
        return !(v.startsWith("sumdb/") && v.endsWith("/latest"));
    }
}
