package dev.granary.core.dl;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the release archive mirror.
 *
 * @param listingTtl      how long a fetched listing is fresh; after it, the next request fetches it again
 *                        (and is answered from the stale copy when the release site fails)
 * @param notFoundTtl     a file missing from the listing refreshes it at most this often
 * @param failureTtl      how long a failed or refused archive is remembered (no refetch meanwhile)
 * @param maxArchiveBytes the largest archive accepted (the download is cut there)
 * @param fetchWait       how long a request waits for an archive's fetch (which goes on after)
 * @param tempDir         where archives land before they are verified: the storage root, so a verified
 *                        archive is renamed into place and leftovers are swept
 */
public record DlSettings(
        Duration listingTtl,
        Duration notFoundTtl,
        Duration failureTtl,
        long maxArchiveBytes,
        Duration fetchWait,
        Path tempDir) {
    /** The largest listing accepted (the official one with include=all is a few MiB). */
    public static final long MAX_LISTING_BYTES = 64L << 20;

    public DlSettings {
        Objects.requireNonNull(tempDir, "tempDir");
        if (maxArchiveBytes <= 0) {
            throw new IllegalArgumentException("maxArchiveBytes must be positive");
        }
    }

    public static DlSettings defaults(Path tempDir) {
        return new DlSettings(
                Duration.ofMinutes(5),
                Duration.ofSeconds(30),
                Duration.ofSeconds(5),
                1L << 30,
                Duration.ofMinutes(10),
                tempDir);
    }

    public DlSettings withListingTtl(Duration d) {
        return new DlSettings(d, notFoundTtl, failureTtl, maxArchiveBytes, fetchWait, tempDir);
    }

    public DlSettings withNotFoundTtl(Duration d) {
        return new DlSettings(listingTtl, d, failureTtl, maxArchiveBytes, fetchWait, tempDir);
    }

    public DlSettings withFailureTtl(Duration d) {
        return new DlSettings(listingTtl, notFoundTtl, d, maxArchiveBytes, fetchWait, tempDir);
    }

    public DlSettings withMaxArchiveBytes(long n) {
        return new DlSettings(listingTtl, notFoundTtl, failureTtl, n, fetchWait, tempDir);
    }
}
