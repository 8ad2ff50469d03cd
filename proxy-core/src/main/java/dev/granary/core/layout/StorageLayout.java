package dev.granary.core.layout;

import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobKey;
import java.util.Optional;
import java.util.regex.Pattern;

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
 * access/&lt;module&gt;/@v/&lt;version&gt;        when the version was last requested (retention), at most daily
 * quarantine/&lt;stamp&gt;/&lt;key&gt;           what fsck found corrupt, moved aside (never served)
 * toolchains/&lt;version&gt;.info        golang.org/toolchain versions known to exist (the go command's
 *                                   existence check asks for linux-amd64 on every platform)
 * dl/&lt;filename&gt;                     Go release archives (go1.26.3.linux-amd64.tar.gz), verified
 * dl/&lt;filename&gt;.asc                 their detached OpenPGP signatures
 * dl/&lt;filename&gt;.sha256              their SHA-256 (hex): the commit marker of an archive
 * dl/listing.json, listing-all.json the release listing (?mode=json, and with include=all)
 * dl/signing-key.asc                the release signing key, when obtained from its URL
 * snapshots/&lt;id&gt;/MANIFEST.json         an imported snapshot's manifest: written last, marks the import done
 * snapshots/&lt;id&gt;/SHA256SUMS            its checksum list, and SHA256SUMS.asc its signature (provenance)
 * snapshots/&lt;id&gt;/journal               an import in progress: what to undo or redo after a crash
 * snapshots/&lt;id&gt;/staged/&lt;key&gt;          what an import in progress will put at &lt;key&gt; in place of what is there
 * leases/snapshot-import               the one import running on this storage, with its heartbeat
 * gocache/bundles/&lt;id&gt;.tar.zst        pre-warm bundles of build cache entries (replaced on publish)
 * gocache/bundles/&lt;id&gt;.tar.zst.asc    their detached OpenPGP signatures
 * gocache/bundles/index.json          the list of bundles
 * gocache/actions/&lt;aa&gt;/&lt;action id&gt;    remote build cache: action entry naming an output (replaceable)
 * gocache/outputs/&lt;oo&gt;/&lt;output id&gt;    remote build cache: output, named by its SHA-256 (immutable)
 * </pre>
 * A database name may contain a path ({@code localhost.localdev/sumdb}). {@code gocache/} cannot clash
 * with a module path (a module path's first element has a dot). Keys outside this list are
 * {@link KeyKind#OTHER}. Commit order within a version is zip, mod, sum, info; within a release
 * archive it is archive, .asc, .sha256. The {@code dl/} subtree is also a static mirror: a web server
 * whose root is the storage root serves {@code /dl/<filename>} as the release site does.
 */
public final class StorageLayout {
    private static final String PINS = "pins/";
    private static final String LEASES = "leases/";
    private static final String SUMDB = "sumdb/";
    private static final String SNAPSHOTS = "snapshots/";
    private static final String GOCACHE_BUNDLES = "gocache/bundles/";
    private static final String GOCACHE_ACTIONS = "gocache/actions/";
    private static final String GOCACHE_OUTPUTS = "gocache/outputs/";
    private static final String BUNDLE_SUFFIX = ".tar.zst";
    private static final String SIGNATURE_SUFFIX = ".asc";
    private static final Pattern BUNDLE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern CACHE_ID = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern BUNDLE_NAME = Pattern.compile("[0-9a-f]{32}\\.tar\\.zst");
    private static final Pattern SIGNATURE_NAME = Pattern.compile("[0-9a-f]{32}\\.tar\\.zst\\.asc");
    /** {@code <aa>/<id>}: the directory is the ID's first byte. */
    private static final Pattern CACHE_ENTRY = Pattern.compile("([0-9a-f]{2})/\\1[0-9a-f]{62}");

    private static final String ACCESS = "access/";
    private static final String QUARANTINE = "quarantine/";
    private static final String TOOLCHAINS = "toolchains/";
    /** The module the go command downloads toolchains as (cmd/go/internal/toolchain). */
    public static final String TOOLCHAIN_MODULE = "golang.org/toolchain";

    private static final String DL = "dl/";
    private static final String DL_LISTING = "listing.json";
    private static final String DL_LISTING_ALL = "listing-all.json";
    private static final String DL_SIGNING_KEY = "signing-key.asc";

    private StorageLayout() {}

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

    /**
     * The version whose commit marker {@code key} is, or empty when {@code key} is not a version's
     * {@code .info} (pins, quarantine and other families are not versions; neither are malformed names).
     */
    public static Optional<ModuleVersion> versionOfInfo(BlobKey key) {
        if (kindOf(key) != KeyKind.INFO) {
            return Optional.empty();
        }
        String v = key.value();
        int at = v.lastIndexOf("/@v/");
        if (at <= 0) {
            return Optional.empty();
        }
        String version = v.substring(at + "/@v/".length(), v.length() - ".info".length());
        if (version.contains("/")) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModuleVersion.of(
                    ModuleEscaping.unescapePath(v.substring(0, at)), ModuleEscaping.unescapeVersion(version)));
        } catch (ProxyException e) {
            return Optional.empty();
        }
    }

    /** True when {@code key} is a {@code .info} directly in {@code versionsDir}: the commit marker of a version. */
    public static boolean isInfo(BlobKey key, BlobKey versionsDir) {
        return key.name().endsWith(".info")
                && key.parent().map(versionsDir::equals).orElse(false);
    }

    // ---- private-module pins and leases --------------------------------------------------------

    public static BlobKey pin(ModuleVersion mv) {
        return BlobKey.of(PINS + path(mv, ".sum"));
    }

    public static BlobKey lease(ModuleVersion mv) {
        return BlobKey.of(LEASES + path(mv, ""));
    }

    // ---- retention and repair ------------------------------------------------------------------

    /** {@code access}: the last-request records of every version. */
    public static BlobKey accessDir() {
        return BlobKey.of(ACCESS.substring(0, ACCESS.length() - 1));
    }

    /** {@code access/<module>/@v/<version>}: when the version was last requested. */
    public static BlobKey access(ModuleVersion mv) {
        return BlobKey.of(ACCESS + path(mv, ""));
    }

    /** The version an {@code access/...} key records, or empty for any other key. */
    public static Optional<ModuleVersion> versionOfAccess(BlobKey key) {
        if (kindOf(key) != KeyKind.ACCESS) {
            return Optional.empty();
        }
        String v = key.value().substring(ACCESS.length());
        int at = v.lastIndexOf("/@v/");
        if (at <= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModuleVersion.of(
                    ModuleEscaping.unescapePath(v.substring(0, at)),
                    ModuleEscaping.unescapeVersion(v.substring(at + "/@v/".length()))));
        } catch (ProxyException e) {
            return Optional.empty();
        }
    }

    /** {@code quarantine}: everything fsck moved aside. */
    public static BlobKey quarantineDir() {
        return BlobKey.of(QUARANTINE.substring(0, QUARANTINE.length() - 1));
    }

    /** {@code quarantine/<stamp>/<original key>}: where a corrupt object is kept for inspection. */
    public static BlobKey quarantine(String stamp, BlobKey original) {
        return BlobKey.of(QUARANTINE + stamp + "/" + original.value());
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

    /**
     * {@code snapshots/<id>/staged/<key>}: where an import in progress stages what it will put at
     * {@code key} (a replaced pre-warm bundle), so that the key keeps its old content until the import
     * publishes, and a crash before then can be undone.
     */
    public static BlobKey snapshotStaged(String id, BlobKey key) {
        return BlobKey.of(SNAPSHOTS + id + "/staged/" + key.value());
    }

    /** {@code leases/snapshot-import}: held by the one import publishing into this storage. */
    public static BlobKey snapshotImportLock() {
        return BlobKey.of(LEASES + "snapshot-import");
    }

    // ---- build caches --------------------------------------------------------------------------

    /** {@code gocache/bundles}: every pre-warm bundle, its signature and the index (what an export carries). */
    public static BlobKey gocacheBundlesDir() {
        return BlobKey.of("gocache/bundles");
    }

    /** {@code gocache/bundles/<id>.tar.zst} for a bundle identity (32 lower-case hex digits). */
    public static BlobKey gocacheBundle(String id) {
        return BlobKey.of(GOCACHE_BUNDLES + bundleId(id) + BUNDLE_SUFFIX);
    }

    /** {@code gocache/bundles/<id>.tar.zst.asc}. */
    public static BlobKey gocacheBundleSignature(String id) {
        return BlobKey.of(GOCACHE_BUNDLES + bundleId(id) + BUNDLE_SUFFIX + SIGNATURE_SUFFIX);
    }

    /** {@code gocache/bundles/index.json}. */
    public static BlobKey gocacheBundleIndex() {
        return BlobKey.of(GOCACHE_BUNDLES + "index.json");
    }

    /** {@code gocache/actions}: every remote build cache action entry. */
    public static BlobKey gocacheActionsDir() {
        return BlobKey.of("gocache/actions");
    }

    /** {@code gocache/actions/<aa>/<action id>} for a 64-hex-digit action ID. */
    public static BlobKey gocacheAction(String actionId) {
        return BlobKey.of(GOCACHE_ACTIONS + cacheId(actionId).substring(0, 2) + "/" + actionId);
    }

    /** {@code gocache/outputs/<oo>/<output id>} for a 64-hex-digit output ID. */
    public static BlobKey gocacheOutput(String outputId) {
        return BlobKey.of(GOCACHE_OUTPUTS + cacheId(outputId).substring(0, 2) + "/" + outputId);
    }

    private static String bundleId(String id) {
        if (id == null || !BUNDLE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a bundle id is 32 lower-case hex digits");
        }
        return id;
    }

    private static String cacheId(String id) {
        if (id == null || !CACHE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a build cache id is 64 lower-case hex digits");
        }
        return id;
    }

    // ---- Go toolchains and release archives ------------------------------------------------------

    /**
     * {@code toolchains/<escaped version>.info}: the {@code .info} of a {@code golang.org/toolchain}
     * version that is known to exist, stored apart from the version's own {@code .info} (the commit
     * marker, which would claim a zip that is not there).
     */
    public static BlobKey toolchainInfo(ModuleVersion mv) {
        if (!mv.path().value().equals(TOOLCHAIN_MODULE)) {
            throw new IllegalArgumentException(mv + " is not a version of " + TOOLCHAIN_MODULE);
        }
        return BlobKey.of(TOOLCHAINS + mv.escapedVersion() + ".info");
    }

    /** {@code toolchains}: the recorded {@code .info}s of toolchain versions. */
    public static BlobKey toolchainsDir() {
        return BlobKey.of(TOOLCHAINS.substring(0, TOOLCHAINS.length() - 1));
    }

    /** The toolchain version a {@code toolchains/<version>.info} key records, or empty for any other key. */
    public static Optional<ModuleVersion> versionOfToolchainInfo(BlobKey key) {
        if (kindOf(key) != KeyKind.TOOLCHAIN_INFO) {
            return Optional.empty();
        }
        String v = key.value();
        try {
            return Optional.of(ModuleVersion.of(
                    TOOLCHAIN_MODULE,
                    ModuleEscaping.unescapeVersion(v.substring(TOOLCHAINS.length(), v.length() - ".info".length()))));
        } catch (ProxyException e) {
            return Optional.empty();
        }
    }

    /** {@code dl}: everything stored for the release archive mirror. */
    public static BlobKey dlDir() {
        return BlobKey.of("dl");
    }

    /** {@code dl/<filename>}: a release archive; the file name is validated by the caller. */
    public static BlobKey dlArchive(String filename) {
        return BlobKey.of(DL + filename);
    }

    /** {@code dl/<filename>.asc}: an archive's detached signature. */
    public static BlobKey dlSignature(String filename) {
        return BlobKey.of(DL + filename + ".asc");
    }

    /** {@code dl/<filename>.sha256}: an archive's SHA-256, the last key written for it. */
    public static BlobKey dlSha256(String filename) {
        return BlobKey.of(DL + filename + ".sha256");
    }

    /** {@code dl/listing-all.json} (every release) or {@code dl/listing.json} (the current ones). */
    public static BlobKey dlListing(boolean all) {
        return BlobKey.of(DL + (all ? DL_LISTING_ALL : DL_LISTING));
    }

    /** {@code dl/signing-key.asc}: the release signing key fetched from its URL. */
    public static BlobKey dlSigningKey() {
        return BlobKey.of(DL + DL_SIGNING_KEY);
    }

    // ---- classification ------------------------------------------------------------------------

    /** What a key holds, by its shape alone. */
    public static KeyKind kindOf(BlobKey key) {
        String v = key.value();
        // Prefix families first: their keys embed module artifact paths.
        if (v.startsWith(QUARANTINE)) {
            return KeyKind.QUARANTINE;
        }
        if (v.startsWith(ACCESS)) {
            return v.contains("/@v/") ? KeyKind.ACCESS : KeyKind.OTHER;
        }
        if (v.startsWith(LEASES)) {
            return KeyKind.LEASE;
        }
        if (v.startsWith(SNAPSHOTS)) {
            return v.endsWith("/journal") ? KeyKind.SNAPSHOT_JOURNAL : KeyKind.SNAPSHOT;
        }
        if (v.startsWith(GOCACHE_BUNDLES)) {
            String name = v.substring(GOCACHE_BUNDLES.length());
            if (name.equals("index.json")) {
                return KeyKind.GOCACHE_BUNDLE_INDEX;
            }
            if (BUNDLE_NAME.matcher(name).matches()) {
                return KeyKind.GOCACHE_BUNDLE;
            }
            return SIGNATURE_NAME.matcher(name).matches() ? KeyKind.GOCACHE_BUNDLE_SIGNATURE : KeyKind.OTHER;
        }
        if (v.startsWith(GOCACHE_ACTIONS)) {
            return CACHE_ENTRY.matcher(v.substring(GOCACHE_ACTIONS.length())).matches()
                    ? KeyKind.GOCACHE_ACTION
                    : KeyKind.OTHER;
        }
        if (v.startsWith(GOCACHE_OUTPUTS)) {
            return CACHE_ENTRY.matcher(v.substring(GOCACHE_OUTPUTS.length())).matches()
                    ? KeyKind.GOCACHE_OUTPUT
                    : KeyKind.OTHER;
        }
        if (v.startsWith(TOOLCHAINS)) {
            return v.endsWith(".info") && v.indexOf('/', TOOLCHAINS.length()) < 0
                    ? KeyKind.TOOLCHAIN_INFO
                    : KeyKind.OTHER;
        }
        if (v.startsWith(DL)) {
            String name = v.substring(DL.length());
            if (name.indexOf('/') >= 0) {
                return KeyKind.OTHER;
            }
            return switch (name) {
                case DL_LISTING, DL_LISTING_ALL -> KeyKind.DL_LISTING;
                case DL_SIGNING_KEY -> KeyKind.DL_SIGNING_KEY;
                default ->
                    name.endsWith(".sha256")
                            ? KeyKind.DL_SHA256
                            : name.endsWith(".asc") ? KeyKind.DL_SIGNATURE : KeyKind.DL_ARCHIVE;
            };
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
