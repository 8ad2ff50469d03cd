package dev.granary.storage.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.storage.BlobStore;
import dev.granary.storage.BlobStoreComplianceTest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class MemoryBlobStoreTest extends BlobStoreComplianceTest {

    @Override
    protected BlobStore createStore() {
        return new MemoryBlobStore();
    }

    @Test
    void modificationTimeComesFromTheClock() throws Exception {
        Instant t = Instant.parse("2024-05-06T07:08:09Z");
        MemoryBlobStore s = new MemoryBlobStore(Clock.fixed(t, ZoneOffset.UTC));
        s.put(key("m/@v/list"), bytes("v1.0.0\n"));
        assertThat(s.stat(key("m/@v/list")).orElseThrow().lastModified()).isEqualTo(t);
        assertThat(s.size()).isEqualTo(1);
    }

    @Test
    void putOfByteArrayCopiesIt() throws Exception {
        byte[] body = bytes("abc");
        store.put(key("m/@v/list"), body);
        body[0] = 'X';
        assertThat(read(key("m/@v/list"))).isEqualTo(bytes("abc"));
    }
}
