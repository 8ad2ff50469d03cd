package dev.granary.server.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.granary.core.Meters;
import dev.granary.core.snapshot.Progress;
import dev.granary.server.Main;
import java.io.Console;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.reflect.Method;
import org.slf4j.LoggerFactory;

/** What the snapshot commands (export, import, verify) share: progress on standard error, the version, the heap peak. */
final class SnapshotCli {
    private SnapshotCli() {}

    /** Progress reporters on standard error: a bar on a terminal, periodic lines otherwise. */
    static Progress.Factory progress(boolean quiet) {
        if (quiet) {
            return Progress.Factory.none();
        }
        PrintStream err = System.err;
        boolean tty = isTerminal();
        return (what, bytes, items) -> Progress.start(what, bytes, items, err, tty);
    }

    /**
     * True when the console is a terminal. From Java 22, {@code System.console()} exists even when the
     * streams are redirected, and {@code Console.isTerminal()} tells; Java 21 has no such method and
     * returns no console then.
     */
    static boolean isTerminal() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            Method m = Console.class.getMethod("isTerminal");
            return (Boolean) m.invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /**
     * The snapshot commands report through their progress and summary; the services' per-version INFO
     * lines (every commit) would only break the progress bar. Warnings and errors still show, and
     * GRANARY_LOG_LEVEL, when set, decides as for serve.
     */
    static Quiet quietLogs() {
        String level = System.getenv("GRANARY_LOG_LEVEL");
        if ((level == null || level.isBlank())
                && LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            Level before = root.getLevel();
            root.setLevel(Level.WARN);
            return () -> root.setLevel(before);
        }
        return () -> {};
    }

    /** Restores the log level when the command is done (commands also run inside other programs, such as tests). */
    interface Quiet extends AutoCloseable {
        @Override
        void close();
    }

    static String granaryVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The heap's high-water mark so far (the sum of the heap pools' peaks), in MiB. */
    static long heapPeakMiB() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum >> 20;
    }

    /** The metric name of snapshot imports, as Prometheus shows it. */
    static final String IMPORTS = Meters.SNAPSHOT_IMPORTS.replace('.', '_') + "_total";
}
