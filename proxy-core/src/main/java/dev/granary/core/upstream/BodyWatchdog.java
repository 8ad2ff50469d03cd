package dev.granary.core.upstream;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Bounds a response body in time. The JDK client's request timeout ends when the headers arrive; a
 * body that trickles or stalls would hold its reader forever. This stream is closed from a timer
 * when the exchange's deadline passes or when no byte has arrived for the idle timeout; the blocked
 * read then fails with an {@link IOException}, and {@link #expired()} says which limit ended it.
 *
 * <p>One timer thread serves every body; it only decides and hands the close to a virtual thread,
 * so a slow cancel cannot delay other bodies' limits. The timer is re-armed lazily: it fires at the
 * earlier of the deadline and (last progress + idle), and re-arms itself when progress was made since.
 */
final class BodyWatchdog extends FilterInputStream {
    /** Which limit closed the body. */
    enum Limit {
        DEADLINE,
        IDLE
    }

    private static final ScheduledThreadPoolExecutor TIMER;

    static {
        TIMER = new ScheduledThreadPoolExecutor(
                1,
                Thread.ofPlatform().daemon().name("granary-upstream-watchdog").factory());
        TIMER.setRemoveOnCancelPolicy(true);
    }

    private final long deadline;
    private final long idleNanos;
    private volatile long lastProgress;
    private volatile Limit expired;
    private ScheduledFuture<?> timer;
    private boolean closed;

    /**
     * @param deadline a {@link System#nanoTime()} value after which the body is cut
     * @param idleNanos how long the body may make no progress
     */
    BodyWatchdog(InputStream in, long deadline, long idleNanos) {
        super(in);
        this.deadline = deadline;
        this.idleNanos = idleNanos;
        this.lastProgress = System.nanoTime();
        arm();
    }

    /** The limit that closed the body, or null while none did. */
    Limit expired() {
        return expired;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            lastProgress = System.nanoTime();
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            lastProgress = System.nanoTime();
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            closed = true;
            if (timer != null) {
                timer.cancel(false);
            }
        }
        super.close();
    }

    private synchronized void arm() {
        if (closed) {
            return;
        }
        long at = Math.min(deadline - lastProgress, idleNanos) + lastProgress;
        timer = TIMER.schedule(this::check, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void check() {
        long now = System.nanoTime();
        Limit limit = now - deadline >= 0 ? Limit.DEADLINE : now - lastProgress >= idleNanos ? Limit.IDLE : null;
        if (limit == null) {
            arm();
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            expired = limit;
        }
        Thread.startVirtualThread(() -> {
            try {
                in.close();
            } catch (IOException ignored) {
                // the reader sees its read fail either way
            }
        });
    }
}
