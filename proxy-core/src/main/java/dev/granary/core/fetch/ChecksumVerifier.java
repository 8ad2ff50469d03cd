package dev.granary.core.fetch;

import dev.granary.core.module.ModuleVersion;

/**
 * Decides whether a fetched version's hashes may be committed: the checksum database for public
 * modules, a first-fetch pin for private ones. Called after the zip rules passed and before anything
 * is written to storage.
 */
@FunctionalInterface
public interface ChecksumVerifier {

    /** Accepts everything: verification off. */
    ChecksumVerifier NONE = (mv, zipH1, modH1) -> { };

    /**
     * @param zipH1 the h1 dirhash of the zip's files
     * @param modH1 the h1 dirhash of the .mod file (the go.sum {@code /go.mod} line)
     * @throws dev.granary.core.ProxyException of kind VERIFICATION_FAILED naming module, version,
     *     expected and actual hash when the hashes are refused
     */
    void verify(ModuleVersion mv, String zipH1, String modH1);
}
