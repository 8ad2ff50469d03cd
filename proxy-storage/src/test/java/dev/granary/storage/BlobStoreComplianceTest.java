package dev.granary.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of {@link BlobStore}, run against every backend. A backend's test extends this class
 * and implements {@link #createStore()}:
 *
 * <pre>{@code
 * class DiskBlobStoreTest extends BlobStoreComplianceTest {
 *     @TempDir Path dir;
 *     protected BlobStore createStore() throws IOException { return new DiskBlobStore(dir); }
 * }
 * }</pre>
 *
 * Keys follow the GOPROXY layout the stores will hold; no key is ever both a blob and a prefix of
 * another blob (file systems cannot represent that). Shipped in proxy-storage's test-jar.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class BlobStoreComplianceTest {

    /** The store under test: fresh and empty for every test. */
    protected BlobStore store;

    /** A scratch directory for tests that need a local file. */
    @TempDir
    protected Path scratch;

    /** Returns a new, empty store. Called once per test. */
    protected abstract BlobStore createStore() throws Exception;

    /** Releases a store made by {@link #createStore()}; closes it by default. */
    protected void destroyStore(BlobStore s) throws Exception {
        s.close();
    }

    /** Size of the large-body test; backends that pay per byte may lower it. */
    protected long largeBodySize() {
        return 20L * 1024 * 1024;
    }

    @BeforeEach
    final void setUpStore() throws Exception {
        store = createStore();
    }

    @AfterEach
    final void tearDownStore() throws Exception {
        if (store != null) {
            destroyStore(store);
        }
    }

    // ---- not found ------------------------------------------------------------------------------

    @Test
    void getOfMissingKeyIsEmpty() throws Exception {
        assertThat(store.get(key("example.com/m/@v/v1.0.0.info"))).isEmpty();
    }

    @Test
    void statOfMissingKeyIsEmpty() throws Exception {
        assertThat(store.stat(key("example.com/m/@v/v1.0.0.info"))).isEmpty();
        assertThat(store.exists(key("example.com/m/@v/v1.0.0.info"))).isFalse();
    }

    @Test
    void deleteOfMissingKeyReturnsFalse() throws Exception {
        assertThat(store.delete(key("example.com/m/@v/v1.0.0.info"))).isFalse();
    }

    @Test
    void listOfEmptyStoreAndMissingPrefixIsEmpty() throws Exception {
        assertThat(store.list(null)).isEmpty();
        assertThat(store.list(key("example.com/m"))).isEmpty();
        store.put(key("example.com/m/@v/list"), bytes("v1.0.0\n"));
        assertThat(store.list(key("example.com/other"))).isEmpty();
    }

    @Test
    void prefixOfAStoredKeyIsNotABlob() throws Exception {
        store.put(key("example.com/m/@v/list"), bytes("v1.0.0\n"));
        BlobKey dir = key("example.com/m/@v");
        assertThat(store.get(dir)).isEmpty();
        assertThat(store.stat(dir)).isEmpty();
        assertThat(store.delete(dir)).isFalse();
        assertThat(read(key("example.com/m/@v/list"))).isEqualTo(bytes("v1.0.0\n"));
    }

    // ---- round trips ----------------------------------------------------------------------------

    @Test
    void emptyBodyRoundTrips() throws Exception {
        BlobKey k = key("example.com/m/@v/list");
        assertThat(store.put(k, InputStream.nullInputStream(), 0, PutMode.REPLACE))
                .isTrue();
        try (Blob blob = store.get(k).orElseThrow()) {
            assertThat(blob.size()).isZero();
            try (InputStream in = blob.openStream()) {
                assertThat(in.read()).isEqualTo(-1);
            }
            assertThat(blob.readAllBytes()).isEmpty();
        }
        assertThat(store.stat(k)).get().extracting(BlobStat::size).isEqualTo(0L);
        assertThat(store.list(null)).containsExactly(k);
    }

    @Test
    void oneByteBodyRoundTrips() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.mod");
        assertThat(store.put(k, new ByteArrayInputStream(new byte[] {(byte) 0xff}), 1, PutMode.REPLACE))
                .isTrue();
        assertThat(read(k)).containsExactly((byte) 0xff);
        assertThat(store.stat(k).orElseThrow().size()).isEqualTo(1);
    }

    @Test
    void smallBodyRoundTripsExactly() throws Exception {
        byte[] all = new byte[256 * 3];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");
        store.put(k, all);
        assertThat(read(k)).isEqualTo(all);
        try (Blob blob = store.get(k).orElseThrow()) {
            assertThat(blob.size()).isEqualTo(all.length);
        }
        BlobStat stat = store.stat(k).orElseThrow();
        assertThat(stat.key()).isEqualTo(k);
        assertThat(stat.size()).isEqualTo(all.length);
        assertThat(stat.lastModified()).isNotNull();
    }

    @Test
    void putOfUnknownSizeRoundTrips() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.info");
        byte[] body = bytes("{\"Version\":\"v1.0.0\",\"Time\":\"2024-01-01T00:00:00Z\"}");
        assertThat(store.put(k, new ByteArrayInputStream(body), -1, PutMode.REPLACE))
                .isTrue();
        assertThat(read(k)).isEqualTo(body);
    }

    @Test
    void putFromLocalFileRoundTripsAndLeavesTheFile() throws Exception {
        Path file = scratch.resolve("upload.zip");
        byte[] body = randomBytes(100_000, 7);
        Files.write(file, body);
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");
        assertThat(store.put(k, file, PutMode.CREATE_ONLY)).isTrue();
        assertThat(read(k)).isEqualTo(body);
        assertThat(Files.readAllBytes(file)).isEqualTo(body);
    }

    @Test
    void largeBodyStreamsAndRoundTripsExactly() throws Exception {
        long size = largeBodySize();
        BlobKey k = key("example.com/big/@v/v1.0.0.zip");
        assertThat(store.put(k, new PatternStream(size, 42), size, PutMode.CREATE_ONLY))
                .isTrue();
        assertThat(store.stat(k).orElseThrow().size()).isEqualTo(size);
        try (Blob blob = store.get(k).orElseThrow();
                InputStream in = blob.openStream()) {
            assertThat(blob.size()).isEqualTo(size);
            assertThat(digest(in)).isEqualTo(digest(new PatternStream(size, 42)));
        }
    }

    @Test
    void blobCanBeStreamedSeveralTimes() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.mod");
        byte[] body = randomBytes(10_000, 1);
        store.put(k, body);
        try (Blob blob = store.get(k).orElseThrow()) {
            try (InputStream a = blob.openStream();
                    InputStream b = blob.openStream()) {
                assertThat(a.readNBytes(100)).isEqualTo(Arrays.copyOf(body, 100));
                assertThat(b.readAllBytes()).isEqualTo(body);
                assertThat(a.readAllBytes()).isEqualTo(Arrays.copyOfRange(body, 100, body.length));
            }
        }
    }

    @Test
    void rangedReadsReturnExactlyTheRange() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");
        byte[] body = randomBytes(200_000, 3);
        store.put(k, body);
        try (Blob blob = store.get(k).orElseThrow()) {
            long[][] ranges = {
                {0, 0},
                {0, 1},
                {0, body.length},
                {1, 10},
                {65_535, 2},
                {100_000, 99_999},
                {body.length - 1, 1},
                {body.length, 0}
            };
            for (long[] r : ranges) {
                try (InputStream in = blob.openStream(r[0], r[1])) {
                    assertThat(in.readAllBytes())
                            .as("range %d+%d", r[0], r[1])
                            .isEqualTo(Arrays.copyOfRange(body, (int) r[0], (int) (r[0] + r[1])));
                }
            }
            assertThatThrownBy(() -> blob.openStream(-1, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> blob.openStream(body.length, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> blob.openStream(10, body.length)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void etagOfGetAndStatAgreeAndChangeWithContent() throws Exception {
        BlobKey k = key("example.com/m/@v/list");
        store.put(k, bytes("v1.0.0\n"));
        Optional<String> first = store.stat(k).orElseThrow().etag();
        try (Blob blob = store.get(k).orElseThrow()) {
            if (first.isPresent() && blob.etag().isPresent()) {
                assertThat(blob.etag()).isEqualTo(first);
            }
        }
        store.put(k, bytes("v1.0.0\nv1.1.0\n"));
        Optional<String> second = store.stat(k).orElseThrow().etag();
        if (first.isPresent() && second.isPresent()) {
            assertThat(second).isNotEqualTo(first);
        }
        first.ifPresent(e -> assertThat(e).doesNotContain("\"").isNotBlank());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip",
                "github.com/!burnt!sushi/toml/@v/v1.3.2.info",
                "example.com/m/@v/v0.0.0-20200101000000-abcdef012345.mod",
                "example.com/tilde~x/@v/v1.0.0~rc.1.info",
                "sumdb/sum.golang.org/lookup/golang.org/x/text@v0.3.0",
                "sumdb/sum.golang.org/tile/8/0/x001/234.p/5",
                "sumdb/sum.golang.org/latest",
                "unicode/ключ/日本語/ü-ñ.info",
                "with space/and=equals,comma;semi/@v/v1.0.0.info",
            })
    void keysWithSpecialCharactersRoundTrip(String text) throws Exception {
        BlobKey k = key(text);
        byte[] body = bytes("content of " + text);
        store.put(k, body);
        assertThat(read(k)).isEqualTo(body);
        assertThat(store.stat(k)).isPresent();
        assertThat(store.list(null)).containsExactly(k);
        assertThat(store.list(k.parent().orElseThrow())).containsExactly(k);
        assertThat(store.delete(k)).isTrue();
        assertThat(store.get(k)).isEmpty();
    }

    // ---- listing --------------------------------------------------------------------------------

    @Test
    void listIsSegmentWiseNotStringPrefix() throws Exception {
        List<String> keys = List.of(
                "a/b/@v/list",
                "a/b-c/@v/list",
                "a/b/v2/@v/list",
                "a/bc/@v/list",
                "a/b.d/@v/list",
                "a/b!x/@v/list",
                "a/b/@v/v1.0.0.info");
        for (String k : keys) {
            store.put(key(k), bytes(k));
        }
        assertThat(store.list(key("a/b")))
                .containsExactly(key("a/b/@v/list"), key("a/b/@v/v1.0.0.info"), key("a/b/v2/@v/list"));
        assertThat(store.list(key("a/b/@v"))).containsExactly(key("a/b/@v/list"), key("a/b/@v/v1.0.0.info"));
        assertThat(store.list(key("a/b-c"))).containsExactly(key("a/b-c/@v/list"));
        assertThat(store.list(key("a/b/v2"))).containsExactly(key("a/b/v2/@v/list"));
        assertThat(store.list(key("a/b/v"))).isEmpty();
        for (String k : keys) {
            assertThat(read(key(k))).as(k).isEqualTo(bytes(k));
        }
    }

    @Test
    void prereleaseVersionsDoNotShadowEachOther() throws Exception {
        BlobKey pre = key("m/@v/v1.2.3-pre.info");
        BlobKey pre1 = key("m/@v/v1.2.3-pre.1.info");
        store.put(pre, bytes("pre"));
        store.put(pre1, bytes("pre.1"));
        assertThat(read(pre)).isEqualTo(bytes("pre"));
        assertThat(read(pre1)).isEqualTo(bytes("pre.1"));
        assertThat(store.list(key("m/@v"))).containsExactly(pre1, pre);
        assertThat(store.delete(pre)).isTrue();
        assertThat(read(pre1)).isEqualTo(bytes("pre.1"));
        assertThat(store.list(key("m"))).containsExactly(pre1);
    }

    @Test
    void listIsSortedAtEveryDepth() throws Exception {
        List<BlobKey> keys = new ArrayList<>();
        for (String m : List.of("example.com/z", "example.com/a", "example.com/a/v2", "golang.org/x/text", "x")) {
            for (String v : List.of("v1.10.0", "v1.2.0", "v1.2.0-rc.1", "v0.0.1")) {
                keys.add(key(m + "/@v/" + v + ".info"));
            }
            keys.add(key(m + "/@v/list"));
        }
        keys.add(key("sumdb/sum.golang.org/tile/8/0/001"));
        keys.add(key("sumdb/sum.golang.org/tile/8/0/001.p/7"));
        keys.add(key("sumdb/sum.golang.org/tile/8/1/000"));
        List<BlobKey> shuffled = new ArrayList<>(keys);
        Collections.shuffle(shuffled, new Random(5));
        for (BlobKey k : shuffled) {
            store.put(k, bytes(k.value()));
        }
        List<BlobKey> sorted = keys.stream().sorted().toList();
        assertThat(store.list(null)).containsExactlyElementsOf(sorted);
        for (String p : List.of("example.com", "example.com/a", "example.com/a/@v", "sumdb/sum.golang.org/tile/8")) {
            BlobKey prefix = key(p);
            assertThat(store.list(prefix))
                    .as(p)
                    .containsExactlyElementsOf(
                            sorted.stream().filter(k -> k.isUnder(prefix)).toList());
        }
    }

    @Test
    void listsMoreThanAThousandKeys() throws Exception {
        List<BlobKey> expected = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            BlobKey k = key(String.format("many/m%02d/@v/v1.0.%d.info", i % 10, i));
            expected.add(k);
            store.put(k, bytes(Integer.toString(i)));
        }
        store.put(key("many-other/@v/list"), bytes("x"));
        expected.sort(null);
        assertThat(store.list(key("many"))).hasSize(1100).containsExactlyElementsOf(expected);
        assertThat(store.list(null)).hasSize(1101);
    }

    // ---- put modes ------------------------------------------------------------------------------

    @Test
    void replaceReplacesContentAndSize() throws Exception {
        BlobKey k = key("example.com/m/@v/list");
        store.put(k, bytes("v1.0.0\nv1.1.0\n"));
        assertThat(store.put(k, new ByteArrayInputStream(bytes("v2\n")), 3, PutMode.REPLACE))
                .isTrue();
        assertThat(read(k)).isEqualTo(bytes("v2\n"));
        assertThat(store.stat(k).orElseThrow().size()).isEqualTo(3);
        assertThat(store.list(null)).containsExactly(k);
    }

    @Test
    void createOnlyWritesWhenAbsent() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.mod");
        assertThat(store.put(k, new ByteArrayInputStream(bytes("module m\n")), 9, PutMode.CREATE_ONLY))
                .isTrue();
        assertThat(read(k)).isEqualTo(bytes("module m\n"));
    }

    @Test
    void createOnlyReturnsFalseAndKeepsExistingContent() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.mod");
        store.put(k, bytes("module m\n"));
        assertThat(store.put(k, new ByteArrayInputStream(bytes("module evil\n")), 12, PutMode.CREATE_ONLY))
                .isFalse();
        assertThat(read(k)).isEqualTo(bytes("module m\n"));
        assertThat(store.list(null)).containsExactly(k);
    }

    @Test
    void createOnlyRaceHasExactlyOneWinner() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 5; round++) {
                BlobKey k = key("example.com/race/@v/v1.0." + round + ".zip");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    byte[] body = randomBytes(4096 + t, round * 100 + t);
                    results.add(pool.submit(() -> {
                        start.await();
                        return store.put(k, new ByteArrayInputStream(body), body.length, PutMode.CREATE_ONLY);
                    }));
                }
                start.countDown();
                int winner = -1;
                for (int t = 0; t < threads; t++) {
                    if (results.get(t).get(30, TimeUnit.SECONDS)) {
                        assertThat(winner)
                                .as("second winner %d in round %d", t, round)
                                .isEqualTo(-1);
                        winner = t;
                    }
                }
                assertThat(winner).as("a winner in round %d", round).isNotEqualTo(-1);
                assertThat(read(k)).isEqualTo(randomBytes(4096 + winner, round * 100 + winner));
            }
            assertThat(store.list(key("example.com/race"))).hasSize(5);
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- failed puts leave nothing --------------------------------------------------------------

    @Test
    void putWhoseStreamFailsHalfwayLeavesNothing() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");
        assertThatThrownBy(() -> store.put(k, new FailingStream(300_000), 600_000, PutMode.CREATE_ONLY))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> store.put(k, new FailingStream(300_000), -1, PutMode.REPLACE))
                .isInstanceOf(IOException.class);
        assertNothingStored(k);
        // and the key is still writable afterwards
        assertThat(store.put(k, new ByteArrayInputStream(bytes("ok")), 2, PutMode.CREATE_ONLY))
                .isTrue();
        assertThat(read(k)).isEqualTo(bytes("ok"));
    }

    @Test
    void failedReplaceKeepsTheOldContent() throws Exception {
        BlobKey k = key("example.com/m/@v/list");
        store.put(k, bytes("v1.0.0\n"));
        assertThatThrownBy(() -> store.put(k, new FailingStream(70_000), 140_000, PutMode.REPLACE))
                .isInstanceOf(IOException.class);
        assertThat(read(k)).isEqualTo(bytes("v1.0.0\n"));
        assertThat(store.list(null)).containsExactly(k);
    }

    @Test
    void putWithFewerBytesThanDeclaredFailsAndLeavesNothing() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");
        assertThatThrownBy(() -> store.put(k, new ByteArrayInputStream(new byte[99]), 100, PutMode.REPLACE))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> store.put(k, InputStream.nullInputStream(), 1, PutMode.CREATE_ONLY))
                .isInstanceOf(IOException.class);
        assertNothingStored(k);
    }

    @Test
    void putWithMoreBytesThanDeclaredFailsAndLeavesNothing() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");
        assertThatThrownBy(() -> store.put(k, new ByteArrayInputStream(new byte[101]), 100, PutMode.REPLACE))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> store.put(k, new ByteArrayInputStream(new byte[1]), 0, PutMode.CREATE_ONLY))
                .isInstanceOf(IOException.class);
        assertNothingStored(k);
        store.put(k, bytes("old"));
        assertThatThrownBy(() -> store.put(k, new PatternStream(1 << 20, 9), 1000, PutMode.REPLACE))
                .isInstanceOf(IOException.class);
        assertThat(read(k)).isEqualTo(bytes("old"));
    }

    // ---- concurrency and open blobs -------------------------------------------------------------

    @Test
    void readersConcurrentWithReplaceSeeWholeOldOrWholeNew() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");
        byte[] a = filled(150_000, (byte) 'a');
        byte[] b = filled(90_001, (byte) 'b');
        store.put(k, a);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger reads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<Void>> readers = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                readers.add(pool.submit((Callable<Void>) () -> {
                    while (writing.get() || reads.get() < 20) {
                        try (Blob blob = store.get(k).orElseThrow(() -> new AssertionError("blob vanished"))) {
                            byte[] seen = blob.readAllBytes();
                            assertThat(seen.length).isEqualTo(blob.size());
                            if (!Arrays.equals(seen, a) && !Arrays.equals(seen, b)) {
                                throw new AssertionError("partial or mixed content of " + seen.length + " bytes");
                            }
                        }
                        reads.incrementAndGet();
                    }
                    return null;
                }));
            }
            Future<Void> writer = pool.submit((Callable<Void>) () -> {
                try {
                    for (int i = 0; i < 60; i++) {
                        byte[] next = i % 2 == 0 ? b : a;
                        store.put(k, new ByteArrayInputStream(next), next.length, PutMode.REPLACE);
                    }
                } finally {
                    writing.set(false);
                }
                return null;
            });
            writer.get(60, TimeUnit.SECONDS);
            for (Future<Void> r : readers) {
                r.get(60, TimeUnit.SECONDS);
            }
        } finally {
            writing.set(false);
            pool.shutdownNow();
        }
        assertThat(reads.get()).isGreaterThanOrEqualTo(20);
        assertThat(read(k)).isEqualTo(a);
    }

    @Test
    void openBlobKeepsItsContentAfterReplace() throws Exception {
        BlobKey k = key("example.com/m/@v/list");
        byte[] old = randomBytes(50_000, 11);
        store.put(k, old);
        try (Blob blob = store.get(k).orElseThrow()) {
            store.put(k, bytes("new"));
            assertThat(blob.size()).isEqualTo(old.length);
            try (InputStream in = blob.openStream()) {
                assertThat(in.readAllBytes()).isEqualTo(old);
            }
            try (InputStream in = blob.openStream(1000, 10)) {
                assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(old, 1000, 1010));
            }
        }
        assertThat(read(k)).isEqualTo(bytes("new"));
    }

    @Test
    void openBlobKeepsItsContentAfterDelete() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");
        byte[] old = randomBytes(50_000, 12);
        store.put(k, old);
        try (Blob blob = store.get(k).orElseThrow()) {
            assertThat(store.delete(k)).isTrue();
            assertThat(store.get(k)).isEmpty();
            assertThat(blob.readAllBytes()).isEqualTo(old);
        }
    }

    // ---- delete ---------------------------------------------------------------------------------

    @Test
    void deleteIsIdempotent() throws Exception {
        BlobKey k = key("example.com/m/@v/v1.0.0.info");
        store.put(k, bytes("{}"));
        assertThat(store.delete(k)).isTrue();
        assertThat(store.delete(k)).isFalse();
        assertNothingStored(k);
    }

    @Test
    void deleteLeavesSiblingsAndTheKeyCanBeWrittenAgain() throws Exception {
        BlobKey info = key("example.com/m/@v/v1.0.0.info");
        BlobKey mod = key("example.com/m/@v/v1.0.0.mod");
        BlobKey other = key("example.com/m/v2/@v/list");
        store.put(info, bytes("{}"));
        store.put(mod, bytes("module m\n"));
        store.put(other, bytes("v2.0.0\n"));
        assertThat(store.delete(info)).isTrue();
        assertThat(store.delete(other)).isTrue();
        assertThat(store.list(null)).containsExactly(mod);
        assertThat(read(mod)).isEqualTo(bytes("module m\n"));
        store.put(other, bytes("again"));
        assertThat(read(other)).isEqualTo(bytes("again"));
    }

    // ---- misc -----------------------------------------------------------------------------------

    @Test
    void healthyStoreDescribesItself() throws Exception {
        store.checkHealth();
        assertThat(store.describe()).isNotBlank();
    }

    // ---- helpers for subclasses -----------------------------------------------------------------

    /** A validated key. */
    protected static BlobKey key(String text) {
        return BlobKey.of(text);
    }

    /** UTF-8 bytes of {@code s}. */
    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The whole content under {@code k}, failing if absent. */
    protected byte[] read(BlobKey k) throws IOException {
        try (Blob blob = store.get(k).orElseThrow(() -> new AssertionError("no blob under " + k))) {
            byte[] content = blob.readAllBytes();
            assertThat(content.length).as("size of %s", k).isEqualTo(blob.size());
            return content;
        }
    }

    /** Asserts that {@code k} is absent by every method and that the store lists nothing at all. */
    protected void assertNothingStored(BlobKey k) throws IOException {
        assertThat(store.get(k)).isEmpty();
        assertThat(store.stat(k)).isEmpty();
        assertThat(store.list(null)).isEmpty();
    }

    /** Deterministic pseudo-random bytes. */
    protected static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] filled(int n, byte value) {
        byte[] b = new byte[n];
        Arrays.fill(b, value);
        return b;
    }

    /** SHA-256 of the rest of {@code in}. */
    protected static byte[] digest(InputStream in) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            md.update(buf, 0, n);
        }
        return md.digest();
    }

    /** A stream of {@code length} deterministic pseudo-random bytes, generated on the fly. */
    protected static final class PatternStream extends InputStream {
        private long remaining;
        private long state;

        public PatternStream(long length, long seed) {
            this.remaining = length;
            this.state = seed * 0x9E3779B97F4A7C15L + 1;
        }

        @Override
        public int read() {
            if (remaining <= 0) {
                return -1;
            }
            remaining--;
            return next() & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            for (int i = 0; i < n; i++) {
                b[off + i] = (byte) next();
            }
            remaining -= n;
            return n;
        }

        private int next() {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            return (int) (state >>> 24);
        }
    }

    /** Yields {@code good} bytes, then throws, like a connection reset mid-download. */
    protected static final class FailingStream extends InputStream {
        private long remaining;

        public FailingStream(long good) {
            this.remaining = good;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                throw new IOException("connection reset (simulated)");
            }
            int n = (int) Math.min(len, remaining);
            Arrays.fill(b, off, off + n, (byte) 'z');
            remaining -= n;
            return n;
        }
    }
}
