package dev.granary.core.snapshot;

import dev.granary.core.gocache.BundleStore;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.pgp.VerifiedSignature;
import dev.granary.core.sumdb.tlog.Tree;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A staged snapshot that passed every check of {@link SnapshotVerifier}: what an import may publish.
 *
 * @param id          the snapshot's id (SHA-256 of its manifest)
 * @param manifest    its manifest
 * @param files       the bytes of MANIFEST.json, SHA256SUMS and (when signed) SHA256SUMS.asc, by name
 * @param signer      who signed it, empty when imported with {@code --allow-unsigned}
 * @param versions    its module versions, checked
 * @param sumdb       its checksum-database state, proven, or empty when it holds private modules only
 * @param toolchainInfos toolchain existence records, each proven
 * @param releases    its release archives, checked
 * @param bundles     its pre-warm bundles, checked
 */
public record VerifiedSnapshot(
        String id,
        SnapshotManifest manifest,
        Map<String, byte[]> files,
        Optional<VerifiedSignature> signer,
        List<Version> versions,
        Optional<Sumdb> sumdb,
        List<ToolchainInfo> toolchainInfos,
        Releases releases,
        List<Bundle> bundles) {

    public VerifiedSnapshot {
        toolchainInfos = toolchainInfos == null ? List.of() : List.copyOf(toolchainInfos);
        releases = releases == null ? Releases.NONE : releases;
        bundles = bundles == null ? List.of() : List.copyOf(bundles);
    }

    /** A snapshot of module versions alone. */
    public VerifiedSnapshot(
            String id,
            SnapshotManifest manifest,
            Map<String, byte[]> files,
            Optional<VerifiedSignature> signer,
            List<Version> versions,
            Optional<Sumdb> sumdb) {
        this(id, manifest, files, signer, versions, sumdb, List.of(), Releases.NONE, List.of());
    }

    /**
     * A {@code golang.org/toolchain} version known to exist: its {@code .info} names it, and a proven
     * checksum-database record lists it.
     */
    public record ToolchainInfo(ModuleVersion version, byte[] info) {}

    /**
     * A release archive, checked: its SHA-256 is its listing entry's and its {@code .sha256}'s, and its
     * signature verifies with a key this Granary trusts.
     *
     * @param filename  its name
     * @param sha256    its SHA-256 (hex)
     * @param archive   the staged archive
     * @param signature its detached signature
     */
    public record ReleaseArchive(String filename, String sha256, Path archive, byte[] signature) {}

    /**
     * The release archives, checked.
     *
     * @param archives   the archives
     * @param listing    the listing entries of them ({@code dl/listing-all.json}), merged into the stored listing on publishing
     * @param signingKey key material to store ({@code dl/signing-key.asc}): this Granary had no key, and this one holds its
     *                   pinned key; null otherwise
     * @param signers    the fingerprints of the keys the signatures verified with
     */
    public record Releases(List<ReleaseArchive> archives, byte[] listing, byte[] signingKey, List<String> signers) {
        /** None. */
        public static final Releases NONE = new Releases(List.of(), null, null, List.of());

        public Releases {
            archives = List.copyOf(archives);
            signers = List.copyOf(signers);
        }
    }

    /**
     * A pre-warm bundle, checked by {@link dev.granary.core.gocache.BundleReader} (manifest, every file's
     * hash, every output's name).
     *
     * @param id        its identity
     * @param file      the staged bundle
     * @param sha256    its SHA-256 (hex)
     * @param signature its detached signature, or null
     * @param entry     its index entry
     */
    public record Bundle(String id, Path file, String sha256, byte[] signature, BundleStore.IndexEntry entry) {}

    /**
     * One module version, checked: its .info names it, its .mod and zip hash to the proven (or, for a
     * private module, signed) go.sum lines, its zip obeys the module zip rules.
     *
     * @param version the module version
     * @param info    the .info bytes
     * @param mod     the .mod bytes
     * @param zip     the staged zip, or null for a go.mod-only version
     * @param sums    its go.sum lines (no zip line for a go.mod-only version)
     * @param proven  true when a checksum-database record proves it; false for a private module
     */
    public record Version(ModuleVersion version, byte[] info, byte[] mod, Path zip, GoSum sums, boolean proven) {}

    /**
     * The snapshot's checksum-database files, proven against the database's key.
     *
     * @param db         the database's name
     * @param tree       the tree head the snapshot is pinned to
     * @param latestNote that head's signed note
     * @param files      lookups, tiles and {@code supported}: storage key ({@code sumdb/...}) to staged file
     * @param heldBefore the head this Granary held when the snapshot was verified (empty: none)
     * @param heldBeforeSize its tree size (0: none)
     */
    public record Sumdb(
            String db,
            Tree tree,
            byte[] latestNote,
            Map<String, Path> files,
            Optional<byte[]> heldBefore,
            long heldBeforeSize) {}
}
