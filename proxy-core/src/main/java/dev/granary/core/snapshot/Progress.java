package dev.granary.core.snapshot;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Reports the progress of a long export or import: bytes and items done out of a total, the rate and
 * an estimate of the time left. On a terminal it redraws one bar in place (at most ten times a
 * second); otherwise (a log, a CI job) it prints a plain line every {@link #LOG_INTERVAL_NANOS}, so
 * logs stay readable. Thread-safe.
 */
public final class Progress implements AutoCloseable {
    static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
    private static final long DRAW_INTERVAL_NANOS = 100_000_000L;
    private static final int BAR = 28;

    private final String what;
    private final PrintStream out;
    private final boolean tty;
    private final long start = System.nanoTime();
    private long totalBytes;
    private long totalItems;
    private long bytes;
    private long items;
    private long lastPrint;
    private boolean drawn;

    private Progress(String what, long totalBytes, long totalItems, PrintStream out, boolean tty) {
        this.what = what;
        this.totalBytes = totalBytes;
        this.totalItems = totalItems;
        this.out = out;
        this.tty = tty;
        this.lastPrint = start;
    }

    /**
     * @param what       what is being done, e.g. {@code exporting}
     * @param totalBytes bytes to do, or 0 when unknown
     * @param totalItems items (files, versions) to do, or 0 when unknown
     * @param out        where to report (standard error, usually)
     * @param tty        true to draw a bar in place (the output is a terminal)
     */
    public static Progress start(String what, long totalBytes, long totalItems, PrintStream out, boolean tty) {
        return new Progress(what, totalBytes, totalItems, out, tty);
    }

    /** Starts reporters: one per phase of a command (fetching, writing, verifying, ...). */
    @FunctionalInterface
    public interface Factory {
        Progress start(String what, long totalBytes, long totalItems);

        /** Reporters that report nothing. */
        static Factory none() {
            return (what, bytes, items) -> Progress.none();
        }
    }

    /** A reporter that reports nothing. */
    public static Progress none() {
        return new Progress("", 0, 0, null, false);
    }

    /** Changes the totals (once they are known). */
    public synchronized void totals(long totalBytes, long totalItems) {
        this.totalBytes = totalBytes;
        this.totalItems = totalItems;
    }

    /** Records more work done. */
    public synchronized void add(long moreBytes, long moreItems) {
        bytes += moreBytes;
        items += moreItems;
        maybePrint();
    }

    /** Sets the bytes done so far (for a reader that counts its own position). */
    public synchronized void bytesDone(long done) {
        bytes = done;
        maybePrint();
    }

    private void maybePrint() {
        if (out == null) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastPrint < (tty ? DRAW_INTERVAL_NANOS : LOG_INTERVAL_NANOS)) {
            return;
        }
        lastPrint = now;
        if (tty) {
            out.print("\r" + line(now) + "\033[K");
            drawn = true;
        } else {
            out.println("granary: " + line(now));
        }
        out.flush();
    }

    /** The status line: bar (on a terminal), percentage, bytes, items, rate and time left. */
    synchronized String line(long now) {
        double seconds = Math.max(1e-3, (now - start) / 1e9);
        double rate = bytes / seconds;
        StringBuilder b = new StringBuilder(what).append(' ');
        if (totalBytes > 0) {
            double frac = Math.min(1.0, (double) bytes / totalBytes);
            if (tty) {
                int filled = (int) Math.round(frac * BAR);
                b.append('[')
                        .append("#".repeat(filled))
                        .append(".".repeat(BAR - filled))
                        .append("] ");
            }
            b.append(String.format(Locale.ROOT, "%3.0f%% ", frac * 100))
                    .append(size(bytes))
                    .append(" / ")
                    .append(size(totalBytes));
        } else {
            b.append(size(bytes));
        }
        if (totalItems > 0) {
            b.append(", ").append(items).append('/').append(totalItems).append(" files");
        } else if (items > 0) {
            b.append(", ").append(items).append(" files");
        }
        b.append(", ").append(size((long) rate)).append("/s");
        if (totalBytes > 0 && bytes > 0 && bytes < totalBytes) {
            b.append(", ETA ").append(duration((long) ((totalBytes - bytes) / Math.max(rate, 1))));
        }
        return b.toString();
    }

    /** Ends the report with a final line. */
    @Override
    public synchronized void close() {
        if (out == null) {
            return;
        }
        String last = line(System.nanoTime());
        if (tty && drawn) {
            out.print("\r" + last + "\033[K\n");
        } else if (tty || System.nanoTime() - start >= LOG_INTERVAL_NANOS) {
            out.println("granary: " + last);
        }
        out.flush();
    }

    static String size(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        do {
            v /= 1024;
            u++;
        } while (v >= 1024 && u < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String duration(long seconds) {
        return seconds >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
