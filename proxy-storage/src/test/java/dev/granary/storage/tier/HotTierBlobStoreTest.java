package dev.granary.storage.tier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.BlobStoreComplianceTest;
import dev.granary.storage.PutMode;
import dev.granary.storage.TierObserver;
import dev.granary.storage.disk.DiskBlobStore;
import dev.granary.storage.memory.MemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compliance suite over a hot tier on disk (small blobs cached, large ones streamed), plus tiering. */
class HotTierBlobStoreTest extends BlobStoreComplianceTest {

    @TempDir
    Path dir;

    @Override
    protected BlobStore createStore() throws IOException {
        return new HotTierBlobStore(new DiskBlobStore(dir.resolve("durable")), 1 << 20, 64 * 1024);
    }

    /** Records what the tier reports. */
    static final class Recorder implements TierObserver {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void lookup(String tier, BlobKey key, boolean hit) {
            events.add(tier + (hit ? " hit " : " miss ") + key);
        }

        @Override
        public void evicted(BlobKey key, long bytes) {
            events.add("evicted " + key + " " + bytes);
        }

        @Override
        public void error(String tier, String operation, Throwable t) {
            events.add(tier + " error " + operation);
        }

        long count(String prefix) {
            return events.stream().filter(e -> e.startsWith(prefix)).count();
        }
    }

    @Test
    void byteBoundIsRespected() throws Exception {
        Recorder rec = new Recorder();
        HotTierBlobStore hot = new HotTierBlobStore(new MemoryBlobStore(), 64 * 1024, 8 * 1024, k -> true, rec);
        for (int i = 0; i < 200; i++) {
            BlobKey k = key("m/@v/v1.0." + i + ".mod");
            hot.put(k, randomBytes(4000, i));
            try (Blob b = hot.get(k).orElseThrow()) {
                assertThat(b.readAllBytes()).isEqualTo(randomBytes(4000, i));
            }
            assertThat(hot.weightedSize()).isLessThanOrEqualTo(hot.maxBytes());
        }
        assertThat(hot.entryCount()).isBetween(1L, 16L);
        assertThat(hot.evictionCount()).isGreaterThan(0);
        assertThat(rec.count("evicted")).isEqualTo(hot.evictionCount());
        assertThat(hot.maxBytes()).isEqualTo(64 * 1024);
    }

    @Test
    void largeItemsBypassTheHotTier() throws Exception {
        HotTierBlobStore hot = new HotTierBlobStore(new DiskBlobStore(dir.resolve("d")), 1 << 20, 1024);
        BlobKey big = key("m/@v/v1.0.0.zip");
        hot.put(big, randomBytes(1025, 1));
        for (int i = 0; i < 2; i++) {
            try (Blob b = hot.get(big).orElseThrow()) {
                assertThat(b.heapBytes()).isEmpty();
                assertThat(b.fileChannel()).isPresent(); // streamed from disk, zero-copy capable
                assertThat(b.readAllBytes()).isEqualTo(randomBytes(1025, 1));
            }
        }
        assertThat(hot.entryCount()).isZero();
        BlobKey small = key("m/@v/v1.0.0.info");
        hot.put(small, randomBytes(1024, 2));
        try (Blob b = hot.get(small).orElseThrow()) {
            assertThat(b.heapBytes()).isPresent();
            assertThat(b.fileChannel()).isEmpty();
        }
        assertThat(hot.entryCount()).isEqualTo(1);
    }

    @Test
    void nonCacheableKeysAreNeitherCachedNorCounted() throws Exception {
        Recorder rec = new Recorder();
        HotTierBlobStore hot = new HotTierBlobStore(
                new MemoryBlobStore(), 1 << 20, 1 << 16, k -> !k.name().endsWith(".zip"), rec);
        hot.put(key("m/@v/v1.0.0.zip"), bytes("zip"));
        hot.get(key("m/@v/v1.0.0.zip")).orElseThrow().close();
        hot.get(key("m/@v/v1.0.0.zip")).orElseThrow().close();
        assertThat(hot.entryCount()).isZero();
        assertThat(rec.events).isEmpty();
    }

    @Test
    void hitsAndMissesAreReported() throws Exception {
        Recorder rec = new Recorder();
        HotTierBlobStore hot = new HotTierBlobStore(new MemoryBlobStore(), 1 << 20, 1 << 16, k -> true, rec);
        BlobKey k = key("m/@v/list");
        hot.put(k, bytes("v1\n"));
        hot.get(k).orElseThrow().close();
        hot.get(k).orElseThrow().close();
        assertThat(hot.get(key("m/@v/absent"))).isEmpty();
        assertThat(rec.events).containsExactly("hot miss m/@v/list", "hot hit m/@v/list", "hot miss m/@v/absent");
    }

