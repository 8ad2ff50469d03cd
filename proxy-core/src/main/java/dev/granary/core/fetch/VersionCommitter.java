package dev.granary.core.fetch;

import dev.granary.core.Meters;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Owns the commit order of a verified version: zip, mod, sum, then {@code .info}, the marker that
 * makes the version exist. A crash at any point leaves at worst files without an {@code .info}, which
 * are never served and are overwritten by the next commit of the same (immutable, verified) bytes.
 * After the marker, the module's {@code @v/list} is rewritten and listeners learn of the commit.
 * Both the fetch pipeline and snapshot import commit through here.
 *
 * <p>Removal (retention, quarantine) is the commit in reverse: {@code .info} first, so the version
 * stops existing before any of its files goes, then sum, mod, zip. Within this process a commit and a
 * removal of the same version never interleave (striped locks); a removal checks under the lock that
 * the version is still the one it decided to remove, so a version fetched again meanwhile stays whole.
 */
public final class VersionCommitter {
    private final BlobStore store;
    private final ModuleIndex index;
    private final Counter committed;
    private final List<Consumer<ModuleVersion>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<ModuleVersion>> removalListeners = new CopyOnWriteArrayList<>();
    private final Object[] locks = new Object[64];

    public VersionCommitter(BlobStore store, ModuleIndex index, MeterRegistry registry) {
        this.store = store;
        this.index = index;
        this.committed = Counter.builder(Meters.VERSIONS_COMMITTED)
                .description("Module versions fetched, verified and committed").register(registry);
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    private Object lock(ModuleVersion mv) {
        return locks[Math.floorMod(mv.hashCode(), locks.length)];
    }

    /** Called after every removal, on the removing thread. */
    public void onRemove(Consumer<ModuleVersion> listener) {
        removalListeners.add(listener);
    }

    /** Called after every commit, on the committing thread. */
    public void onCommit(Consumer<ModuleVersion> listener) {
        listeners.add(listener);
    }

    /** Commits {@code v}; its temporary zip is consumed (moved or copied, then gone from the caller's view). */
    public void commit(VerifiedVersion v) throws IOException {
        ModuleVersion mv = v.version();
        synchronized (lock(mv)) {
            store.put(StorageLayout.zip(mv), v.zip(), PutMode.REPLACE);
            store.put(StorageLayout.mod(mv), v.mod());
            store.put(StorageLayout.sum(mv), v.sums().bytes());
            store.put(StorageLayout.info(mv), v.info());
        }
        committed.increment();
        index.rewriteList(mv.path());
        for (Consumer<ModuleVersion> l : listeners) {
            l.accept(mv);
        }
    }

    /**
     * Removes a committed version: {@code .info} first (from then on it does not exist and a request
     * fetches it anew), then {@code .sum}, {@code .mod} and {@code .zip}; then the module's list is
     * rewritten and removal listeners are told. Pins and checksum-database records are never touched.
     *
     * @param stillWanted asked under the version's lock, before anything is deleted, whether the
     *                    removal still stands; a version committed or requested again since the
     *                    caller decided is kept when it says no
     * @return true when the version was removed
     */
    public boolean remove(ModuleVersion mv, Predicate<ModuleVersion> stillWanted) throws IOException {
        synchronized (lock(mv)) {
            if (!stillWanted.test(mv)) {
                return false;
            }
            store.delete(StorageLayout.info(mv));
            store.delete(StorageLayout.sum(mv));
            store.delete(StorageLayout.mod(mv));
            store.delete(StorageLayout.zip(mv));
        }
        index.rewriteList(mv.path());
        for (Consumer<ModuleVersion> l : removalListeners) {
            l.accept(mv);
        }
        return true;
    }
}
