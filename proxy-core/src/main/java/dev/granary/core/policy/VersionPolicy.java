package dev.granary.core.policy;

import dev.granary.core.module.ModuleVersion;

/**
 * Decides whether a module version may be fetched and served: the hook the module service and the
 * fetch pipeline call. Refusals are {@link PolicyException}s.
 *
 * <p>Where it is called, and why there:
 * <ul>
 *   <li>{@link #checkVersion} before anything about a version is read from storage or fetched from
 *       the upstream: rules that need only the module path and the version;</li>
 *   <li>{@link #checkInfo} by the fetch pipeline as soon as the upstream's {@code .info} is
 *       fetched, before the {@code .info} is answered and before the checksum lookup and the
 *       {@code .mod} and {@code .zip} downloads: a refused version is never downloaded nor committed;</li>
 *   <li>{@link #checkInfo} again before a stored version is served (when {@link #needsInfo} says it
 *       can refuse), so a rule or a quarantine also covers versions committed before it existed.</li>
 * </ul>
 * {@code @v/list} is never filtered: the go command then names the version it picked, and the
 * refusal says why.
 */
public interface VersionPolicy {

    /** No policy: everything is allowed. */
    VersionPolicy NONE = new VersionPolicy() {
        @Override
        public void checkVersion(ModuleVersion mv) {}

        @Override
        public boolean needsInfo(ModuleVersion mv) {
            return false;
        }

        @Override
        public void checkInfo(ModuleVersion mv, byte[] info) {}
    };

    /**
     * Refuses by module path and version alone (deny and allow lists).
     *
     * @throws PolicyException when refused
     */
    void checkVersion(ModuleVersion mv);

    /** True when {@link #checkInfo} may refuse {@code mv} (a minimum age applies to it). */
    boolean needsInfo(ModuleVersion mv);

    /**
     * Refuses by what the version's {@code .info} says (its {@code Time}, for a minimum age), and by
     * everything {@link #checkVersion} checks.
     *
     * @throws PolicyException when refused
     */
    void checkInfo(ModuleVersion mv, byte[] info);
}
