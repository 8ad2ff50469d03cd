package dev.granary.core.fetch;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Tunables of the fetch pipeline, with the defaults a production proxy wants. {@code tempDir}
 * receives downloads before they are verified; with a disk tier it is the storage root (same file
 * system, so a verified zip is renamed into place, and swept on start).
 *
 * @param listTtl      freshness of list, @latest and query answers
 * @param notFoundTtl  how long a not-found answer is remembered
 * @param failureTtl   how long an upstream failure or refusal is remembered (no refetch meanwhile)
 * @param maxZipBytes  largest zip accepted
 * @param maxModBytes  largest .mod (and list) accepted
 * @param maxInfoBytes largest .info accepted
 * @param fetchWait    how long a request waits for a fetch (which continues in the background after)
 * @param tempDir      where downloads land before they are verified
 */
public record FetchSettings(
        Duration listTtl,
        Duration notFoundTtl,
        Duration failureTtl,
        long maxZipBytes,
        long maxModBytes,
        long maxInfoBytes,
        Duration fetchWait,
        Path tempDir) {

    public static FetchSettings defaults(Path tempDir) {
        return new FetchSettings(
                Duration.ofMinutes(1),
                Duration.ofSeconds(30),
                Duration.ofSeconds(5),
                500L << 20,
                16L << 20,
                64L << 10,
                Duration.ofMinutes(10),
                tempDir);
    }

    public FetchSettings withListTtl(Duration d) {
        return new FetchSettings(
                d, notFoundTtl, failureTtl, maxZipBytes, maxModBytes, maxInfoBytes, fetchWait, tempDir);
    }

    public FetchSettings withNotFoundTtl(Duration d) {
        return new FetchSettings(listTtl, d, failureTtl, maxZipBytes, maxModBytes, maxInfoBytes, fetchWait, tempDir);
    }

    public FetchSettings withFailureTtl(Duration d) {
        return new FetchSettings(listTtl, notFoundTtl, d, maxZipBytes, maxModBytes, maxInfoBytes, fetchWait, tempDir);
    }

    public FetchSettings withMaxZipBytes(long n) {
        return new FetchSettings(listTtl, notFoundTtl, failureTtl, n, maxModBytes, maxInfoBytes, fetchWait, tempDir);
    }

    public FetchSettings withFetchWait(Duration d) {
        return new FetchSettings(listTtl, notFoundTtl, failureTtl, maxZipBytes, maxModBytes, maxInfoBytes, d, tempDir);
    }
}
