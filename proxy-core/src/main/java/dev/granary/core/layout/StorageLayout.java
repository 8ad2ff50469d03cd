package dev.granary.core.layout;

import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobKey;

/**
 * Every key Granary writes, in one place. The layout is the GOPROXY URL space, case-escaped as the
 * {@code go} command sends it, so a disk root is a valid {@code GOPROXY=file://} tree (checksum
 * database included) and a snapshot is a subset of it:
 * <pre>
 * &lt;module&gt;/@v/&lt;version&gt;.info          commit marker: a version exists iff its .info does
 * &lt;module&gt;/@v/&lt;version&gt;.mod           the go.mod served for the version
 * &lt;module&gt;/@v/&lt;version&gt;.zip           the module zip
 * &lt;module&gt;/@v/&lt;version&gt;.sum           its two go.sum lines (zip and go.mod h1), written before .info
 * &lt;module&gt;/@v/list                    tagged stored versions, derived, rewritten on every commit
 * pins/&lt;module&gt;/@v/&lt;version&gt;.sum      private modules: go.sum lines of the first fetch
 * leases/&lt;module&gt;/@v/&lt;version&gt;        cross-replica fetch leases (S3), never cached
 * sumdb/&lt;name&gt;/supported              empty: answers the go command's probe of a file:// tree
 * sumdb/&lt;name&gt;/latest                 newest verified signed tree head (mutable)
 * sumdb/&lt;name&gt;/lookup/&lt;module&gt;@&lt;ver&gt;  verified lookup answers
 * sumdb/&lt;name&gt;/tile/8/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;] authenticated hash tiles
 * snapshots/&lt;id&gt;/MANIFEST.json         an imported snapshot's manifest: written last, marks the import done
 * snapshots/&lt;id&gt;/SHA256SUMS            its checksum list, and SHA256SUMS.asc its signature (provenance)
 * snapshots/&lt;id&gt;/journal               an import in progress: what to undo or redo after a crash
 * leases/snapshot-import               the one import running on this storage, with its heartbeat
 * </pre>
 * A database name may contain a path ({@code localhost.localdev/sumdb}). Keys outside this list are
 * {@link KeyKind#OTHER}. Commit order within a version is zip, mod, sum, info.
 */
public final class StorageLayout {
    private static final String PINS = "pins/";
    private static final String LEASES = "leases/";
    private static final String SUMDB = "sumdb/";
    private static final String SNAPSHOTS = "snapshots/";

    private StorageLayout() {
    }

    // ---- module artifacts ----------------------------------------------------------------------

    /** {@code <module>/@v}: the directory of a module's versions. */
    public static BlobKey versionsDir(ModulePath p) {
        return BlobKey.of(p.escaped() + "/@v");
    }

    public static BlobKey list(ModulePath p) {
        return BlobKey.of(p.escaped() + "/@v/list");
    }

    public static BlobKey info(ModuleVersion mv) {
        return BlobKey.of(path(mv, ".info"));
    }

    public static BlobKey mod(ModuleVersion mv) {
        return BlobKey.of(path(mv, ".mod"));
    }

    public static BlobKey zip(ModuleVersion mv) {
        return BlobKey.of(path(mv, ".zip"));
    }

    public static BlobKey sum(ModuleVersion mv) {
        return BlobKey.of(path(mv, ".sum"));
    }

    /** The GOPROXY path of a version artifact, such as {@code rsc.io/quote/@v/v1.5.2.zip}; also its key. */
    public static String path(ModuleVersion mv, String ext) {
        return mv.escapedPath() + "/@v/" + mv.escapedVersion() + ext;
    }

    /** True when {@code key} is a {@code .info} directly in {@code versionsDir}: the commit marker of a version. */
    public static boolean isInfo(BlobKey key, BlobKey versionsDir) {
        return key.name().endsWith(".info") && key.parent().map(versionsDir::equals).orElse(false);
    }

    // ---- private-module pins and leases --------------------------------------------------------

