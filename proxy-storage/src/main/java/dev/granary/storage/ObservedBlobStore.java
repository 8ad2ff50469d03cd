package dev.granary.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transparent {@link BlobStore} wrapper that reports every {@code get} and {@code stat} of its
 * delegate to a {@link TierObserver} as a hit or miss of a named tier, and every failure as an error.
 * Used to give the durable tiers (disk, S3) the same hit/miss metrics as the hot tier.
 *
 * <p>Behaviour, contract and thread-safety are exactly the delegate's; this wrapper only watches.
 * Closing it closes the delegate.
 */
public final class ObservedBlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(ObservedBlobStore.class);

    private final String tier;
    private final TierObserver observer;
    private final BlobStore delegate;

    /**
     * @param tier the name reported to the observer, such as {@code "disk"}
     * @param observer receives lookups and errors
     * @param delegate the store that does the work
     */
    public ObservedBlobStore(String tier, TierObserver observer, BlobStore delegate) {
        this.tier = Objects.requireNonNull(tier, "tier");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The tier name this wrapper reports. */
    public String tier() {
        return tier;
    }

    /** The wrapped store. */
    public BlobStore delegate() {
        return delegate;
    }

    @Override
    public Optional<Blob> get(BlobKey key) throws IOException {
        Optional<Blob> blob;
        long start = System.nanoTime();
        try {
            blob = delegate.get(key);
        } catch (IOException | RuntimeException e) {
            error("get", e);
            throw e;
        } finally {
            latency("get", start);
        }
        lookup(key, blob.isPresent());
        blob.ifPresent(b -> transferred("get", b.size()));
        return blob;
    }

    @Override
    public Optional<BlobStat> stat(BlobKey key) throws IOException {
        Optional<BlobStat> stat;
        long start = System.nanoTime();
        try {
            stat = delegate.stat(key);
        } catch (IOException | RuntimeException e) {
            error("stat", e);
            throw e;
        } finally {
            latency("stat", start);
        }
        lookup(key, stat.isPresent());
        return stat;
    }

    @Override
    public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
        long start = System.nanoTime();
        try {
            boolean written = delegate.put(key, content, size, mode);
            if (written && size >= 0) {
                transferred("put", size);
            }
            return written;
        } catch (IOException | RuntimeException e) {
            error("put", e);
            throw e;
        } finally {
            latency("put", start);
        }
    }

    @Override
    public boolean put(BlobKey key, Path file, PutMode mode) throws IOException {
        long start = System.nanoTime();
        try {
            // Measured first: the store may take the file over (rename it into place).
            long size = Files.size(file);
            boolean written = delegate.put(key, file, mode);
            if (written) {
                transferred("put", size);
            }
            return written;
        } catch (IOException | RuntimeException e) {
            error("put", e);
            throw e;
        } finally {
            latency("put", start);
        }
    }

    @Override
    public boolean delete(BlobKey key) throws IOException {
        try {
            return delegate.delete(key);
        } catch (IOException | RuntimeException e) {
            error("delete", e);
            throw e;
        }
    }

    @Override
    public List<BlobKey> list(BlobKey prefix) throws IOException {
        try {
            return delegate.list(prefix);
        } catch (IOException | RuntimeException e) {
            error("list", e);
            throw e;
        }
    }

    /** Asks the wrapped store. */
    @Override
    public Optional<URI> presignGet(BlobKey key, Duration expiry) throws IOException {
        return delegate.presignGet(key, expiry);
    }

    @Override
    public void checkHealth() throws IOException {
        delegate.checkHealth();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    private void latency(String operation, long startNanos) {
        try {
            observer.latency(tier, operation, System.nanoTime() - startNanos);
        } catch (RuntimeException e) {
            log.warn("tier observer failed on latency", e);
        }
    }

    private void transferred(String operation, long bytes) {
        try {
            observer.transferred(tier, operation, bytes);
        } catch (RuntimeException e) {
            log.warn("tier observer failed on transfer", e);
        }
    }

    private void lookup(BlobKey key, boolean hit) {
        try {
            observer.lookup(tier, key, hit);
        } catch (RuntimeException e) {
            log.warn("tier observer failed on lookup", e);
        }
    }

    private void error(String operation, Throwable t) {
        try {
            observer.error(tier, operation, t);
        } catch (RuntimeException e) {
            log.warn("tier observer failed on error", e);
        }
    }
}
