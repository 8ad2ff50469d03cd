/**
 * The checksum database's transparency log (a Java port of golang.org/x/mod/sumdb/tlog, RFC 6962
 * compatible): hashes and proofs in {@link dev.granary.core.sumdb.tlog.Tlog}, tiles in
 * {@link dev.granary.core.sumdb.tlog.Tile} and {@link dev.granary.core.sumdb.tlog.TileHashReader},
 * tree heads in {@link dev.granary.core.sumdb.tlog.Tree}, records in
 * {@link dev.granary.core.sumdb.tlog.TlogRecord}. Failures are
 * {@link dev.granary.core.sumdb.tlog.TlogException}.
 */
package dev.granary.core.sumdb.tlog;
