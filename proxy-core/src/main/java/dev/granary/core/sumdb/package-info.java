/**
 * Checksum database (go.dev/ref/mod#checksum-database) verification: {@link dev.granary.core.sumdb.SumdbClient}
 * looks up go.sum lines and proves them against signed tree heads, persisting the newest head
 * ({@link dev.granary.core.sumdb.TreeHeadStore}) and caching authenticated tiles
 * ({@link dev.granary.core.sumdb.TileCache}). {@link dev.granary.core.sumdb.SumdbDatabases} holds the
 * configured databases; {@link dev.granary.core.sumdb.SumdbVerifier} checks fetched versions against
 * the first one (or against private-module pins); {@link dev.granary.core.sumdb.SumdbProxy} serves
 * {@code /sumdb/<name>/}; {@link dev.granary.core.sumdb.SumdbStorage} keeps the verified state in storage.
 *
 * <p>Errors: the building blocks in {@code .note} and {@code .tlog} throw their own checked
 * exceptions ({@link dev.granary.core.sumdb.note.NoteException},
 * {@link dev.granary.core.sumdb.tlog.TlogException}) so each caller decides what a failure means;
 * the client turns them into {@link dev.granary.core.ProxyException} of kind VERIFICATION_FAILED
 * ({@link dev.granary.core.sumdb.SumdbForkException} for a fork), the domain error the server maps
 * to HTTP statuses.
 */
package dev.granary.core.sumdb;
