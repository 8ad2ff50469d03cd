package dev.granary.core.fetch;

import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleVersion;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * One module version on its way from the upstream into storage, and the three points requests wait
 * for: {@code .info} is answered once it is fetched and names the version; {@code .mod} once its h1
 * equals the authoritative go.mod line (a checksum database or a pin), else once the whole version
 * passed its checks; {@code .zip} only at commit. A null {@code info}/{@code mod} value means
 * "committed: read it from storage".
 *
 * <p>{@code known} says the request that started the fetch named a version it knows exists (a
 * {@code .mod} or {@code .zip}: the go command asks those for versions a go.mod requires), so its
 * files are downloaded alongside the {@code .info} instead of after it. A fetch started by an
 * {@code .info} request may be one of the go command's probes of path prefixes that do not exist:
 * it asks the upstream for nothing more until the {@code .info} came back.
 */
final class VersionFetch {
    final ModuleVersion version;
    final boolean known;
    final CompletableFuture<byte[]> info = new CompletableFuture<>();
    final CompletableFuture<byte[]> mod = new CompletableFuture<>();
    final CompletableFuture<Void> committed = new CompletableFuture<>();

    VersionFetch(ModuleVersion version, boolean known) {
        this.version = version;
        this.known = known;
    }

    /** Why the fetch failed, once it did with a {@link ProxyException}; else null. */
    ProxyException failure() {
        return committed.state() == Future.State.FAILED && committed.exceptionNow() instanceof ProxyException e
                ? e
                : null;
    }

    /** How many KiB of answers the fetch holds in memory (an {@code .info}, a {@code .mod}). */
    int kibHeld() {
        long bytes = 0;
        for (CompletableFuture<byte[]> stage : List.of(info, mod)) {
            if (stage.state() == Future.State.SUCCESS && stage.resultNow() != null) {
                bytes += stage.resultNow().length;
            }
        }
        return (int) (bytes >> 10);
    }

    /** Completes whatever is still pending with {@code failure}. */
    void fail(Throwable failure) {
        info.completeExceptionally(failure);
        mod.completeExceptionally(failure);
        committed.completeExceptionally(failure);
    }

    /** The version is in storage: everything not yet answered is read from there. */
    void stored() {
        info.complete(null);
        mod.complete(null);
        committed.complete(null);
    }
}
