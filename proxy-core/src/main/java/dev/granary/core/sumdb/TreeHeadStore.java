package dev.granary.core.sumdb;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Persists the newest verified signed tree head of one checksum database (the note bytes exactly
 * as the database signed them), so that a restarted proxy still refuses a database that forks
 * away from what it already saw. Like the go command's {@code $GOPATH/pkg/sumdb/<name>/latest}.
 */
public interface TreeHeadStore {

    /** The saved signed tree note, if any. */
    Optional<byte[]> load() throws IOException;

    /** Replaces the saved note; only called with notes verified to extend the previous one. */
    void save(byte[] signedNote) throws IOException;

    /** A store that lives as long as the object. */
    static TreeHeadStore inMemory() {
        AtomicReference<byte[]> ref = new AtomicReference<>();
        return new TreeHeadStore() {
            @Override
            public Optional<byte[]> load() {
                return Optional.ofNullable(ref.get()).map(byte[]::clone);
            }

            @Override
            public void save(byte[] signedNote) {
                ref.set(signedNote.clone());
            }
        };
    }
}
