package dev.granary.core.sumdb.tlog;

import java.io.IOException;
import java.util.List;

/**
 * Reads hashes of the log's tree by stored hash index (see {@link Tlog#storedHashIndex}).
 * golang.org/x/mod/sumdb/tlog: HashReader.
 */
@FunctionalInterface
public interface HashReader {

    /**
     * Returns the hashes at the given stored hash indexes, one per index, in the same order.
     * Callers in this package always ask in increasing order.
     *
     * @throws IOException   if the underlying storage or network failed
     * @throws TlogException if what was read does not verify (for example a tampered tile)
     */
    List<Hash> readHashes(long[] indexes) throws IOException, TlogException;

    /** A reader over a list indexed by stored hash index (the layout {@link Tlog#storedHashes} appends). */
    static HashReader of(List<Hash> stored) {
        return indexes -> {
            Hash[] out = new Hash[indexes.length];
            for (int i = 0; i < indexes.length; i++) {
                if (indexes[i] < 0 || indexes[i] >= stored.size()) {
                    throw new TlogException("hash index " + indexes[i] + " not stored");
                }
                out[i] = stored.get((int) indexes[i]);
            }
            return List.of(out);
        };
    }
}
