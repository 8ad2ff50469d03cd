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

/**
 * Owns the commit order of a verified version: zip, mod, sum, then {@code .info}, the marker that
 * makes the version exist. A crash at any point leaves at worst files without an {@code .info}, which
 * are never served and are overwritten by the next commit of the same (immutable, verified) bytes.
 * After the marker, the module's {@code @v/list} is rewritten and listeners learn of the commit.
 * Both the fetch pipeline and snapshot import commit through here.
 */
public final class VersionCommitter {
    private final BlobStore store;
    private final ModuleIndex index;
    private final Counter committed;
    private final List<Consumer<ModuleVersion>> listeners = new CopyOnWriteArrayList<>();

    public VersionCommitter(BlobStore store, ModuleIndex index, MeterRegistry registry) {
        this.store = store;
        this.index = index;
        this.committed = Counter.builder(Meters.VERSIONS_COMMITTED)
                .description("Module versions fetched, verified and committed").register(registry);
    }

    /** Called after every commit, on the committing thread. */
    public void onCommit(Consumer<ModuleVersion> listener) {
        listeners.add(listener);
    }

    /** Commits {@code v}; its temporary zip is consumed (moved or copied, then gone from the caller's view). */
    public void commit(VerifiedVersion v) throws IOException {
        stage(v);
        publish(v.version(), v.info());
    }

    /**
     * The first half of a commit: zip (unless the version has none: a go.mod-only version from a
     * snapshot), mod and sum, none of which makes the version exist. Snapshot import stages every
     * version before it publishes any.
     */
    public void stage(VerifiedVersion v) throws IOException {
        ModuleVersion mv = v.version();
        if (v.zip() != null) {
            store.put(StorageLayout.zip(mv), v.zip(), PutMode.REPLACE);
        }
        store.put(StorageLayout.mod(mv), v.mod());
        store.put(StorageLayout.sum(mv), v.sums().bytes());
    }

    /** The second half: the {@code .info} marker, then the list rewrite and the listeners. Idempotent. */
    public void publish(ModuleVersion mv, byte[] info) throws IOException {
        store.put(StorageLayout.info(mv), info);
        committed.increment();
        index.rewriteList(mv.path());
        for (Consumer<ModuleVersion> l : listeners) {
            l.accept(mv);
        }
    }
}
