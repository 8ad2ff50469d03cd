package dev.granary.server.http;

import dev.granary.storage.BlobStore;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code /readyz} checks: storage is reachable and writable, and the file system of the disk
 * tier (which also holds downloads in progress) has at least the configured free space. Changes are
 * logged once, not at every probe.
 */
public final class Readiness {
    private static final Logger log = LoggerFactory.getLogger(Readiness.class);

    private final BlobStore store;
    private final Path diskRoot;
    private final LongUnaryOperator minFree;
    private final Redaction redaction;
    private final AtomicBoolean ready = new AtomicBoolean(true);

    /**
     * @param minFree the least free space, in bytes, given the file system's size in bytes
     */
    public Readiness(BlobStore store, Path diskRoot, LongUnaryOperator minFree, Redaction redaction) {
        this.store = store;
        this.diskRoot = diskRoot;
        this.minFree = minFree;
        this.redaction = redaction;
    }

    Answer check() {
        try {
            store.checkHealth();
        } catch (IOException | RuntimeException e) {
            return notReady("storage unavailable: " + redaction.apply(e.getMessage()), e.toString());
        }
        long usable;
        long need;
        try {
            FileStore fs = Files.getFileStore(diskRoot);
            usable = fs.getUsableSpace();
            need = minFree.applyAsLong(fs.getTotalSpace());
        } catch (IOException | RuntimeException e) {
            return notReady("cannot read the free space of the disk tier", e.toString());
        }
        if (usable < need) {
            String why =
                    "the disk tier has " + size(usable) + " free, less than readiness.min-free (" + size(need) + ")";
            return notReady(why, why);
        }
        if (ready.compareAndSet(false, true)) {
            log.info("ready again");
        }
        return Answer.Text.plain(
                HttpResponseStatus.OK, "ready: storage reachable, " + size(usable) + " free on the disk tier\n");
    }

    private Answer notReady(String reason, String detail) {
        if (ready.compareAndSet(true, false)) {
            log.warn("not ready: {}", detail);
        }
        return Answer.Text.plain(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + reason + "\n");
    }

    static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
