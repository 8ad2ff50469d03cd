package dev.granary.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leases on keys of any {@link BlobStore}, built only on the SPI: one process among all that share a
 * store (replicas on one S3 bucket, processes on one disk) gets to do the work a key stands for, such
 * as fetching one module version from upstream, without any coordination service.
 *
 * <p>{@link #tryAcquire} writes a small text blob (owner, a unique token, expiry) with
 * {@link PutMode#CREATE_ONLY}, so exactly one of several concurrent callers wins. A lease past its
 * expiry may be taken over; {@link #release} removes a lease only if it is still the caller's.
 * Keys are whatever the caller chooses; keep lease keys apart from data keys (a separate prefix) and
 * leave about 40 characters of room in the last segment, where takeover markers append a suffix.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>Takeover without a conditional delete.</b> The SPI has no compare-and-delete, so two
 *       replicas that both see lease {@code L} (token {@code t}) expired must not both delete and
 *       recreate it: the slower one would delete the faster one's fresh lease. Instead each first
 *       acquires a <em>takeover marker</em>, itself a lease at {@code key~takeover-t} (so only one
 *       taker per expired acquisition can exist, since tokens are never reused), then re-reads the key
 *       and deletes it only if it still holds token {@code t}, releases the marker, and competes for
 *       the key again with create-only, where again exactly one wins. A marker left by a taker that
 *       crashed expires after {@code takeoverTtl} and is taken over the same way, once more at most
 *       (a marker of a marker); deeper failures only make {@link #tryAcquire} answer empty.</li>
 *   <li><b>Assumptions.</b> Replicas' clocks agree to well within the TTLs (NTP); a takeover (a read
 *       and a delete) completes within {@code takeoverTtl}; a holder does not keep working past its
 *       expiry. Leases carry no fencing token to the store, so a holder paused beyond its expiry may
 *       overlap with its successor: use leases to avoid duplicate work, never for safety. (Granary's
 *       writers of one key write identical verified bytes, so an overlap costs a duplicate fetch.)</li>
 *   <li><b>Release</b> deletes only a lease that carries the caller's token and has not expired: an
 *       expired one may be in the middle of a takeover, and deleting it could delete the successor.
 *       An expired lease left behind is simply taken over by the next caller.</li>
 *   <li>Stores that emulate create-only without native conditional writes (see the S3 store's notes)
 *       weaken "exactly one winner" the same way they weaken it for data.</li>
 * </ul>
 *
 * <p>Thread-safe; a single instance may serve a whole process.
 */
public final class BlobLeases {

    private static final Logger log = LoggerFactory.getLogger(BlobLeases.class);
    private static final String MAGIC = "granary-lease 1";
    private static final String TAKEOVER = "~takeover-";
    private static final int MAX_DEPTH = 2;
    private static final int ATTEMPTS = 4;
    private static final int MAX_OWNER_LENGTH = 200;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final BlobStore store;
    private final Clock clock;
    private final Duration takeoverTtl;

    /** Leases in {@code store}, on the system clock, with 30 s takeover markers. */
    public BlobLeases(BlobStore store) {
        this(store, Clock.systemUTC(), Duration.ofSeconds(30));
    }

    /**
     * @param store where lease blobs live
     * @param clock the time source for expiry (tests pass a controllable one)
     * @param takeoverTtl how long a takeover marker is honoured before it is considered abandoned
     */
    public BlobLeases(BlobStore store, Clock clock, Duration takeoverTtl) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.takeoverTtl = positive(takeoverTtl, "takeoverTtl");
    }

    /**
     * Acquires the lease at {@code leaseKey} for {@code ttl} if nobody holds it, or if its holder's
     * lease has expired (then it is taken over, with exactly one winner among concurrent takers).
     *
     * @param owner who is asking, for diagnostics (no line breaks, at most 200 characters)
     * @param ttl how long the lease lasts; choose it longer than the work it guards
     * @return the new lease, or empty if someone else holds it (or is just taking it over)
     * @throws IOException if the store fails
     */
    public Optional<Lease> tryAcquire(BlobKey leaseKey, String owner, Duration ttl) throws IOException {
        Objects.requireNonNull(leaseKey, "leaseKey");
        checkOwner(owner);
        positive(ttl, "ttl");
        String deepestMarker = leaseKey.value() + TAKEOVER + "0123456789abcdef" + TAKEOVER + "0123456789abcdef";
        if (!BlobKey.isValid(deepestMarker)) {
            throw new IllegalArgumentException("lease key " + leaseKey + " leaves no room for takeover markers");
        }
        return acquire(leaseKey, owner, ttl, 0);
    }

    private Optional<Lease> acquire(BlobKey key, String owner, Duration ttl, int depth) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Instant now = clock.instant();
            Lease mine = new Lease(key, owner, newToken(), now, now.plus(ttl));
            byte[] body = encode(mine);
            if (store.put(key, new ByteArrayInputStream(body), body.length, PutMode.CREATE_ONLY)) {
                return Optional.of(mine);
            }
            Optional<Lease> held = holder(key);
            if (held.isEmpty()) {
                continue; // released or deleted by a taker meanwhile: compete again
            }
            Lease current = held.get();
            if (!current.isExpired(clock.instant()) || depth >= MAX_DEPTH) {
                return Optional.empty();
            }
            // Expired: only the holder of the takeover marker for this very acquisition may delete it.
            Optional<Lease> claim = acquire(markerKey(key, current.token()), owner, takeoverTtl, depth + 1);
            if (claim.isEmpty()) {
                return Optional.empty(); // someone else is taking it over
            }
            try {
                Optional<Lease> again = holder(key);
                if (again.isPresent() && again.get().token().equals(current.token())) {
                    store.delete(key);
                    log.info(
                            "took over expired lease {} of {} (expired {})", key, current.owner(), current.expiresAt());
                }
            } finally {
                // Once the expired acquisition is gone its marker means nothing: delete it outright.
                store.delete(claim.get().key());
            }
        }
        return Optional.empty();
    }

    /**
     * Releases {@code lease} if the store still holds it (same token) and it has not expired.
     *
     * @return {@code true} if the lease blob was deleted; {@code false} if it was already gone, taken
     *     over, or expired (an expired lease is left for the next caller to take over)
     */
    public boolean release(Lease lease) throws IOException {
        Objects.requireNonNull(lease, "lease");
        Optional<Lease> current = holder(lease.key());
        if (current.isEmpty() || !current.get().token().equals(lease.token())) {
            return false;
        }
        if (current.get().isExpired(clock.instant())) {
            return false;
        }
        return store.delete(lease.key());
    }

    /**
     * Who holds the lease at {@code leaseKey}, expired or not. A blob there that is not a lease (not
     * written by this class) reads as a lease that expired at the epoch, so it will be taken over.
     *
     * @return the lease, or empty if there is none
     */
    public Optional<Lease> holder(BlobKey leaseKey) throws IOException {
        Optional<Blob> found = store.get(leaseKey);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes;
        try (Blob blob = found.get()) {
            if (blob.size() > 4096) {
                return Optional.of(foreign(
                        leaseKey,
                        ("size " + blob.size() + " " + blob.etag().orElse("")).getBytes(StandardCharsets.UTF_8)));
            }
            bytes = blob.readAllBytes();
        }
        return Optional.of(decode(leaseKey, bytes));
    }

    private static BlobKey markerKey(BlobKey key, String token) {
        return BlobKey.of(key.value() + TAKEOVER + token);
    }

    static byte[] encode(Lease lease) {
        String text = MAGIC + "\n"
                + "owner=" + lease.owner() + "\n"
                + "token=" + lease.token() + "\n"
                + "acquired=" + lease.acquiredAt() + "\n"
                + "expires=" + lease.expiresAt() + "\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static Lease decode(BlobKey key, byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        if (lines.length < 5 || !lines[0].equals(MAGIC)) {
            return foreign(key, bytes);
        }
        String owner = null;
        String token = null;
        Instant acquired = null;
        Instant expires = null;
        try {
            for (int i = 1; i < lines.length; i++) {
                int eq = lines[i].indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String value = lines[i].substring(eq + 1);
                switch (lines[i].substring(0, eq)) {
                    case "owner" -> owner = value;
                    case "token" -> token = value;
                    case "acquired" -> acquired = Instant.parse(value);
                    case "expires" -> expires = Instant.parse(value);
                    default -> {
                        // later versions may add fields
                    }
                }
            }
        } catch (DateTimeException e) {
            return foreign(key, bytes);
        }
        if (owner == null || token == null || token.isEmpty() || acquired == null || expires == null) {
            return foreign(key, bytes);
        }
        return new Lease(key, owner, token, acquired, expires);
    }

    /** Something that is not a lease: expired long ago, with a token derived from its content. */
    private static Lease foreign(BlobKey key, byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            String token = "f" + HexFormat.of().formatHex(digest, 0, 8);
            return new Lease(key, "(not a lease)", token, Instant.EPOCH, Instant.EPOCH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    private static String newToken() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void checkOwner(String owner) {
        Objects.requireNonNull(owner, "owner");
        if (owner.isEmpty()
                || owner.length() > MAX_OWNER_LENGTH
                || owner.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(
                    "lease owner must be 1.." + MAX_OWNER_LENGTH + " characters without control characters");
        }
    }

    private static Duration positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " " + d + " is not positive");
        }
        return d;
    }
}
