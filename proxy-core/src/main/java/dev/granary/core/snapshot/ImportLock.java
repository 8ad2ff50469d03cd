package dev.granary.core.snapshot;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.layout.StorageLayout;
import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one import publishing into a storage at a time ({@link StorageLayout#snapshotImportLock()}): a
 * small blob created with {@link PutMode#CREATE_ONLY} naming its holder (machine, process, start time)
 * and refreshed by a heartbeat. A holder is gone when it ran on this machine and its process no longer
 * exists (so the start right after a {@code kill -9} recovers at once), or when its heartbeat is older
 * than {@link #STALE}; a lock of a holder that is gone is taken over.
 */
final class ImportLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImportLock.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration HEARTBEAT = Duration.ofSeconds(10);
    static final Duration STALE = Duration.ofSeconds(60);

    /** Who holds the lock. */
    record Holder(String machine, long pid, String processStart, String heartbeat, String token, String purpose) {
        boolean isGone(Instant now) {
            if (machine.equals(MACHINE)) {
                Optional<ProcessHandle> p = ProcessHandle.of(pid);
                if (p.isEmpty()
                        || !p.get()
                                .info()
                                .startInstant()
                                .map(Instant::toString)
                                .orElse("")
                                .equals(processStart)) {
                    return true;
                }
            }
            return Instant.parse(heartbeat).plus(STALE).isBefore(now);
        }

        String describe() {
            return "process " + pid + " on " + machine.split(" ")[0] + " (" + purpose + ", last seen " + heartbeat
                    + ")";
        }
    }

    static final String MACHINE = machine();

    private final BlobStore store;
    private final Holder holder;
    private final Thread heartbeat;
    private volatile boolean closed;

    private ImportLock(BlobStore store, Holder holder) {
        this.store = store;
        this.holder = holder;
        this.heartbeat = Thread.ofVirtual().name("granary-import-heartbeat").start(this::beat);
    }

    /**
     * Takes the lock, over a holder that is gone if need be.
     *
     * @return the lock, or empty with the live holder when another import holds it
     */
    static Acquired tryAcquire(BlobStore store, String purpose) throws IOException {
        BlobKey key = StorageLayout.snapshotImportLock();
        for (int attempt = 0; attempt < 3; attempt++) {
            Holder mine = new Holder(
                    MACHINE,
                    ProcessHandle.current().pid(),
                    processStart(),
                    Instant.now().toString(),
                    UUID.randomUUID().toString(),
                    purpose);
            if (store.put(key, new ByteArrayInputStream(JSON.writeValueAsBytes(mine)), -1, PutMode.CREATE_ONLY)) {
                return new Acquired(Optional.of(new ImportLock(store, mine)), Optional.empty());
            }
            Optional<Holder> current = holder(store);
            if (current.isPresent() && !current.get().isGone(Instant.now())) {
                return new Acquired(Optional.empty(), current);
            }
            current.ifPresent(h -> log.warn("taking over the import lock of {}, which is gone", h.describe()));
            store.delete(key);
        }
        return new Acquired(Optional.empty(), holder(store));
    }

    /** The outcome of {@link #tryAcquire}: the lock, or who holds it. */
    record Acquired(Optional<ImportLock> lock, Optional<Holder> heldBy) {}

    static Optional<Holder> holder(BlobStore store) throws IOException {
        Optional<Blob> b = store.get(StorageLayout.snapshotImportLock());
        if (b.isEmpty()) {
            return Optional.empty();
        }
        try (Blob blob = b.get()) {
            return Optional.of(JSON.readValue(blob.readAllBytes(), Holder.class));
        } catch (IOException e) {
            // Unreadable: a holder that crashed mid-write cannot have existed (puts are atomic); treat it as gone.
            return Optional.of(new Holder(MACHINE, -1, "", Instant.EPOCH.toString(), "", "unreadable lock"));
        }
    }

    private void beat() {
        while (!closed) {
            try {
                Thread.sleep(HEARTBEAT);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                Optional<Holder> current = holder(store);
                if (current.isEmpty() || !current.get().token().equals(holder.token())) {
                    log.error(
                            "the import lock was taken over by {}",
                            current.map(Holder::describe).orElse("nobody"));
                    return;
                }
                Holder fresh = new Holder(
                        holder.machine(),
                        holder.pid(),
                        holder.processStart(),
                        Instant.now().toString(),
                        holder.token(),
                        holder.purpose());
                store.put(StorageLayout.snapshotImportLock(), JSON.writeValueAsBytes(fresh));
            } catch (IOException | RuntimeException e) {
                log.warn("import lock heartbeat: {}", e.toString());
            }
        }
    }

    /** Releases the lock when it is still this holder's. */
    @Override
    public void close() throws IOException {
        closed = true;
        heartbeat.interrupt();
        try {
            heartbeat.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Optional<Holder> current = holder(store);
        if (current.isPresent() && current.get().token().equals(holder.token())) {
            store.delete(StorageLayout.snapshotImportLock());
        }
    }

    private static String processStart() {
        return ProcessHandle.current()
                .info()
                .startInstant()
                .map(Instant::toString)
                .orElse("");
    }

    /** This machine: its host name and boot id (process ids are only comparable within one boot). */
    private static String machine() {
        String host = read("/proc/sys/kernel/hostname");
        if (host.isEmpty()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "unknown";
            }
        }
        String boot = read("/proc/sys/kernel/random/boot_id");
        return host + (boot.isEmpty() ? "" : " " + boot);
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
