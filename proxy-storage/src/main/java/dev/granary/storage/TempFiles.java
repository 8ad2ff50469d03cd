package dev.granary.storage;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Names of temporary files that say who owns them: {@code .tmp-<host>-<pid>-<start>-<purpose>-<random>},
 * where host is a short hash of the host name, pid the owning process and start its start time in
 * seconds. A sweeper can then tell, at any age, a leftover of a process that is gone (removed at
 * start-up, whatever its age) from the file of a live writer on this host (kept); files of other hosts
 * (a shared network root) and unparsable names fall back to an age rule. A process id alone is not
 * enough: in containers every restart is pid 1, hence the start time.
 */
public final class TempFiles {
    private static final String HOST = hostTag();
    private static final String OWNER =
            BlobKey.TEMP_PREFIX + HOST + "-" + ProcessHandle.current().pid() + "-"
                    + startSeconds(ProcessHandle.current()).orElse(0L) + "-";

    private TempFiles() {}

    /** What a sweeper may conclude about a temporary file's owner. */
    public enum Owner {
        /** A live process on this host: keep the file. */
        ALIVE,
        /** A process on this host that no longer runs: the file is garbage. */
        GONE,
        /** Another host, or a name without an owner: only its age can tell. */
        UNKNOWN
    }

    /** A new temporary file name for this process: {@code .tmp-<host>-<pid>-<start>-<purpose>-<random>}. */
    public static String newName(String purpose) {
        return OWNER + purpose + "-" + random();
    }

    /** A temporary file name owned by another process on this host (for tools and tests). */
    public static String newName(ProcessHandle owner, String purpose) {
        return BlobKey.TEMP_PREFIX + HOST + "-" + owner.pid() + "-"
                + startSeconds(owner).orElse(0L) + "-" + purpose + "-" + random();
    }

    private static String random() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    /** Creates a new, empty temporary file in {@code dir}, named for this process. */
    public static Path create(Path dir, String purpose) throws IOException {
        Files.createDirectories(dir);
        return Files.createFile(dir.resolve(newName(purpose)));
    }

    /** Decides who owns the temporary file named {@code fileName}. */
    public static Owner owner(String fileName) {
        if (!fileName.startsWith(BlobKey.TEMP_PREFIX)) {
            return Owner.UNKNOWN;
        }
        String[] f = fileName.substring(BlobKey.TEMP_PREFIX.length()).split("-", 4);
        if (f.length < 4 || !f[0].equals(HOST)) {
            return Owner.UNKNOWN;
        }
        long pid;
        long start;
        try {
            pid = Long.parseLong(f[1]);
            start = Long.parseLong(f[2]);
        } catch (NumberFormatException e) {
            return Owner.UNKNOWN;
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().isAlive()) {
            return Owner.GONE;
        }
        Optional<Long> liveStart = startSeconds(p.get());
        if (liveStart.isEmpty()) {
            return Owner.UNKNOWN;
        }
        // The same pid with another start time is a later process that reused the number.
        return liveStart.get() == start ? Owner.ALIVE : Owner.GONE;
    }

    private static Optional<Long> startSeconds(ProcessHandle p) {
        return p.info().startInstant().map(Instant::getEpochSecond);
    }

    private static String hostTag() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = ManagementFactory.getRuntimeMXBean().getName();
        }
        return Integer.toHexString(host.hashCode() & 0x7fffffff);
    }
}