    @Test
    void putInvalidatesTheStaleEntry() throws Exception {
        HotTierBlobStore hot = new HotTierBlobStore(new MemoryBlobStore(), 1 << 20, 1 << 16);
        BlobKey k = key("m/@v/list");
        hot.put(k, bytes("v1\n"));
        assertThat(readFrom(hot, k)).isEqualTo(bytes("v1\n"));
        assertThat(hot.entryCount()).isEqualTo(1);
        hot.put(k, bytes("v1\nv2\n"));
        assertThat(hot.entryCount()).isZero();
        assertThat(readFrom(hot, k)).isEqualTo(bytes("v1\nv2\n"));
        assertThat(hot.delete(k)).isTrue();
        assertThat(hot.get(k)).isEmpty();
    }

    @Test
    void explicitInvalidateDropsContentChangedBehindTheTier() throws Exception {
        MemoryBlobStore durable = new MemoryBlobStore();
        HotTierBlobStore hot = new HotTierBlobStore(durable, 1 << 20, 1 << 16);
        BlobKey k = key("m/@v/list");
        durable.put(k, bytes("old"));
        assertThat(readFrom(hot, k)).isEqualTo(bytes("old"));
        durable.put(k, bytes("new"));
        assertThat(readFrom(hot, k)).isEqualTo(bytes("old")); // still hot: expected
        hot.invalidate(k);
        assertThat(readFrom(hot, k)).isEqualTo(bytes("new"));
    }

    @Test
    void readRacingAPutDoesNotCacheOldContent() throws Exception {
        BlobKey k = key("m/@v/list");
        CountDownLatch loaded = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean gate = new AtomicBoolean(true);
        MemoryBlobStore memory = new MemoryBlobStore();
        BlobStore durable = new ForwardingStore(memory) {
            @Override
            public Optional<Blob> get(BlobKey key) throws IOException {
                Optional<Blob> b = memory.get(key);
                if (gate.getAndSet(false)) {
                    loaded.countDown();
                    await(release);
                }
                return b;
            }
        };
        HotTierBlobStore hot = new HotTierBlobStore(durable, 1 << 20, 1 << 16);
        hot.put(k, bytes("old"));
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return readFrom(hot, k);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(loaded.await(10, TimeUnit.SECONDS)).isTrue();
        hot.put(k, bytes("new"));
        release.countDown();
        assertThat(reader.get(10, TimeUnit.SECONDS)).isEqualTo(bytes("old")); // it began before the put
        assertThat(readFrom(hot, k)).isEqualTo(bytes("new"));
    }

    @Test
    void failedReadIsNeverCached() throws Exception {
        Recorder rec = new Recorder();
        MemoryBlobStore memory = new MemoryBlobStore();
        AtomicBoolean fail = new AtomicBoolean(true);
        BlobStore durable = new ForwardingStore(memory) {
            @Override
            public Optional<Blob> get(BlobKey key) throws IOException {
                Optional<Blob> b = memory.get(key);
                if (b.isEmpty() || !fail.get()) {
                    return b;
                }
                long size = b.get().size();
                return Optional.of(new Blob() {
                    @Override
                    public long size() {
                        return size;
                    }

                    @Override
                    public InputStream openStream() throws IOException {
                        throw new IOException("disk read error (simulated)");
                    }
                });
            }
        };
        HotTierBlobStore hot = new HotTierBlobStore(durable, 1 << 20, 1 << 16, k -> true, rec);
        BlobKey k = key("m/@v/v1.0.0.mod");
        hot.put(k, bytes("module m\n"));
        assertThatThrownBy(() -> hot.get(k)).isInstanceOf(IOException.class).hasMessageContaining("simulated");
        assertThat(hot.entryCount()).isZero();
        assertThat(rec.events).contains("hot error load");
        fail.set(false);
        assertThat(readFrom(hot, k)).isEqualTo(bytes("module m\n"));
        assertThat(hot.entryCount()).isEqualTo(1);
    }

    @Test
    void rejectsInconsistentBounds() {
        MemoryBlobStore m = new MemoryBlobStore();
        assertThatThrownBy(() -> new HotTierBlobStore(m, -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HotTierBlobStore(m, 100, 101)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new HotTierBlobStore(m, 0, 0).describe()).isEqualTo("hot(0 bytes) over memory");
    }

    @Test
    void zeroSizedTierPassesEverythingThrough() throws Exception {
        Recorder rec = new Recorder();
        HotTierBlobStore hot = new HotTierBlobStore(new MemoryBlobStore(), 0, 0, k -> true, rec);
        hot.put(key("m/@v/list"), bytes("v1\n"));
        assertThat(readFrom(hot, key("m/@v/list"))).isEqualTo(bytes("v1\n"));
        assertThat(hot.entryCount()).isZero();
        assertThat(rec.events).isEmpty();
    }

    private static byte[] readFrom(BlobStore s, BlobKey k) throws IOException {
        try (Blob b = s.get(k).orElseThrow()) {
            return b.readAllBytes();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Delegates everything; tests override what they need. */
    static class ForwardingStore implements BlobStore {
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
            return "forwarding";
        }
    }
}
