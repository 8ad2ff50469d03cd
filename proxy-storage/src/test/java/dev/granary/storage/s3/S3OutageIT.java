package dev.granary.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import dev.granary.storage.memory.MemoryBlobStore;
import dev.granary.storage.tier.ReadThroughBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * S3 goes away and comes back: the same store object fails fast and cleanly, then works again. Takes
 * its server down, so it has a private one, not {@link SharedS3}'s.
 */
class S3OutageIT {

    static TestS3 s3;

    @BeforeAll
    static void startS3() throws IOException {
        s3 = TestS3.start();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.stop();
        }
    }

    private static final S3Tuning FAST =
            S3Tuning.defaults().withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(2));

    @Test
    void unreachableS3FailsFastAndTheSameStoreRecoversAfterRestart() throws Exception {
        String bucket = s3.createBucket();
        BlobKey info = BlobKey.of("m/@v/v1.0.0.info");
        byte[] body = "{\"Version\":\"v1.0.0\"}".getBytes(StandardCharsets.UTF_8);
        try (S3BlobStore store = new S3BlobStore(s3.settings(bucket), FAST)) {
            store.put(info, body);
            store.checkHealth();

            s3.stopForOutage();
            assertFailsWithin(Duration.ofSeconds(4), store::checkHealth, "unreachable");
            assertFailsWithin(Duration.ofSeconds(5), () -> store.get(info), "S3 get m/@v/v1.0.0.info");
            assertFailsWithin(Duration.ofSeconds(5), () -> store.stat(info), "unreachable");
            assertFailsWithin(
                    Duration.ofSeconds(5),
                    () -> store.put(
                            BlobKey.of("m/@v/v1.1.0.info"),
                            new ByteArrayInputStream(body),
                            body.length,
                            PutMode.CREATE_ONLY),
                    "unreachable");
            assertFailsWithin(Duration.ofSeconds(5), () -> store.list(null), "unreachable");

            s3.restart();
            store.checkHealth();
            try (Blob blob = store.get(info).orElseThrow()) {
                assertThat(blob.readAllBytes()).isEqualTo(body);
            }
            assertThat(store.exists(BlobKey.of("m/@v/v1.1.0.info")))
                    .as("nothing half-written")
                    .isFalse();
            store.put(BlobKey.of("m/@v/v1.1.0.info"), body);
            assertThat(store.list(BlobKey.of("m"))).hasSize(2);
        }
    }

    @Test
    void readThroughServesLocalCopiesDuringAnOutage() throws Exception {
        String bucket = s3.createBucket();
        BlobKey zip = BlobKey.of("m/@v/v1.0.0.zip");
        byte[] body = new byte[3_000_000];
        new Random(1).nextBytes(body);
        try (S3BlobStore remote = new S3BlobStore(s3.settings(bucket), FAST);
                ReadThroughBlobStore rt = new ReadThroughBlobStore(new MemoryBlobStore(), remote)) {
            remote.put(zip, body);
            try (Blob first = rt.get(zip).orElseThrow()) {
                assertThat(first.readAllBytes()).isEqualTo(body);
            }
            s3.stopForOutage();
            try {
                try (Blob cached = rt.get(zip).orElseThrow()) {
                    assertThat(cached.readAllBytes()).isEqualTo(body);
                }
                assertFailsWithin(Duration.ofSeconds(5), () -> rt.get(BlobKey.of("m/@v/v2.0.0.zip")), "unreachable");
                assertFailsWithin(Duration.ofSeconds(4), rt::checkHealth, "unreachable");
            } finally {
                s3.restart();
            }
            rt.checkHealth();
        }
    }

    private static void assertFailsWithin(Duration limit, ThrowingCallable call, String message) {
        long start = System.nanoTime();
        assertThatThrownBy(call).isInstanceOf(StorageException.class).hasMessageContaining(message);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).as("time to fail (%s), not a hang", message).isLessThan(limit);
    }
}
