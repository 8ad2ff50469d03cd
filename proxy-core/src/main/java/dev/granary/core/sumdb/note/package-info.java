/**
 * Signed notes (a Java port of golang.org/x/mod/sumdb/note) with JDK Ed25519: keys
 * ({@link dev.granary.core.sumdb.note.NoteVerifier}, {@link dev.granary.core.sumdb.note.NoteSigner},
 * {@link dev.granary.core.sumdb.note.Notes#generateKey}), {@link dev.granary.core.sumdb.note.Notes#open}
 * and {@link dev.granary.core.sumdb.note.Notes#sign}. Failures are
 * {@link dev.granary.core.sumdb.note.NoteException} with a reason.
 */
package dev.granary.core.sumdb.note;
