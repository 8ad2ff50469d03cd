package dev.granary.core.fetch;

import dev.granary.core.Meters;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Owns the commit order of a verified version: zip, mod and sum (written in parallel: each is a durable
 * put of its own, an fsync or an upload, and none depends on another), then {@code .info}, the marker
 * that makes the version exist, once all three are durable. A crash at any point leaves at worst files
 * without an {@code .info}, which are never served and are overwritten by the next commit of the same
 * (immutable, verified) bytes.
 * After the marker, listeners learn of the commit and the module's {@code @v/list} is rewritten.
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
                .description("Module versions fetched, verified and committed")
                .register(registry);
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
        commit(v, () -> {});
    }

    /**
     * Commits {@code v}, and runs {@code exists} once its {@code .info} is durable and the listeners have
     * run, before the derived {@code @v/list} is rewritten: the fetch pipeline answers waiting requests
     * from there.
     */
    public void commit(VerifiedVersion v, Runnable exists) throws IOException {
        ModuleVersion mv = v.version();
        synchronized (lock(mv)) {
            putFiles(v);
            store.put(StorageLayout.info(mv), v.info());
        }
        published(mv, exists);
    }

    /**
     * The first half of a commit: zip (unless the version has none: a go.mod-only version from a
     * snapshot), mod and sum, none of which makes the version exist. Snapshot import stages every
     * version before it publishes any.
     */
    public void stage(VerifiedVersion v) throws IOException {
        synchronized (lock(v.version())) {
            putFiles(v);
        }
    }

    /** The second half: the {@code .info} marker, then the listeners and the list rewrite. Idempotent. */
    public void publish(ModuleVersion mv, byte[] info) throws IOException {
        synchronized (lock(mv)) {
            store.put(StorageLayout.info(mv), info);
        }
        published(mv, () -> {});
    }

    /** Zip, mod and sum in parallel; returns once all three are durable, or throws when one is not. */
    private void putFiles(VerifiedVersion v) throws IOException {
        ModuleVersion mv = v.version();
        Future<Boolean> mod;
        Future<Boolean> sum;
        IOException failed = null;
        // Closing the executor waits for both puts, even when the zip's failed: the .info follows durable files only.
        try (ExecutorService puts = Executors.newVirtualThreadPerTaskExecutor()) {
            mod = puts.submit(() -> store.put(
                    StorageLayout.mod(mv), new ByteArrayInputStream(v.mod()), v.mod().length, PutMode.REPLACE));
            byte[] sumBytes = v.sums().bytes();
            sum = puts.submit(() -> store.put(
                    StorageLayout.sum(mv), new ByteArrayInputStream(sumBytes), sumBytes.length, PutMode.REPLACE));
            if (v.zip() != null) {
                try {
                    store.put(StorageLayout.zip(mv), v.zip(), PutMode.REPLACE);
                } catch (IOException e) {
                    failed = e;
                }
            }
        }
        failed = outcome(mod, failed);
        failed = outcome(sum, failed);
        if (failed != null) {
            throw failed;
        }
    }

    private void published(ModuleVersion mv, Runnable exists) throws IOException {
        committed.increment();
        for (Consumer<ModuleVersion> l : listeners) {
            l.accept(mv);
        }
        exists.run();
        index.rewriteList(mv.path());
    }

    /** The failure of a finished put, added to an earlier one if there is one. */
    private static IOException outcome(Future<Boolean> put, IOException earlier) {
        Throwable t;
        try {
            put.get();
            return earlier;
        } catch (ExecutionException e) {
            t = e.getCause();
        } catch (InterruptedException e) {
            // Cannot happen: the put has finished. Keep the flag for the caller.
            Thread.currentThread().interrupt();
            t = new InterruptedIOException("interrupted committing");
        }
        if (t instanceof RuntimeException r) {
            if (earlier != null) {
                r.addSuppressed(earlier);
            }
            throw r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        IOException io = t instanceof IOException e ? e : new IOException(t);
        if (earlier == null) {
            return io;
        }
        earlier.addSuppressed(io);
        return earlier;
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
