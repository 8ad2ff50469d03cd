package dev.granary.core.snapshot;

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
 */
public record VerifiedSnapshot(String id, SnapshotManifest manifest, Map<String, byte[]> files, Optional<VerifiedSignature> signer,
                               List<Version> versions, Optional<Sumdb> sumdb) {

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
    public record Version(ModuleVersion version, byte[] info, byte[] mod, Path zip, GoSum sums, boolean proven) {
    }

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
    public record Sumdb(String db, Tree tree, byte[] latestNote, Map<String, Path> files, Optional<byte[]> heldBefore,
                        long heldBeforeSize) {
    }
}
