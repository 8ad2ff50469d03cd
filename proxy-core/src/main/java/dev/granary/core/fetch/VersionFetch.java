package dev.granary.core.fetch;

import dev.granary.core.module.ModuleVersion;
import java.util.concurrent.CompletableFuture;

/**
 * One module version on its way from the upstream into storage, and the three points requests wait
 * for: {@code .info} is answered once it is fetched and names the version; {@code .mod} once its h1
 * equals the authoritative go.mod line (a checksum database or a pin), else at commit; {@code .zip}
 * only at commit. A null {@code info}/{@code mod} value means "committed: read it from storage".
 */
final class VersionFetch {
    final ModuleVersion version;
    final CompletableFuture<byte[]> info = new CompletableFuture<>();
    final CompletableFuture<byte[]> mod = new CompletableFuture<>();
    final CompletableFuture<Void> committed = new CompletableFuture<>();

    VersionFetch(ModuleVersion version) {
        this.version = version;
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
