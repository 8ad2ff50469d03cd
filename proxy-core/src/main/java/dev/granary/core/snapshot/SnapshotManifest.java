package dev.granary.core.snapshot;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleVersion;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * {@code MANIFEST.json}: what a snapshot holds and where it comes from. A snapshot's id is the SHA-256
 * of this member's bytes ({@link #idOf}); the member is listed in {@code SHA256SUMS}, so the signature
 * covers it.
 *
 * @param format         {@link SnapshotFormat#VERSION}
 * @param created        when it was exported (ISO-8601 instant)
 * @param granaryVersion the exporting Granary's version
 * @param selection      how the modules were chosen, one entry per option ({@code gosum go.sum}, ...)
 * @param previous       the id of the snapshot this one follows ({@code --since}), or null for a full one
 * @param treeHeads      the signed tree head every proof is pinned to, per checksum database
 * @param counts         counts and bytes
 * @param versions       every module version it holds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SnapshotManifest(int format, String created, String granaryVersion, List<String> selection, String previous,
                               List<TreeHead> treeHeads, Counts counts, List<Entry> versions) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * A signed tree head.
     *
     * @param db   the checksum database's name
     * @param size the tree size
     * @param hash the root hash, base64
     * @param note the signed note, exactly as the database signed it
     */
    public record TreeHead(String db, long size, String hash, String note) {
    }

    /**
     * Counts.
     *
     * @param versions module versions
     * @param zips     of which with a zip (the others carry .info and .mod only)
     * @param lookups  checksum-database records
     * @param tiles    checksum-database tiles
     * @param files    members listed in SHA256SUMS
     * @param bytes    their total size
     */
    public record Counts(int versions, int zips, int lookups, int tiles, int files, long bytes) {
    }

    /**
     * One module version.
     *
     * @param path    module path
     * @param version version
     * @param zip     true when the zip is included (false: .info and .mod only, a go.sum {@code /go.mod} line)
     * @param proof   true when a checksum-database record proves it; false for a private module, whose
     *                hashes only the snapshot's signature vouches for
     */
    public record Entry(String path, String version, boolean zip, boolean proof) {
    }

    public SnapshotManifest {
        selection = selection == null ? List.of() : List.copyOf(selection);
        treeHeads = treeHeads == null ? List.of() : List.copyOf(treeHeads);
        versions = versions == null ? List.of() : List.copyOf(versions);
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
    public java.util.Optional<TreeHead> treeHead(String db) {
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
            throw SnapshotException.member(SnapshotFormat.MANIFEST, "not a snapshot manifest: " + firstLine(e.getMessage()));
        }
        if (m == null || m.format() != SnapshotFormat.VERSION) {
            throw SnapshotException.member(SnapshotFormat.MANIFEST, "format " + (m == null ? "missing" : m.format())
                    + " is not supported (this Granary reads format " + SnapshotFormat.VERSION + ")");
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
                throw SnapshotException.member(SnapshotFormat.MANIFEST, "lists an invalid module version: "
                        + SnapshotFormat.printable(e.path() + "@" + e.version()));
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
