package dev.granary.storage.tier;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import dev.granary.storage.TierObserver;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local cache (normally a {@link dev.granary.storage.disk.DiskBlobStore}) in front of a remote store
 * of record (normally S3), for the tier chain hot -> local disk -> S3.
 *
 * <p>{@link #get} answers from the local store when it can; on a miss it opens the remote blob, copies
 * it into the local store (streaming, through the local store's own atomic put, whatever the size)
 * and serves the local copy, which on disk means zero-copy file channels for later reads. Writes and
 * deletes go to the remote store first; the local store is then refreshed (a put from a file copies
 * the file locally too) or invalidated. {@link #stat} and {@link #list} always ask the remote store,
 * which is authoritative. The full {@link BlobStore} contract holds, as the two stores provide it.
 *
 * <p><b>Only immutable keys belong in the local cache.</b> Another replica's writes to the shared
 * remote store are invisible to this one's local copy, so keys whose content changes (a module's
 * {@code @v/list}, a checksum database's {@code latest}) must be excluded with {@code cacheable}; they
 * then go straight to the remote store. The local store has no size bound of its own: size its
 * volume, or sweep it (anything in it can be deleted at any time, the remote store has it).
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>No stale copy after this process's writes.</b> As in {@link HotTierBlobStore}: every
 *       put/delete bumps a generation counter (striped by key) before invalidating the local copy; a
 *       reader that filled the local store re-checks the generation it saw before its remote read and
 *       deletes its copy if a write happened meanwhile, serving the remote blob it opened instead.</li>
 *   <li><b>Failures.</b> If the local store fails (disk full, I/O error) the remote blob is served
 *       anyway and the failure goes to the {@link TierObserver} as tier {@value #TIER}; only a failure
 *       of the remote store fails the read. A copy cut short never becomes visible locally (the local
 *       put is atomic).</li>
 *   <li>The first read of a large blob waits for the whole copy before its first byte; later reads
 *       are local. Granary commits blobs through {@link #put(BlobKey, Path, PutMode)}, which fills the
 *       local copy from the same file, so the replica that fetched a module serves it locally at once.</li>
 * </ul>
 *
 * <p>Thread-safe. Closing it closes both stores.
 */
public final class ReadThroughBlobStore implements BlobStore {

    /** The tier name reported to the observer for the local store. */
    public static final String TIER = "local";

    private static final Logger log = LoggerFactory.getLogger(ReadThroughBlobStore.class);
    private static final int GENERATION_STRIPES = 256;

    private final BlobStore local;
    private final BlobStore remote;
    private final Predicate<BlobKey> cacheable;
    private final TierObserver observer;
    private final AtomicLongArray generations = new AtomicLongArray(GENERATION_STRIPES);

    /** Caches every key locally; reports to nobody. */
    public ReadThroughBlobStore(BlobStore local, BlobStore remote) {
        this(local, remote, key -> true, TierObserver.NONE);
    }

    /**
     * @param local the cache, for example a disk store
     * @param remote the store of record, for example S3
     * @param cacheable which keys may be copied locally; only keys whose content never changes
     * @param observer receives local hits and misses and local failures
     */
    public ReadThroughBlobStore(
            BlobStore local, BlobStore remote, Predicate<BlobKey> cacheable, TierObserver observer) {
        this.local = Objects.requireNonNull(local, "local");
        this.remote = Objects.requireNonNull(remote, "remote");
        this.cacheable = Objects.requireNonNull(cacheable, "cacheable");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /** The local cache. */
    public BlobStore local() {
        return local;
    }

    /** The store of record. */
    public BlobStore remote() {
        return remote;
    }

    /**
     * The local copy if there is one; otherwise the remote blob, copied into the local store first
     * when the key is cacheable (see the class description).
     */
    @Override
    public Optional<Blob> get(BlobKey key) throws IOException {
        Objects.requireNonNull(key, "key");
        if (!cacheable.test(key)) {
            return remote.get(key);
        }
        Optional<Blob> hit = Optional.empty();
        try {
            hit = local.get(key);
        } catch (IOException | RuntimeException e) {
            error("get", e);
        }
        lookup(key, hit.isPresent());
        if (hit.isPresent()) {
            return hit;
        }
        long generation = generations.get(stripe(key));
        Optional<Blob> found = remote.get(key);
        if (found.isEmpty()) {
            return found;
        }
        Blob remoteBlob = found.get();
        boolean keepRemote = true;
        try {
            Optional<Blob> copy = fill(key, remoteBlob, generation);
            if (copy.isPresent()) {
                keepRemote = false;
                return copy;
            }
            return found;
        } finally {
            if (!keepRemote) {
                closeQuietly(remoteBlob);
            }
        }
    }

    /** Copies {@code remoteBlob} into the local store; the local copy, or empty to serve the remote blob. */
    private Optional<Blob> fill(BlobKey key, Blob remoteBlob, long generation) throws IOException {
        WatchedStream in = new WatchedStream(remoteBlob.openStream());
        try (in) {
            local.put(key, in, remoteBlob.size(), PutMode.REPLACE);
        } catch (IOException | RuntimeException e) {
            if (in.failure != null) {
                closeQuietly(remoteBlob);
                throw in.failure; // the remote store failed: the read fails
            }
            error("fill", e);
            log.warn(
                    "cannot copy {} into the local tier {} ({}); serving it from {}",
                    key,
                    local.describe(),
                    e.toString(),
                    remote.describe());
            return Optional.empty();
        }
        try {
            if (generations.get(stripe(key)) != generation) {
                local.delete(key); // a write overtook this read: don't leave older bytes behind
                return Optional.empty();
            }
            return local.get(key);
        } catch (IOException | RuntimeException e) {
            error("get", e);
            return Optional.empty();
        }
    }

    /** Asks the remote store. */
    @Override
    public Optional<BlobStat> stat(BlobKey key) throws IOException {
        return remote.stat(key);
    }

    /** Writes to the remote store, then invalidates the local copy (also when the write failed). */
    @Override
    public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
        try {
            return remote.put(key, content, size, mode);
        } finally {
            invalidate(key);
        }
    }

    /**
     * Writes the file to the remote store, then copies it into the local store too (cacheable keys,
     * when written), so that this process serves it locally at once.
     */
    @Override
    public boolean put(BlobKey key, Path file, PutMode mode) throws IOException {
        boolean written;
        try {
            written = remote.put(key, file, mode);
        } catch (IOException | RuntimeException e) {
            invalidate(key);
            throw e;
        }
        invalidate(key);
        if (written && cacheable.test(key)) {
            long generation = generations.get(stripe(key));
            try {
                local.put(key, file, PutMode.REPLACE);
                if (generations.get(stripe(key)) != generation) {
                    local.delete(key);
                }
            } catch (IOException | RuntimeException e) {
                error("fill", e);
                log.warn("cannot copy {} into the local tier {} ({})", key, local.describe(), e.toString());
            }
        }
        return written;
    }

    /** Deletes from the remote store, then the local copy. */
    @Override
    public boolean delete(BlobKey key) throws IOException {
        try {
            return remote.delete(key);
        } finally {
            invalidate(key);
        }
    }

    /** Asks the remote store. */
    @Override
    public List<BlobKey> list(BlobKey prefix) throws IOException {
        return remote.list(prefix);
    }

    /** Asks the remote store. */
    @Override
    public Optional<URI> presignGet(BlobKey key, Duration expiry) throws IOException {
        return remote.presignGet(key, expiry);
    }

    /** Checks the remote store, then the local one. */
    @Override
    public void checkHealth() throws IOException {
        remote.checkHealth();
        local.checkHealth();
    }

    @Override
    public String describe() {
        return local.describe() + " over " + remote.describe();
    }

    /** Closes both stores. */
    @Override
    public void close() throws IOException {
        try {
            local.close();
        } finally {
            remote.close();
        }
    }

    /**
     * Drops the local copy of {@code key}; a read in flight will not leave an older copy behind.
     *
     * @throws StorageException if the local store cannot delete it
     */
    public void invalidate(BlobKey key) throws IOException {
        generations.incrementAndGet(stripe(key));
        try {
            local.delete(key);
        } catch (IOException | RuntimeException e) {
            error("invalidate", e);
            throw e;
        }
    }

    private static int stripe(BlobKey key) {
        return (key.hashCode() & 0x7fffffff) % GENERATION_STRIPES;
    }

    private void lookup(BlobKey key, boolean hit) {
        try {
            observer.lookup(TIER, key, hit);
        } catch (RuntimeException e) {
            log.warn("tier observer failed on lookup", e);
        }
    }

    private void error(String operation, Throwable t) {
        try {
            observer.error(TIER, operation, t);
        } catch (RuntimeException e) {
            log.warn("tier observer failed on error", e);
        }
    }

    private static void closeQuietly(Blob blob) {
        try {
            blob.close();
        } catch (IOException e) {
            log.debug("closing a remote blob failed", e);
        }
    }

    /** Remembers whether the remote stream itself failed, to tell remote from local failures apart. */
    private static final class WatchedStream extends FilterInputStream {
        IOException failure;

        WatchedStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return in.skip(n);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }
}
