package dev.granary.server.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the files Granary reads while it runs (the TLS certificate and key, the token file) and
 * runs their reload when one changes. It polls their content (a digest), not their modification
 * time or a WatchService: Kubernetes replaces mounted secrets by swapping a symbolic link, editors
 * rewrite within the same second, and network file systems deliver no events; the files are small.
 * A reload that fails is retried at the next change (a certificate and its key written one after
 * the other are seen as one change once both are in place, or as two).
 */
public final class FileWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileWatch.class);

    private record Watched(List<Path> files, Runnable reload, byte[][] digests) {}

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "granary-file-watch");
        t.setDaemon(true);
        return t;
    });
    private final List<Watched> watched = new ArrayList<>();

    /** @param interval how often the files are read */
    public FileWatch(Duration interval) {
        long ms = Math.max(1, interval.toMillis());
        timer.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code reload} (on the watch's thread) whenever the content of one of {@code files} changes. */
    public synchronized void watch(List<Path> files, Runnable reload) {
        byte[][] digests = new byte[files.size()][];
        for (int i = 0; i < files.size(); i++) {
            digests[i] = digest(files.get(i));
        }
        watched.add(new Watched(List.copyOf(files), reload, digests));
    }

    private synchronized void poll() {
        for (Watched w : watched) {
            boolean changed = false;
            for (int i = 0; i < w.files().size(); i++) {
                byte[] d = digest(w.files().get(i));
                if (!Arrays.equals(d, w.digests()[i])) {
                    w.digests()[i] = d;
                    changed = true;
                }
            }
            if (changed) {
                try {
                    w.reload().run();
                } catch (RuntimeException e) {
                    log.warn("reloading {} failed: {}", w.files(), e.toString());
                }
            }
        }
    }

    /** The SHA-256 of a file's content; null when it cannot be read (absent for a moment during a swap). */
    private static byte[] digest(Path file) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            log.debug("cannot read {}: {}", file, e.toString());
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
