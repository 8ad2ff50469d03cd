package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local file a download writes to. Its failures are ours, not the upstream's: every one becomes
 * a {@code STORAGE_UNAVAILABLE} {@link ProxyException} (never an {@link IOException}, so the retry
 * loop that retries upstream read errors cannot mistake a full disk for a flaky upstream), with the
 * reason "storage full" for ENOSPC and EDQUOT, else "storage write failed: ...". The message names
 * neither the upstream nor the file; the log names the file.
 */
final class TargetFile extends OutputStream {
    private static final Logger log = LoggerFactory.getLogger(TargetFile.class);

    private final Path path;
    private final OutputStream out;

    private TargetFile(Path path, OutputStream out) {
        this.path = path;
        this.out = out;
    }

    /** Creates or truncates {@code path}. */
    static TargetFile open(Path path) {
        try {
            return new TargetFile(
                    path,
                    Files.newOutputStream(
                            path,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE));
        } catch (IOException e) {
            throw failure(path, "opening", e);
        }
    }

    @Override
    public void write(int b) {
        try {
            out.write(b);
        } catch (IOException e) {
            throw failure(path, "writing", e);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw failure(path, "writing", e);
        }
    }

    @Override
    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw failure(path, "writing", e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw failure(path, "closing", e);
        }
    }

    static ProxyException failure(Path path, String doing, IOException e) {
        log.warn("{} download target {}: {}", doing, path, e.toString());
        String msg = isFull(e) ? "storage full" : "storage write failed: " + Texts.ioReason(e);
        return new ProxyException(Kind.STORAGE_UNAVAILABLE, msg, e);
    }

    /** ENOSPC or EDQUOT, as the JDK words them on Linux and macOS. */
    static boolean isFull(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }
}
