package dev.granary.core.snapshot;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.granary.core.ProxyException;
import dev.granary.core.dl.ReleaseListing;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.toolchain.Toolchains;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code MANIFEST.json}: what a snapshot holds and where it comes from. A snapshot's id is the SHA-256
 * of this member's bytes ({@link #idOf}); the member is listed in {@code SHA256SUMS}, so the signature
 * covers it. Manifests written before toolchain records, release archives and bundles could be carried
 * have none of their fields, and read as holding none.
 *
 * @param format         {@link SnapshotFormat#VERSION}
 * @param created        when it was exported (ISO-8601 instant)
 * @param granaryVersion the exporting Granary's version
 * @param selection      how the modules were chosen, one entry per option ({@code gosum go.sum}, ...)
 * @param previous       the id of the snapshot this one follows ({@code --since}), or null for a full one
 * @param treeHeads      the signed tree head every proof is pinned to, per checksum database
 * @param counts         counts and bytes
 * @param versions       every module version it holds (toolchain modules among them)
 * @param toolchainInfos {@code golang.org/toolchain} versions whose existence record ({@code toolchains/<v>.info})
 *                       it holds without their zip, each proven by its checksum-database record
 * @param releases       Go release archives
 * @param releaseKeys    fingerprints of the release signing keys the exporting side trusted (informative: an
 *                       import trusts its own configuration)
 * @param bundles        pre-warm bundles
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SnapshotManifest(
        int format,
        String created,
        String granaryVersion,
        List<String> selection,
        String previous,
        List<TreeHead> treeHeads,
        Counts counts,
        List<Entry> versions,
        List<String> toolchainInfos,
        List<Release> releases,
        List<String> releaseKeys,
        List<Bundle> bundles) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern BUNDLE_ID = Pattern.compile("[0-9a-f]{32}");

    /**
     * A signed tree head.
     *
     * @param db   the checksum database's name
     * @param size the tree size
     * @param hash the root hash, base64
     * @param note the signed note, exactly as the database signed it
     */
    public record TreeHead(String db, long size, String hash, String note) {}

    /**
     * Counts and sizes of each kind. Fields a manifest does not have (older ones) read as 0.
     *
     * @param versions       module versions
     * @param zips           of which with a zip (the others carry .info and .mod only)
     * @param lookups        checksum-database records
     * @param tiles          checksum-database tiles
     * @param files          members listed in SHA256SUMS
     * @param bytes          their total size
     * @param moduleBytes    the size of the module versions' files (.info, .mod, .zip, .sum)
     * @param toolchains     toolchain module versions among {@code versions}
     * @param toolchainInfos toolchain existence records
     * @param releases       release archives
     * @param releaseBytes   their size
     * @param bundles        pre-warm bundles
     * @param bundleBytes    their size
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Counts(
            int versions,
            int zips,
            int lookups,
            int tiles,
            int files,
            long bytes,
            long moduleBytes,
            int toolchains,
            int toolchainInfos,
            int releases,
            long releaseBytes,
            int bundles,
            long bundleBytes) {
        /** The counts of a snapshot of module versions alone. */
        public Counts(int versions, int zips, int lookups, int tiles, int files, long bytes) {
            this(versions, zips, lookups, tiles, files, bytes, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    /**
     * A Go release archive.
     *
     * @param filename its name ({@code go1.26.3.linux-amd64.tar.gz})
     * @param sha256   its SHA-256 (hex), as the release listing gives it
     * @param size     its size
     */
    public record Release(String filename, String sha256, long size) {}

    /**
     * A pre-warm bundle.
     *
     * @param id      its identity (32 hex digits)
     * @param name    the module it was built for
     * @param created when it was built
     * @param size    its size
     * @param sha256  its SHA-256 (hex)
     * @param signed  true when its detached signature comes with it
     */
    public record Bundle(String id, String name, String created, long size, String sha256, boolean signed) {}

    /**
     * One module version.
     *
     * @param path    module path
     * @param version version
     * @param zip     true when the zip is included (false: .info and .mod only, a go.sum {@code /go.mod} line)
     * @param proof   true when a checksum-database record proves it; false for a private module, whose
     *                hashes only the snapshot's signature vouches for
     */
    public record Entry(String path, String version, boolean zip, boolean proof) {}

    public SnapshotManifest {
        selection = selection == null ? List.of() : List.copyOf(selection);
        treeHeads = treeHeads == null ? List.of() : List.copyOf(treeHeads);
        versions = versions == null ? List.of() : List.copyOf(versions);
        toolchainInfos = toolchainInfos == null ? List.of() : List.copyOf(toolchainInfos);
        releases = releases == null ? List.of() : List.copyOf(releases);
        releaseKeys = releaseKeys == null ? List.of() : List.copyOf(releaseKeys);
        bundles = bundles == null ? List.of() : List.copyOf(bundles);
    }

    /** A manifest of module versions alone. */
    public SnapshotManifest(
            int format,
            String created,
            String granaryVersion,
            List<String> selection,
            String previous,
            List<TreeHead> treeHeads,
            Counts counts,
            List<Entry> versions) {
        this(format, created, granaryVersion, selection, previous, treeHeads, counts, versions, null, null, null, null);
    }

    /** The manifest as written into a snapshot. */
    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a manifest", e);
        }
    }

    /** The time it was exported. */
    public Instant createdAt() {
        return Instant.parse(created);
    }

    /** The tree head for database {@code db}, if the snapshot has one. */
    public Optional<TreeHead> treeHead(String db) {
        return treeHeads.stream().filter(t -> t.db().equals(db)).findFirst();
    }

    /**
     * Parses and checks a manifest.
     *
     * @throws SnapshotException naming {@code MANIFEST.json} when it is not a valid version-1 manifest
     */
    public static SnapshotManifest parse(byte[] bytes) throws SnapshotException {
        SnapshotManifest m;
        try {
            m = JSON.readValue(bytes, SnapshotManifest.class);
        } catch (IOException e) {
            throw SnapshotException.member(
                    SnapshotFormat.MANIFEST, "not a snapshot manifest: " + firstLine(e.getMessage()));
        }
        if (m == null || m.format() != SnapshotFormat.VERSION) {
            throw SnapshotException.member(
                    SnapshotFormat.MANIFEST,
                    "format " + (m == null ? "missing" : m.format()) + " is not supported (this Granary reads format "
                            + SnapshotFormat.VERSION + ")");
        }
        try {
            Objects.requireNonNull(m.created(), "created");
            m.createdAt();
        } catch (NullPointerException | DateTimeParseException e) {
            throw SnapshotException.member(SnapshotFormat.MANIFEST, "no valid 'created' time");
        }
        for (Entry e : m.versions()) {
            try {
                ModuleVersion.of(e.path(), e.version());
            } catch (ProxyException | NullPointerException ex) {
                throw SnapshotException.member(
                        SnapshotFormat.MANIFEST,
                        "lists an invalid module version: " + SnapshotFormat.printable(e.path() + "@" + e.version()));
            }
        }
        for (String v : m.toolchainInfos()) {
            if (v == null || Toolchains.parse(v).isEmpty()) {
                throw SnapshotException.member(
                        SnapshotFormat.MANIFEST,
                        "lists an invalid toolchain version: " + SnapshotFormat.printable(String.valueOf(v)));
            }
        }
        for (Release r : m.releases()) {
            if (r == null
                    || !ReleaseListing.isValidFilename(r.filename())
                    || r.sha256() == null
                    || !SHA256.matcher(r.sha256()).matches()) {
                throw SnapshotException.member(
                        SnapshotFormat.MANIFEST,
                        "lists an invalid release archive: "
                                + SnapshotFormat.printable(r == null ? "null" : r.filename() + " " + r.sha256()));
            }
        }
        for (Bundle b : m.bundles()) {
            if (b == null || b.id() == null || !BUNDLE_ID.matcher(b.id()).matches()) {
                throw SnapshotException.member(
                        SnapshotFormat.MANIFEST,
                        "lists an invalid pre-warm bundle: "
                                + SnapshotFormat.printable(b == null ? "null" : String.valueOf(b.id())));
            }
        }
        for (TreeHead t : m.treeHeads()) {
            if (t.db() == null || t.note() == null || t.size() < 0) {
                throw SnapshotException.member(SnapshotFormat.MANIFEST, "has an incomplete tree head");
            }
        }
        return m;
    }

    /** A snapshot's id: the SHA-256 of its manifest, in hex. */
    public static String idOf(byte[] manifestBytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(manifestBytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
