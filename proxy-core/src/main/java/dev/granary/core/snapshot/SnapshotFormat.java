package dev.granary.core.snapshot;

import dev.granary.core.dl.ReleaseListing;
import dev.granary.core.layout.KeyKind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.storage.BlobKey;
import java.util.Set;

/**
 * The snapshot file format, version 1: one tar archive (POSIX, optionally zstd-compressed as a whole)
 * whose members are, at its root:
 * <pre>
 * &lt;module&gt;/@v/&lt;version&gt;.info|.mod|.zip|.sum   the module versions (a GOPROXY tree, as in storage)
 * &lt;module&gt;/@v/list                         the snapshot's tagged versions of each module
 * sumdb/&lt;name&gt;/supported                   the go command's probe answer (empty)
 * sumdb/&lt;name&gt;/latest                      the signed tree head every proof is pinned to
 * sumdb/&lt;name&gt;/lookup/&lt;module&gt;@&lt;version&gt;   each version's record, followed by that head
 * sumdb/&lt;name&gt;/tile/8/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]      every tile the go command reads to prove them
 * toolchains/&lt;version&gt;.info                 golang.org/toolchain versions known to exist (the go command's
 *                                           existence check), each proven by its record above
 * dl/&lt;filename&gt;, .asc, .sha256             Go release archives, their signatures and SHA-256
 * dl/listing-all.json                       the release listing's entries of those archives
 * dl/signing-key.asc                        the release signing key the exporting side trusts
 * gocache/bundles/&lt;id&gt;.tar.zst[.asc]        pre-warm bundles (and their signatures)
 * gocache/bundles/index.json                their index entries
 * MANIFEST.json                             what the snapshot holds (see {@link SnapshotManifest})
 * SHA256SUMS                                every other member's SHA-256, as sha256sum writes them
 * SHA256SUMS.asc                            a detached, armored OpenPGP signature of SHA256SUMS
 * </pre>
 * Every path is the storage key of the same file ({@link StorageLayout}), so unpacked ({@code tar -xf})
 * the directory is a {@code GOPROXY=file://} tree with its checksum database (and a static release mirror
 * under {@code dl/}),
 * {@code sha256sum -c SHA256SUMS} checks it and {@code gpg --verify SHA256SUMS.asc SHA256SUMS} its
 * signature. The three files of our own have upper-case names, which no escaped module path can have.
 * Nothing else may appear: no directories' special files, no links, no other names.
 */
public final class SnapshotFormat {
    /** The manifest member. */
    public static final String MANIFEST = "MANIFEST.json";
    /** The checksum list member. */
    public static final String SUMS = "SHA256SUMS";
    /** The signature member. */
    public static final String SIGNATURE = "SHA256SUMS.asc";
    /** The format version {@link SnapshotManifest#format()} carries. */
    public static final int VERSION = 1;

    /** zstd frames start with these bytes (RFC 8878 section 3.1.1). */
    static final byte[] ZSTD_MAGIC = {(byte) 0x28, (byte) 0xb5, (byte) 0x2f, (byte) 0xfd};

    private static final Set<KeyKind> ALLOWED = Set.of(
            KeyKind.INFO,
            KeyKind.MOD,
            KeyKind.ZIP,
            KeyKind.SUM,
            KeyKind.LIST,
            KeyKind.SUMDB_SUPPORTED,
            KeyKind.SUMDB_LATEST,
            KeyKind.SUMDB_LOOKUP,
            KeyKind.SUMDB_TILE,
            KeyKind.TOOLCHAIN_INFO,
            KeyKind.DL_ARCHIVE,
            KeyKind.DL_SIGNATURE,
            KeyKind.DL_SHA256,
            KeyKind.DL_LISTING,
            KeyKind.DL_SIGNING_KEY,
            KeyKind.GOCACHE_BUNDLE,
            KeyKind.GOCACHE_BUNDLE_SIGNATURE,
            KeyKind.GOCACHE_BUNDLE_INDEX);
    /** The listing a snapshot carries: the one with every release ({@code include=all}). */
    static final String DL_LISTING = StorageLayout.dlListing(true).value();

    private SnapshotFormat() {}

    /** True for the three members that are about the snapshot rather than part of its GOPROXY tree. */
    public static boolean isOwnFile(String name) {
        return name.equals(MANIFEST) || name.equals(SUMS) || name.equals(SIGNATURE);
    }

    /**
     * What a member holds, by its name; the name must be a valid storage key of a kind a snapshot may
     * carry (so it cannot escape a directory it is unpacked into).
     *
     * @throws SnapshotException naming the member when it may not be in a snapshot
     */
    public static KeyKind kindOf(String name) throws SnapshotException {
        if (name.startsWith("/") || !BlobKey.isValid(name)) {
            throw SnapshotException.member(printable(name), "not a relative path inside the snapshot");
        }
        KeyKind kind = StorageLayout.kindOf(BlobKey.of(name));
        if (!ALLOWED.contains(kind)
                || name.startsWith("pins/")
                || name.startsWith("leases/")
                || kind == KeyKind.DL_LISTING && !name.equals(DL_LISTING)
                || isDlFile(kind) && !ReleaseListing.isValidFilename(dlFilename(name))) {
            throw SnapshotException.member(
                    printable(name),
                    "not a file a snapshot may hold (module artifacts, "
                            + "checksum-database files, toolchain records, release archives, pre-warm bundles, "
                            + MANIFEST + ", " + SUMS
                            + ", " + SIGNATURE + ")");
        }
        return kind;
    }

    private static boolean isDlFile(KeyKind kind) {
        return kind == KeyKind.DL_ARCHIVE || kind == KeyKind.DL_SIGNATURE || kind == KeyKind.DL_SHA256;
    }

    /**
     * The release file a {@code dl/} member is about: {@code dl/go1.26.3.linux-amd64.tar.gz.asc} is about
     * {@code go1.26.3.linux-amd64.tar.gz}.
     */
    static String dlFilename(String name) {
        String f = name.substring(name.indexOf('/') + 1);
        for (String suffix : new String[] {".sha256", ".asc"}) {
            if (f.endsWith(suffix)) {
                return f.substring(0, f.length() - suffix.length());
            }
        }
        return f;
    }

    /** A member name made safe to print: control characters shown as escapes, long names cut. */
    public static String printable(String name) {
        String s = name.length() > 300 ? name.substring(0, 300) + "..." : name;
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
