/**
 * Air-gap snapshots: one signed file that carries module versions and the checksum-database proofs
 * that let a Granary with no route out serve them with {@code GOSUMDB} on, and with them Go itself
 * (release archives, toolchain modules) and pre-warm build-cache bundles.
 *
 * <p>{@link dev.granary.core.snapshot.SnapshotExporter} selects versions (go.sum lines, a go.mod's or
 * go.work's module graph from {@link dev.granary.core.module.ModuleGraph}, named modules, everything
 * stored, minus what earlier snapshots held), and optionally Go release archives, toolchain modules and
 * pre-warm bundles; makes sure each is stored (fetched and verified when missing) and has its record, pins
 * every record to one signed tree head, collects the tiles that prove them (and the previous head a prefix
 * of it) and streams the archive ({@link dev.granary.core.snapshot.SnapshotFormat},
 * {@link dev.granary.core.snapshot.SnapshotWriter}). On the other side
 * {@link dev.granary.core.snapshot.SnapshotReader} stages the archive,
 * {@link dev.granary.core.snapshot.SnapshotVerifier} checks all of it without writing, and
 * {@link dev.granary.core.snapshot.SnapshotImporter} publishes it all or nothing, with a journal that
 * the next start finishes or undoes. {@link dev.granary.core.snapshot.SnapshotOrigins} tells the catalog
 * which snapshot brought a version in. {@link dev.granary.core.snapshot.Progress} reports long work.
 *
 * <p>Refusals are {@link dev.granary.core.snapshot.SnapshotException}s: one line, naming the member.
 */
package dev.granary.core.snapshot;
