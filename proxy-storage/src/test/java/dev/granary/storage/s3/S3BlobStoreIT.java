package dev.granary.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.BlobStoreComplianceTest;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The compliance suite against a real S3-compatible server (s3proxy), a fresh bucket per test, with
 * the smallest part size S3 allows so that the suite's large body goes through multipart; plus what
 * is particular to S3: multipart, aborts, conditional writes, credentials, ranges, presigned URLs.
 */
@ExtendWith(SharedS3.class)
class S3BlobStoreIT extends BlobStoreComplianceTest {

    private static final int PART = S3Tuning.MIN_PART_SIZE;

    private final TestS3 s3;
    private String bucket;

    S3BlobStoreIT(TestS3 s3) {
        this.s3 = s3;
    }

    @Override
    protected BlobStore createStore() {
        bucket = s3.createBucket();
        return new S3BlobStore(
                s3.settings(bucket).withPrefix("granary/cache"),
                S3Tuning.defaults().withPartSize(PART));
    }

    private S3BlobStore s3Store() {
        return (S3BlobStore) store;
    }

    private List<String> pendingUploads() {
        return s3.client().listMultipartUploads(b -> b.bucket(bucket)).uploads().stream()
                .map(u -> u.key())
                .toList();
    }

    private List<String> objectKeys() {
        return s3.client().listObjectsV2(b -> b.bucket(bucket)).contents().stream()
                .map(S3Object::key)
                .toList();
    }

    @Test
    void bodiesOverThePartSizeGoThroughMultipartAndRoundTripExactly() throws Exception {
        BlobKey known = key("big/@v/v1.0.0.zip");
        BlobKey unknown = key("big/@v/v1.1.0.zip");
        BlobKey exact = key("big/@v/v1.2.0.zip");
        long size = 2L * PART + 12_345;
        assertThat(store.put(known, new PatternStream(size, 1), size, PutMode.CREATE_ONLY))
                .isTrue();
        assertThat(s3Store().multipartUploadCount()).isEqualTo(1);
        assertThat(store.put(unknown, new PatternStream(size, 2), -1, PutMode.REPLACE))
                .isTrue();
        assertThat(s3Store().multipartUploadCount()).isEqualTo(2);
        // exactly one part's worth, size unknown: one PutObject, no multipart
        assertThat(store.put(exact, new PatternStream(PART, 3), -1, PutMode.REPLACE))
                .isTrue();
        assertThat(s3Store().multipartUploadCount()).isEqualTo(2);

        assertThat(digestOf(known)).isEqualTo(digest(new PatternStream(size, 1)));
        assertThat(digestOf(unknown)).isEqualTo(digest(new PatternStream(size, 2)));
        assertThat(digestOf(exact)).isEqualTo(digest(new PatternStream(PART, 3)));
        assertThat(store.stat(known).orElseThrow().etag().orElseThrow())
                .as("multipart ETag")
                .contains("-3");
        assertThat(pendingUploads()).isEmpty();
    }

