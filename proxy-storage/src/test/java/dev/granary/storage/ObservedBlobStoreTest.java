package dev.granary.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.storage.memory.MemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The compliance suite through the observing wrapper, plus what it reports. */
class ObservedBlobStoreTest extends BlobStoreComplianceTest {

    final List<String> events = new CopyOnWriteArrayList<>();

    final TierObserver recorder = new TierObserver() {
        @Override
        public void lookup(String tier, BlobKey key, boolean hit) {
            events.add(tier + (hit ? " hit " : " miss ") + key);
        }

        @Override
        public void error(String tier, String operation, Throwable t) {
            events.add(tier + " error " + operation);
        }
    };

    @Override
    protected BlobStore createStore() {
        return new ObservedBlobStore("disk", recorder, new MemoryBlobStore());
    }

    @Test
    void getAndStatAreReportedAsHitsOrMisses() throws Exception {
        events.clear();
        store.put(key("m/@v/list"), bytes("v1\n"));
        store.get(key("m/@v/list")).orElseThrow().close();
        store.stat(key("m/@v/absent"));
        store.list(null);
        store.delete(key("m/@v/list"));
        assertThat(events).containsExactly("disk hit m/@v/list", "disk miss m/@v/absent");
        assertThat(store.describe()).isEqualTo("memory");
    }

    @Test
    void failuresAreReportedAndRethrown() {
        BlobStore failing = new ObservedBlobStore("s3", recorder, new BrokenStore());
        assertThatThrownBy(() -> failing.get(key("m/@v/list"))).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> failing.put(key("m/@v/list"), bytes("x"))).isInstanceOf(StorageException.class);
        assertThat(events).containsExactly("s3 error get", "s3 error put");
    }

    @Test
    void aThrowingObserverDoesNotBreakTheStore() throws Exception {
        BlobStore s = new ObservedBlobStore(
                "disk",
                (tier, key, hit) -> {
                    throw new IllegalStateException("observer bug");
                },
                new MemoryBlobStore());
        s.put(key("m/@v/list"), bytes("v1\n"));
        assertThat(s.get(key("m/@v/list"))).isPresent();
    }

    /** Fails every operation. */
    static final class BrokenStore implements BlobStore {
        @Override
        public Optional<Blob> get(BlobKey key) throws IOException {
            throw new StorageException("unreachable");
        }

        @Override
        public Optional<BlobStat> stat(BlobKey key) throws IOException {
            throw new StorageException("unreachable");
        }

        @Override
        public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
            throw new StorageException("unreachable");
        }

        @Override
        public boolean delete(BlobKey key) throws IOException {
            throw new StorageException("unreachable");
        }

        @Override
        public List<BlobKey> list(BlobKey prefix) throws IOException {
            throw new StorageException("unreachable");
        }

        @Override
        public String describe() {
            return "broken";
        }
    }
}
