package dev.granary.core.fetch;

import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import java.nio.file.Path;

/**
 * A module version whose files passed every check and are ready to be committed.
 *
 * @param version the module version
 * @param info    the {@code .info} bytes (its Version field equals the version)
 * @param mod     the {@code .mod} bytes
 * @param zip     a temporary file holding the zip; the committer moves or copies it into storage. Null for a
 *                version that comes with its go.mod alone (a snapshot carrying only a go.sum {@code /go.mod} line)
 * @param sums    the h1 hashes of zip and mod, as committed to {@code .sum}
 */
public record VerifiedVersion(ModuleVersion version, byte[] info, byte[] mod, Path zip, GoSum sums) {}
