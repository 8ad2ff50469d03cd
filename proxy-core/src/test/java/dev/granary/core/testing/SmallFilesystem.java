package dev.granary.core.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real, tiny file system (tmpfs) for tests of a full disk: writes past its size fail with ENOSPC,
 * exactly as on a full production disk. Mounting needs root (or CAP_SYS_ADMIN); where it is not
 * permitted the test is skipped, not failed.
 */
public final class SmallFilesystem implements AutoCloseable {
    private final Path dir;

    private SmallFilesystem(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} (such as {@code 512k}) on {@code dir}, created if needed. */
    public static SmallFilesystem mount(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(p.waitFor() == 0, "mounting a tmpfs is not permitted here: " + out.strip());
        return new SmallFilesystem(dir);
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        Process p = new ProcessBuilder("umount", dir.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException("umount " + dir + ": " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted unmounting " + dir, e);
        }
    }
}
