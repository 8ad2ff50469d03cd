package dev.granary.core.verify;

import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import java.util.Optional;

/**
 * Where a version's authoritative hashes come from: the checksum database for public modules, the
 * first fetch's pin for private ones. The fetch pipeline asks {@link #expected} (in parallel with the
 * download), compares, and calls {@link #accepted} right before it commits.
 */
public interface ChecksumVerifier {

    /** Verification off: nothing is expected, everything is accepted. */
    ChecksumVerifier NONE = mv -> Optional.empty();

    /**
     * The hashes {@code mv} must have. May block (a checksum database lookup with its proofs).
     *
     * @return empty when nothing is known: verification is off for the module, or it is the first
     *     fetch of a private module (whose hashes {@link #accepted} then pins)
     * @throws dev.granary.core.ProxyException VERIFICATION_FAILED when the database does not know the
     *     version or its answer does not verify; UPSTREAM_FAILED/STORAGE_UNAVAILABLE when it cannot be asked
     */
    Optional<ExpectedSums> expected(ModuleVersion mv);

    /**
     * Called once the fetched hashes passed, before the version is committed: private modules are
     * pinned here.
     *
     * @throws dev.granary.core.ProxyException VERIFICATION_FAILED when a concurrent first fetch pinned
     *     different hashes
     */
    default void accepted(GoSum actual) {}

    /** Called when fetched hashes differ from {@link #expected}'s, with the reason counted in metrics. */
    default void refused(ModuleVersion mv, String reason) {}
}
