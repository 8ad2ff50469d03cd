package dev.granary.core.snapshot;

import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.Semver;
import java.util.Comparator;

/** The order module versions take in snapshots and manifests: by path, then by semantic version. */
final class SnapshotOrder {
    static final Comparator<ModuleVersion> VERSIONS = Comparator.<ModuleVersion, String>comparing(
                    m -> m.path().value())
            .thenComparing(ModuleVersion::version, Semver.ORDER);

    private SnapshotOrder() {}
}