    @Test
    void streamFailingMidMultipartLeavesNoObjectAndNoPendingUpload() throws Exception {
        BlobKey k = key("big/@v/v1.0.0.zip");
        assertThatThrownBy(() -> store.put(k, new FailingStream(PART + PART / 2), 3L * PART, PutMode.CREATE_ONLY))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("connection reset (simulated)");
        assertThatThrownBy(() -> store.put(k, new FailingStream(2L * PART + 1), -1, PutMode.REPLACE))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> store.put(k, new PatternStream(2L * PART, 4), 2L * PART + 1, PutMode.REPLACE))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("ended after");
        assertThatThrownBy(() -> store.put(k, new PatternStream(2L * PART + 10, 4), 2L * PART - 10, PutMode.REPLACE))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("longer than the declared");
        assertThat(pendingUploads()).isEmpty();
        assertThat(objectKeys()).isEmpty();
        assertNothingStored(k);
    }

    @Test
    void createOnlyRaceOfLargeBodiesHasOneWinnerAndNoLeftovers() throws Exception {
        BlobKey k = key("big/@v/v2.0.0.zip");
        long size = PART + 1000;
        int writers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int seed = 100 + i;
                results.add(pool.submit(() -> {
                    go.await();
                    return store.put(k, new PatternStream(size, seed), size, PutMode.CREATE_ONLY);
                }));
            }
            go.countDown();
            int winner = -1;
            for (int i = 0; i < writers; i++) {
                if (results.get(i).get(60, TimeUnit.SECONDS)) {
                    assertThat(winner).as("second winner").isEqualTo(-1);
                    winner = i;
                }
            }
            assertThat(winner).isNotEqualTo(-1);
            assertThat(digestOf(k)).isEqualTo(digest(new PatternStream(size, 100 + winner)));
        } finally {
            pool.shutdownNow();
        }
        assertThat(pendingUploads()).isEmpty();
        assertThat(s3Store().emulatesConditionalWrites()).isFalse();
    }

    @Test
    void blobsLiveUnderThePrefixInTheGoproxyLayout() throws Exception {
        BlobKey k = key("github.com/!azure/go-autorest/@v/v14.2.0+incompatible.info");
        store.put(k, bytes("{}"));
        assertThat(objectKeys())
                .containsExactly("granary/cache/github.com/!azure/go-autorest/@v/v14.2.0+incompatible.info");
        try (S3BlobStore other = new S3BlobStore(s3.settings(bucket).withPrefix("/granary/other/"))) {
            assertThat(other.list(null)).isEmpty();
            assertThat(other.get(k)).isEmpty();
            other.put(k, bytes("other"));
            assertThat(read(k)).isEqualTo(bytes("{}"));
            assertThat(other.describe()).isEqualTo("s3://" + bucket + "/granary/other (" + s3.endpoint() + ")");
        }
        assertThat(store.list(null)).containsExactly(k);
    }

    @Test
    void rangesBeyondTheInlineHeadAreFetchedAndPinnedToTheOpenedVersion() throws Exception {
        try (S3BlobStore small =
                new S3BlobStore(s3.settings(bucket), S3Tuning.defaults().withInlineReadBytes(1000))) {
            BlobKey k = key("m/@v/v1.0.0.zip");
            byte[] body = randomBytes(50_000, 5);
            small.put(k, body);
            try (Blob blob = small.get(k).orElseThrow()) {
                assertThat(blob.size()).isEqualTo(body.length);
                assertThat(blob.heapBytes()).as("only the head is in memory").isEmpty();
                for (long[] r : new long[][] {{0, 1000}, {500, 1000}, {1000, 1}, {40_000, 10_000}, {0, body.length}}) {
                    try (InputStream in = blob.openStream(r[0], r[1])) {
                        assertThat(in.readAllBytes())
                                .isEqualTo(Arrays.copyOfRange(body, (int) r[0], (int) (r[0] + r[1])));
                    }
                }
                try (InputStream early = blob.openStream()) {
                    assertThat(early.readNBytes(2000)).isEqualTo(Arrays.copyOf(body, 2000));
                } // closing early must not hang on the rest
                small.put(k, randomBytes(50_000, 6));
                assertThatThrownBy(() -> {
                            try (InputStream in = blob.openStream(2000, 100)) {
                                in.readAllBytes();
                            }
                        })
                        .isInstanceOf(StorageException.class)
                        .hasMessageContaining("replaced or deleted after it was opened");
                try (InputStream head = blob.openStream(0, 1000)) {
                    assertThat(head.readAllBytes()).isEqualTo(Arrays.copyOf(body, 1000));
                }
            }
        }
    }

    @Test
    void wrongSecretIsAClearAccessDenied() throws Exception {
        try (S3BlobStore bad = new S3BlobStore(s3.settings(bucket).withCredentials(s3.accessKey(), "wrong-secret"))) {
            assertThatThrownBy(bad::checkHealth)
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("access denied")
                    .hasMessageContaining("403");
            assertThatThrownBy(() -> bad.get(key("m/@v/list")))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("S3 get m/@v/list in s3://" + bucket)
                    .hasMessageContaining("access denied");
            assertThatThrownBy(() -> bad.put(key("m/@v/list"), bytes("x")))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("403");
            assertThatThrownBy(() -> bad.list(null))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("403");
        }
        assertThat(objectKeys()).isEmpty();
    }

    @Test
    void missingBucketFailsTheHealthCheckAndIsNotMistakenForMissingBlobs() throws Exception {
        try (S3BlobStore none = new S3BlobStore(s3.settings("no-such-bucket-" + System.nanoTime()))) {
            assertThatThrownBy(none::checkHealth)
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("does not exist");
            assertThatThrownBy(() -> none.get(key("m/@v/list")))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("does not exist");
        }
    }

    @Test
    void presignedUrlServesTheBlobToAPlainHttpClientUntilItExpires() throws Exception {
        BlobKey k = key("github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip");
        byte[] body = randomBytes(300_000, 7);
        store.put(k, body);
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI url = store.presignGet(k, Duration.ofMinutes(5)).orElseThrow();
        HttpResponse<byte[]> ok =
                http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo(body);

        String tampered = url.toString().replaceAll("X-Amz-Signature=([0-9a-f])", "X-Amz-Signature=" + flip(url));
        assertThat(tampered).isNotEqualTo(url.toString());
        assertThat(http.send(
                                HttpRequest.newBuilder(URI.create(tampered)).build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode())
                .isEqualTo(403);
        URI otherKey = URI.create(url.toString().replace("v14.2.0", "v14.2.1"));
        assertThat(http.send(HttpRequest.newBuilder(otherKey).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode())
                .as("signature covers the key")
                .isEqualTo(403);

        URI shortLived = store.presignGet(k, Duration.ofSeconds(1)).orElseThrow();
        Thread.sleep(2100);
        assertThat(http.send(HttpRequest.newBuilder(shortLived).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode())
                .as("expired")
                .isEqualTo(403);
        assertThatThrownBy(() -> store.presignGet(k, Duration.ofDays(8))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingsValidateAndNeverPrintTheSecret() {
        S3Settings s = s3.settings("b");
        assertThat(s.toString()).doesNotContain(s3.secretKey()).contains("***");
        assertThat(s.withPrefix("//a/b//").prefix()).isEqualTo("a/b");
        assertThatThrownBy(() -> S3Settings.of(null, "us-east-1", " ", "", false, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> S3Settings.of(URI.create("ftp://x"), "us-east-1", "b", "", false, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> S3Settings.of(null, "us-east-1", "b", "", false, "ak", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("together");
        assertThat(S3Settings.of(null, "eu-west-1", "b", null, false, null, null)
                        .accessKey())
                .isEmpty();
    }

    @Test
    void createOnlyOfASmallBodyThatExistsReadsNothingWhenEmulated() throws Exception {
        // The emulation path (stores without If-None-Match) must keep create-only semantics for one writer.
        S3BlobStore st = s3Store();
        BlobKey k = key("m/@v/v1.0.0.mod");
        st.put(k, bytes("module m\n"));
        st.emulateConditionalWritesForTest();
        assertThat(st.emulatesConditionalWrites()).isTrue();
        assertThat(st.put(k, new ByteArrayInputStream(bytes("module evil\n")), 12, PutMode.CREATE_ONLY))
                .isFalse();
        assertThat(st.put(
                        key("m/@v/v1.1.0.mod"), new ByteArrayInputStream(bytes("module m\n")), 9, PutMode.CREATE_ONLY))
                .isTrue();
        long size = PART + 5;
        assertThat(st.put(key("m/@v/v1.1.0.zip"), new PatternStream(size, 8), size, PutMode.CREATE_ONLY))
                .isTrue();
        assertThat(st.put(key("m/@v/v1.1.0.zip"), new PatternStream(size, 9), size, PutMode.CREATE_ONLY))
                .isFalse();
        assertThat(digestOf(key("m/@v/v1.1.0.zip"))).isEqualTo(digest(new PatternStream(size, 8)));
        assertThat(read(k)).isEqualTo(bytes("module m\n"));
    }

    private static char flip(URI url) {
        String q = url.getRawQuery();
        int i = q.indexOf("X-Amz-Signature=") + "X-Amz-Signature=".length();
        return q.charAt(i) == '0' ? '1' : '0';
    }

    private byte[] digestOf(BlobKey k) throws IOException {
        try (Blob blob = store.get(k).orElseThrow();
                InputStream in = blob.openStream()) {
            return digest(in);
        }
    }
}
