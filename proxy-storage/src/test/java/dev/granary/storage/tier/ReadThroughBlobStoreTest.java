package dev.granary.storage.tier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.BlobStoreComplianceTest;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import dev.granary.storage.TierObserver;
import dev.granary.storage.disk.DiskBlobStore;
import dev.granary.storage.memory.MemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compliance suite over a local disk cache in front of a memory "remote", plus the tiering itself. */
class ReadThroughBlobStoreTest extends BlobStoreComplianceTest {

    @TempDir
    Path dir;

    private DiskBlobStore local;
    private MemoryBlobStore remote;
    private final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    protected BlobStore createStore() throws IOException {
        local = new DiskBlobStore(dir.resolve("local"));
        remote = new MemoryBlobStore();
        return new ReadThroughBlobStore(local, remote, k -> !k.name().equals("list"), new TierObserver() {
            @Override
            public void lookup(String tier, BlobKey key, boolean hit) {
                events.add(tier + (hit ? " hit " : " miss ") + key);
            }

            @Override
            public void error(String tier, String operation, Throwable t) {
                events.add(tier + " error " + operation);
            }
        });
    }

    @Test
    void missCopiesTheRemoteBlobLocallyAndServesTheLocalFile() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.zip");
        byte[] body = randomBytes(3_000_000, 1);
        remote.put(k, body);
        try (Blob blob = store.get(k).orElseThrow()) {
            assertThat(blob.fileChannel()).as("served from the local disk").isPresent();
            assertThat(blob.readAllBytes()).isEqualTo(body);
        }
        assertThat(local.stat(k)).map(BlobStat::size).contains((long) body.length);
        remote.delete(k); // the local copy now answers alone
        assertThat(read(k)).isEqualTo(body);
        assertThat(events).containsExactly("local miss m/@v/v1.0.0.zip", "local hit m/@v/v1.0.0.zip");
    }

    @Test
    void statAndListAskTheRemoteStore() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.info");
        local.put(k, bytes("{}")); // a stray local file is not authoritative
        assertThat(store.stat(k)).isEmpty();
        assertThat(store.list(null)).isEmpty();
        remote.put(k, bytes("{\"Version\":\"v1.0.0\"}"));
        assertThat(store.stat(k).orElseThrow().size()).isEqualTo(20);
        assertThat(store.list(key("m"))).containsExactly(k);
    }

    @Test
    void nonCacheableKeysAlwaysComeFromTheRemoteStore() throws Exception {
        BlobKey list = key("m/@v/list");
        remote.put(list, bytes("v1.0.0\n"));
        assertThat(read(list)).isEqualTo(bytes("v1.0.0\n"));
        assertThat(local.exists(list)).isFalse();
        remote.put(list, bytes("v1.0.0\nv1.1.0\n")); // another replica's write
        assertThat(read(list)).isEqualTo(bytes("v1.0.0\nv1.1.0\n"));
        assertThat(events).isEmpty();
    }

    @Test
    void putFromAFileFillsBothStoresAndAStreamPutInvalidatesTheLocalCopy() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.zip");
        Path file = Files.write(scratch.resolve("v1.0.0.zip"), randomBytes(100_000, 2));
        assertThat(store.put(k, file, PutMode.CREATE_ONLY)).isTrue();
        assertThat(remote.exists(k)).isTrue();
        assertThat(local.exists(k)).isTrue();
        store.put(k, bytes("replaced"));
        assertThat(local.exists(k)).isFalse();
        assertThat(read(k)).isEqualTo(bytes("replaced"));
        assertThat(store.delete(k)).isTrue();
        assertThat(local.exists(k)).isFalse();
        assertThat(remote.exists(k)).isFalse();
    }

    @Test
    void createOnlyThatLosesDoesNotCacheTheLosersFile() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.mod");
        remote.put(k, bytes("module m\n"));
        Path file = Files.writeString(scratch.resolve("mod"), "module evil\n");
        assertThat(store.put(k, file, PutMode.CREATE_ONLY)).isFalse();
        assertThat(local.exists(k)).isFalse();
        assertThat(read(k)).isEqualTo(bytes("module m\n"));
    }

    @Test
    void aFailingLocalStoreStillServesTheRemoteBlob() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.zip");
        MemoryBlobStore remoteOnly = new MemoryBlobStore();
        byte[] body = randomBytes(200_000, 3);
        remoteOnly.put(k, body);
        List<String> errors = new CopyOnWriteArrayList<>();
        try (ReadThroughBlobStore rt =
                new ReadThroughBlobStore(new FailingPuts(), remoteOnly, x -> true, new TierObserver() {
                    @Override
                    public void lookup(String tier, BlobKey key, boolean hit) {}

                    @Override
                    public void error(String tier, String operation, Throwable t) {
                        errors.add(tier + " " + operation + " " + t.getMessage());
                    }
                })) {
            try (Blob blob = rt.get(k).orElseThrow()) {
                assertThat(blob.readAllBytes()).isEqualTo(body);
            }
        }
        assertThat(errors).containsExactly("local fill disk full (simulated)");
    }

    @Test
    void aFailingRemoteStreamFailsTheReadAndLeavesNoLocalCopy() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.zip");
        MemoryBlobStore mem = new MemoryBlobStore();
        mem.put(k, randomBytes(100_000, 4));
        MemoryBlobStore localMem = new MemoryBlobStore();
        try (ReadThroughBlobStore rt = new ReadThroughBlobStore(localMem, new BrokenStreams(mem))) {
            assertThatThrownBy(() -> rt.get(k)).isInstanceOf(IOException.class).hasMessageContaining("reset");
        }
        assertThat(localMem.size()).isZero();
    }

    /** A local store whose puts fail like a full disk. */
    private static final class FailingPuts extends ForwardingStore {
        FailingPuts() {
            super(new MemoryBlobStore());
        }

        @Override
        public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
            content.readNBytes(1000);
            throw new StorageException("disk full (simulated)");
        }
    }

    /** A remote store whose blobs' streams fail after a few bytes. */
    private static final class BrokenStreams extends ForwardingStore {
        BrokenStreams(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public Optional<Blob> get(BlobKey key) throws IOException {
            Optional<Blob> b = delegate.get(key);
            if (b.isEmpty()) {
                return b;
            }
            long size = b.get().size();
            return Optional.of(new Blob() {
                @Override
                public long size() {
                    return size;
                }

                @Override
                public InputStream openStream() {
                    return new FailingStream(10_000);
                }
            });
        }
    }

    /** Forwards everything to a delegate. */
    private static class ForwardingStore implements BlobStore {
        final BlobStore delegate;

        ForwardingStore(BlobStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<Blob> get(BlobKey key) throws IOException {
            return delegate.get(key);
        }

        @Override
        public Optional<BlobStat> stat(BlobKey key) throws IOException {
            return delegate.stat(key);
        }

        @Override
        public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
            return delegate.put(key, content, size, mode);
        }

        @Override
        public boolean delete(BlobKey key) throws IOException {
            return delegate.delete(key);
        }

        @Override
        public List<BlobKey> list(BlobKey prefix) throws IOException {
            return delegate.list(prefix);
        }

        @Override
        public String describe() {
            return "forwarding(" + delegate.describe() + ")";
        }
    }
}
