package dev.granary.server.cli;

import dev.granary.core.gocache.Progress;
import java.io.PrintWriter;

/**
 * Progress on stderr: a bar redrawn in place (at most ten times a second) on a terminal; on anything
 * else (a CI log) one line per phase when it ends, so logs stay short.
 */
final class ProgressBar implements Progress {
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final boolean terminal;
    private String what = "";
    private long total;
    private long done;
    private long started;
    private long drawn;

    ProgressBar(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** A bar when stderr is a terminal. */
    static ProgressBar on(PrintWriter err) {
        return new ProgressBar(
                err, System.console() != null && !"dumb".equals(System.getenv("TERM")) && System.getenv("CI") == null);
    }

    @Override
    public synchronized void start(String what, long total) {
        this.what = what;
        this.total = total;
        this.done = 0;
        this.started = System.nanoTime();
        this.drawn = 0;
        draw();
    }

    @Override
    public synchronized void advance(long n) {
        done += n;
        if (terminal && System.nanoTime() - drawn > 100_000_000L) {
            draw();
        }
    }

    @Override
    public synchronized void done() {
        double seconds = (System.nanoTime() - started) / 1e9;
        String size = total > 0 || done > 0 ? " " + mib(done) + " MiB" : "";
        if (terminal) {
            err.print("\r\033[K");
        }
        err.printf("%s: done%s in %.1f s%n", what, size, seconds);
        err.flush();
    }

    private void draw() {
        if (!terminal) {
            return;
        }
        drawn = System.nanoTime();
        String line;
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, done * WIDTH / total);
            line = String.format(
                    "%s [%s%s] %3d%% %s/%s MiB",
                    what, "=".repeat(filled), " ".repeat(WIDTH - filled), done * 100 / total, mib(done), mib(total));
        } else {
            line = what + "..." + (done > 0 ? " " + mib(done) + " MiB" : "");
        }
        err.print("\r\033[K" + line);
        err.flush();
    }

    private static String mib(long bytes) {
        return String.format("%.1f", bytes / 1048576.0);
    }
}
