package dev.granary.core.retention;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleVersion;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each version was last requested, for retention ({@code gc.max-age}) and the catalog.
 *
 * <p>Why records in storage rather than file access times: the hot tier answers most requests from
 * memory without touching the disk, many file systems are mounted {@code noatime} or
 * {@code relatime}, S3 has no access time at all, and replicas sharing a bucket must see each other's
 * requests. So a request only notes the time in memory ({@link #touched}, a map put); a periodic
 * {@link #flush} writes {@code access/<module>/@v/<version>} (an ISO-8601 instant) for versions
 * requested since, at most once per version per day: retention counts in days, and one small write
 * per requested version per day is cheap on disk and on S3. Replicas overwrite each other's records
 * with times of the same day, which is all retention needs.
 */
public final class AccessTimes {
    private static final Logger log = LoggerFactory.getLogger(AccessTimes.class);
    private static final long SECONDS_PER_DAY = 86_400;

    private final BlobStore store;
    private final Clock clock;
    /** Requested since the last flush. */
    private final ConcurrentHashMap<ModuleVersion, Instant> pending = new ConcurrentHashMap<>();
    /** The day last written for a version, so a version requested all day is written once. */
    private final Cache<ModuleVersion, Long> writtenDay =
            Caffeine.newBuilder().maximumSize(200_000).build();

    public AccessTimes(BlobStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** A client asked for {@code mv} now. Cheap and non-blocking: call it on every request. */
    public void touched(ModuleVersion mv) {
        Instant now = clock.instant();
        Long written = writtenDay.getIfPresent(mv);
        if (written != null && written == day(now)) {
            return;
        }
        pending.put(mv, now);
    }

    /**
     * Writes the records of versions requested since the last flush.
     *
     * @return how many records were written
     */
    public int flush() {
        int n = 0;
        for (ModuleVersion mv : pending.keySet()) {
            Instant t = pending.remove(mv);
            if (t == null) {
                continue;
            }
            try {
                store.put(StorageLayout.access(mv), (t + "\n").getBytes(StandardCharsets.UTF_8));
                writtenDay.put(mv, day(t));
                n++;
            } catch (IOException e) {
                // Keep it for the next flush; an older record only makes retention keep the version longer.
                pending.merge(mv, t, (a, b) -> a.isAfter(b) ? a : b);
                log.warn("cannot record the last request of {}: {}", mv, e.toString());
            }
        }
        return n;
    }

    /** When {@code mv} was last requested: noted in memory, else recorded in storage, else unknown. */
    public Optional<Instant> lastRequested(ModuleVersion mv) {
        Instant p = pending.get(mv);
        if (p != null) {
            return Optional.of(p);
        }
        try {
            return read(StorageLayout.access(mv));
        } catch (IOException e) {
            log.debug("reading the last request of {}: {}", mv, e.toString());
            return Optional.empty();
        }
    }

    /** Every recorded last request in storage (with what is noted in memory on top). */
    public Map<ModuleVersion, Instant> all() throws IOException {
        Map<ModuleVersion, Instant> out = new HashMap<>();
        for (BlobKey k : store.list(StorageLayout.accessDir())) {
            Optional<ModuleVersion> mv = StorageLayout.versionOfAccess(k);
            if (mv.isPresent()) {
                read(k).ifPresent(t -> out.put(mv.get(), t));
            }
        }
        pending.forEach((mv, t) -> out.merge(mv, t, (a, b) -> a.isAfter(b) ? a : b));
        return out;
    }

    /** Drops everything recorded about a removed version. */
    public void forget(ModuleVersion mv) throws IOException {
        pending.remove(mv);
        writtenDay.invalidate(mv);
        store.delete(StorageLayout.access(mv));
    }

    private Optional<Instant> read(BlobKey key) throws IOException {
        Optional<Blob> b = store.get(key);
        if (b.isEmpty()) {
            return Optional.empty();
        }
        try (Blob blob = b.get()) {
            return Optional.of(Instant.parse(new String(blob.readAllBytes(), StandardCharsets.UTF_8).strip()));
        } catch (DateTimeParseException e) {
            log.warn("ignoring unreadable access record {}", key);
            return Optional.empty();
        }
    }

    private static long day(Instant t) {
        return Math.floorDiv(t.getEpochSecond(), SECONDS_PER_DAY);
    }
}
