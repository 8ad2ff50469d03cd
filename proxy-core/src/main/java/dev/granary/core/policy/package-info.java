/**
 * Which module versions Granary fetches and serves: deny and allow lists of module patterns and
 * version ranges ({@link dev.granary.core.policy.PolicyRule}, {@link dev.granary.core.policy.VersionRange}),
 * and a minimum age for new versions ({@link dev.granary.core.policy.ModulePolicy}). The fetch
 * pipeline and the module service call it through {@link dev.granary.core.policy.VersionPolicy};
 * a refusal is a {@link dev.granary.core.policy.PolicyException} (403 with its reason).
 */
package dev.granary.core.policy;
