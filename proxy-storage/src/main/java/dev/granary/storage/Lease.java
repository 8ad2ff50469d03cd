package dev.granary.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * A short-lived, exclusive claim on a name, stored as a small blob by {@link BlobLeases}. Whoever holds
 * the lease for a key is the one process (among all sharing the store) that should do the work the
 * key stands for, until {@link #expiresAt()}.
 *
 * @param key where the lease blob lives
 * @param owner who holds it (free text for logs and diagnostics, such as a host name and PID)
 * @param token unique to this acquisition: two acquisitions never share a token, even by one owner
 * @param acquiredAt when it was acquired, by the holder's clock
 * @param expiresAt after this instant anyone may take the lease over
 */
public record Lease(BlobKey key, String owner, String token, Instant acquiredAt, Instant expiresAt) {

    /** Validates. */
    public Lease {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(acquiredAt, "acquiredAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** True when {@code now} is past {@link #expiresAt()}. */
    public boolean isExpired(Instant now) {
        return now.isAfter(expiresAt);
    }
}
