package dev.granary.server.http;

import dev.granary.core.gocache.CacheIds;
import dev.granary.storage.TempFiles;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The body of a PUT the router accepted, written to a temporary file as it arrives and hashed
 * (SHA-256) on the way, never held in memory whole. Chunks are written in order on the blocking
 * executor (no file I/O on an event loop); the connection stops reading while too much is waiting to
 * be written. The file is a temporary file of this process under the storage root ({@link TempFiles}),
 * so a process killed mid-upload leaves nothing the sweeper does not remove; it is deleted once the
 * exchange ends.
 *
 * <p>{@link #write} and {@link #finish} are called on the connection's event loop; what they queue runs
 * one after the other, and everything the answer reads is written before {@link #finished()} completes.
 */
final class Upload {
    private static final Logger log = LoggerFactory.getLogger(Upload.class);
    /** Bytes queued for writing above which the connection stops reading. */
    static final long HIGH_WATER = 1 << 20;

    private final Path dir;
    private final long expected;
    private final Executor blocking;
    private final MessageDigest md = CacheIds.sha256();
    private final AtomicLong pending = new AtomicLong();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private volatile boolean discarded;
    private Path file;
    private FileChannel channel;
    private long received;
    private String sha256;
    private IOException failure;

    /**
     * @param dir      where the temporary file goes (the storage root)
     * @param expected the declared Content-Length
     */
    Upload(Path dir, long expected, Executor blocking) {
        this.dir = dir;
        this.expected = expected;
        this.blocking = blocking;
    }

    /** Queues a chunk; takes over {@code buf} (released once written, or if it never is). */
    void write(ByteBuf buf) {
        int n = buf.readableBytes();
        pending.addAndGet(n);
        // Released exactly once, by whoever gets here first. (Not by looking at refCnt(): a released
        // slice goes back to a pool and may already be someone else's buffer.)
        AtomicBoolean owned = new AtomicBoolean(true);
        Runnable release = () -> {
            if (owned.compareAndSet(true, false)) {
                buf.release();
                pending.addAndGet(-n);
            }
        };
        CompletableFuture<Void> f = tail.thenRunAsync(
                () -> {
                    try {
                        append(buf);
                    } finally {
                        release.run();
                    }
                },
                blocking);
        // If the executor refused the task (shutting down), the buffer is released here instead.
        f.whenComplete((v, e) -> release.run());
        tail = f.exceptionally(e -> null);
    }

    /** The last chunk was queued: completes {@link #finished()} once everything is written. */
    void finish() {
        CompletableFuture<Void> f = tail.thenRunAsync(this::close, blocking);
        f.whenComplete((v, e) -> finished.complete(null));
        tail = f.exceptionally(e -> null);
    }

    /** Completes when the body is on disk (or failed); then {@link #file}, {@link #sha256} and {@link #failure} hold. */
    CompletableFuture<Void> finished() {
        return finished;
    }

    /** Bytes received but not yet written. */
    long pending() {
        return pending.get();
    }

    /** The file holding the body; null when nothing could be written. */
    Path file() {
        return file;
    }

    long size() {
        return received;
    }

    /** The body's SHA-256 in hex, once finished. */
    String sha256() {
        return sha256;
    }

    /** Why the body could not be kept (a disk failure, a body of another length), or null. */
    IOException failure() {
        if (failure == null && !finished.isDone()) {
            return new IOException("the request body was not received");
        }
        return failure;
    }

    /** Deletes the temporary file once pending writes are done. Idempotent; any thread. */
    void discard() {
        discarded = true;
        tail.whenCompleteAsync(
                (v, e) -> {
                    try {
                        if (channel != null) {
                            channel.close();
                        }
                        if (file != null) {
                            Files.deleteIfExists(file);
                        }
                    } catch (IOException ex) {
                        log.warn("removing an upload's temporary file: {}", ex.toString());
                    }
                },
                blocking);
    }

    private void append(ByteBuf buf) {
        if (failure != null || discarded) {
            return;
        }
        try {
            if (channel == null) {
                file = TempFiles.create(dir, "upload");
                channel = FileChannel.open(file, StandardOpenOption.WRITE);
            }
            if (received + buf.readableBytes() > expected) {
                throw new IOException("the request body is longer than its Content-Length");
            }
            for (ByteBuffer nio : buf.nioBuffers()) {
                md.update(nio.duplicate());
                while (nio.hasRemaining()) {
                    channel.write(nio);
                }
            }
            received += buf.readableBytes();
        } catch (IOException e) {
            failure = e;
        }
    }

    private void close() {
        try {
            if (channel == null && failure == null && !discarded) {
                // An empty body: still a file, so that what reads it need not care.
                file = TempFiles.create(dir, "upload");
            }
            if (channel != null) {
                channel.close();
                channel = null;
            }
            if (failure == null && received != expected) {
                failure = new IOException("the request body ended after " + received + " of " + expected + " bytes");
            }
            sha256 = CacheIds.hex(md.digest());
        } catch (IOException e) {
            failure = e;
        }
    }
}
