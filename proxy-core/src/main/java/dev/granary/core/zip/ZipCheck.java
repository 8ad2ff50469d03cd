package dev.granary.core.zip;

import java.util.Optional;

/**
 * The result of a successful {@link ModuleZips#check}: the zip is a valid module zip for its module version.
 *
 * @param h1               the dirhash of the zip ({@code h1:...}), as in go.sum and the checksum database
 * @param goMod            the content of the root {@code go.mod} file, if the zip has one
 * @param uncompressedSize the total bytes of all files, as actually inflated
 * @param fileCount        the number of files (directory entries not counted)
 */
public record ZipCheck(String h1, Optional<byte[]> goMod, long uncompressedSize, int fileCount) {}
