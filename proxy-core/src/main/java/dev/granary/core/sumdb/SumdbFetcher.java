package dev.granary.core.sumdb;

import java.io.IOException;

/**
 * Fetches a path of a checksum database, relative to its base URL: {@code latest},
 * {@code lookup/<escaped-module>@<escaped-version>}, {@code tile/8/0/000.p/5}.
 */
@FunctionalInterface
public interface SumdbFetcher {

    /**
     * Returns the body of a successful (200) response.
     *
     * @throws java.io.FileNotFoundException or {@link java.nio.file.NoSuchFileException} when the
     *                                       database answered 404/410 (not found)
     * @throws IOException                   for any other failure
     */
    byte[] fetch(String path) throws IOException;
}
