package dev.granary.core.catalog;

import dev.granary.core.module.ModuleVersion;
import java.util.Optional;

/**
 * Where a stored version came from besides a fetch, for the catalog: snapshot import records the
 * snapshots it imported (under its own {@code snapshots/} keys) and answers here with the snapshot
 * that brought a version in. The catalog shows it as a verification of kind {@code snapshot}.
 */
@FunctionalInterface
public interface VersionOrigins {

    /** Knows of no other origin. */
    VersionOrigins NONE = mv -> Optional.empty();

    /**
     * The snapshot that brought {@code mv} into storage, as a short name an operator recognizes (its
     * id or file name), or empty. Called on a virtual thread; may read storage.
     */
    Optional<String> snapshotOf(ModuleVersion mv);
}