    public static BlobKey pin(ModuleVersion mv) {
        return BlobKey.of(PINS + path(mv, ".sum"));
    }

    public static BlobKey lease(ModuleVersion mv) {
        return BlobKey.of(LEASES + path(mv, ""));
    }

    // ---- checksum databases --------------------------------------------------------------------

    /** {@code sumdb/<name>}: everything stored for one checksum database. */
    public static BlobKey sumdbDir(String name) {
        return BlobKey.of(SUMDB + name);
    }

    /** {@code sumdb/<name>/<path>} where path is {@code supported}, {@code latest}, {@code lookup/...} or {@code tile/...}. */
    public static BlobKey sumdb(String name, String path) {
        return BlobKey.of(SUMDB + name + "/" + path);
    }

    public static BlobKey sumdbLookup(String name, ModuleVersion mv) {
        return sumdb(name, "lookup/" + mv.escapedPath() + "@" + mv.escapedVersion());
    }

    // ---- imported snapshots --------------------------------------------------------------------

    /** {@code snapshots}: the records and journals of imported snapshots. */
    public static BlobKey snapshotsDir() {
        return BlobKey.of("snapshots");
    }

    /** {@code snapshots/<id>/<name>}: a file of an imported snapshot's record ({@code MANIFEST.json}, {@code SHA256SUMS}, ...). */
    public static BlobKey snapshotFile(String id, String name) {
        return BlobKey.of(SNAPSHOTS + id + "/" + name);
    }

    /** {@code snapshots/<id>/journal}: the journal of an import of snapshot {@code id} in progress. */
    public static BlobKey snapshotJournal(String id) {
        return BlobKey.of(SNAPSHOTS + id + "/journal");
    }

    /** {@code leases/snapshot-import}: held by the one import publishing into this storage. */
    public static BlobKey snapshotImportLock() {
        return BlobKey.of(LEASES + "snapshot-import");
    }

    // ---- classification ------------------------------------------------------------------------

    /** What a key holds, by its shape alone. */
    public static KeyKind kindOf(BlobKey key) {
        String v = key.value();
        if (v.startsWith(LEASES)) {
            return KeyKind.LEASE;
        }
        if (v.startsWith(SNAPSHOTS)) {
            return v.endsWith("/journal") ? KeyKind.SNAPSHOT_JOURNAL : KeyKind.SNAPSHOT;
        }
        if (v.startsWith(SUMDB)) {
            if (v.contains("/lookup/")) {
                return KeyKind.SUMDB_LOOKUP;
            }
            if (v.contains("/tile/")) {
                return KeyKind.SUMDB_TILE;
            }
            if (v.endsWith("/latest")) {
                return KeyKind.SUMDB_LATEST;
            }
            if (v.endsWith("/supported")) {
                return KeyKind.SUMDB_SUPPORTED;
            }
            return KeyKind.OTHER;
        }
        if (!v.contains("/@v/")) {
            return KeyKind.OTHER;
        }
        if (v.startsWith(PINS)) {
            return v.endsWith(".sum") ? KeyKind.PIN : KeyKind.OTHER;
        }
        if (v.endsWith("/@v/list")) {
            return KeyKind.LIST;
        }
        int dot = v.lastIndexOf('.');
        return switch (dot < 0 ? "" : v.substring(dot + 1)) {
            case "info" -> KeyKind.INFO;
            case "mod" -> KeyKind.MOD;
            case "zip" -> KeyKind.ZIP;
            case "sum" -> KeyKind.SUM;
            default -> KeyKind.OTHER;
        };
    }

    /** The metrics label of a GOPROXY request path: a key kind's label, or {@code latest}. */
    public static String label(String path) {
        if (path.endsWith("/@latest")) {
            return "latest";
        }
        return BlobKey.isValid(path) ? kindOf(BlobKey.of(path)).label() : KeyKind.OTHER.label();
    }

    /** True for keys whose content never changes once written; caches in front of a shared store keep only these. */
    public static boolean isImmutable(BlobKey key) {
        return kindOf(key).immutable();
    }
}
