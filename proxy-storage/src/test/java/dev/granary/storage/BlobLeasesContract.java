package dev.granary.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What {@link BlobLeases} promises, on any {@link BlobStore}. Each backend's test extends this and
 * makes a fresh, empty store. "Replicas" are separate {@link BlobLeases} instances with their own
 * clocks over the one store.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class BlobLeasesContract {

    /** A clock tests can move. */
    public static final class TestClock extends Clock {
        private final AtomicReference<Instant> now;

        public TestClock(Instant start) {
            this.now = new AtomicReference<>(start);
        }

        public void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    protected BlobStore store;
    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final BlobKey key = BlobKey.of("_leases/example.com/m/@v/v1.0.0");

    /** A new, empty store. */
    protected abstract BlobStore createStore() throws Exception;

    @BeforeEach
    final void setUp() throws Exception {
        store = createStore();
    }

    @AfterEach
    final void tearDown() throws Exception {
        store.close();
    }

    private BlobLeases leases() {
        return new BlobLeases(store, clock, Duration.ofSeconds(30));
    }

    @Test
    void freeKeyIsAcquiredAndThenHeld() throws Exception {
        BlobLeases a = leases();
        Lease lease = a.tryAcquire(key, "replica-a", Duration.ofMinutes(2)).orElseThrow();
        assertThat(lease.owner()).isEqualTo("replica-a");
        assertThat(lease.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(2)));
        assertThat(leases().tryAcquire(key, "replica-b", Duration.ofMinutes(2))).isEmpty();
        assertThat(a.tryAcquire(key, "replica-a", Duration.ofMinutes(2)))
                .as("not reentrant")
                .isEmpty();
        assertThat(leases().holder(key)).contains(lease);
    }

    @Test
    void releaseFreesTheKeyForTheNext() throws Exception {
        BlobLeases a = leases();
        Lease lease = a.tryAcquire(key, "replica-a", Duration.ofMinutes(2)).orElseThrow();
        assertThat(a.release(lease)).isTrue();
        assertThat(a.release(lease)).isFalse();
        assertThat(store.exists(key)).isFalse();
        Lease next =
                leases().tryAcquire(key, "replica-b", Duration.ofMinutes(2)).orElseThrow();
        assertThat(next.token()).isNotEqualTo(lease.token());
        assertThat(a.release(lease))
                .as("an old lease does not release the new one")
                .isFalse();
        assertThat(leases().holder(key)).contains(next);
    }

    @Test
    void expiredLeaseIsTakenOverAndItsOldHolderCannotReleaseIt() throws Exception {
        BlobLeases a = leases();
        Lease old = a.tryAcquire(key, "replica-a", Duration.ofSeconds(10)).orElseThrow();
        clock.advance(Duration.ofSeconds(5));
        assertThat(leases().tryAcquire(key, "replica-b", Duration.ofSeconds(10)))
                .isEmpty();
        clock.advance(Duration.ofSeconds(6));
        Lease taken =
                leases().tryAcquire(key, "replica-b", Duration.ofSeconds(10)).orElseThrow();
        assertThat(taken.owner()).isEqualTo("replica-b");
        assertThat(a.release(old)).isFalse();
        assertThat(leases().holder(key)).contains(taken);
        assertThat(store.list(null)).as("no takeover marker left").containsExactly(key);
    }

    @Test
    void expiredLeaseIsNotDeletedByItsLateHolder() throws Exception {
        BlobLeases a = leases();
        Lease lease = a.tryAcquire(key, "replica-a", Duration.ofSeconds(10)).orElseThrow();
        clock.advance(Duration.ofSeconds(11));
        assertThat(a.release(lease)).isFalse();
        assertThat(store.exists(key)).isTrue();
        assertThat(leases().tryAcquire(key, "replica-b", Duration.ofSeconds(10)))
                .isPresent();
    }

    @Test
    void concurrentAcquireHasExactlyOneWinner() throws Exception {
        assertThat(race(16, Duration.ZERO)).isEqualTo(1);
    }

    @Test
    void concurrentTakeoverOfAnExpiredLeaseHasExactlyOneWinner() throws Exception {
        for (int round = 0; round < 3; round++) {
            leases().tryAcquire(key, "crashed", Duration.ofSeconds(10)).orElseThrow();
            clock.advance(Duration.ofSeconds(11));
            assertThat(race(12, Duration.ZERO)).as("round %d", round).isEqualTo(1);
            assertThat(store.list(BlobKey.of("_leases")))
                    .as("only the lease remains")
                    .containsExactly(key);
            clock.advance(Duration.ofMinutes(5)); // let the winner's lease expire for the next round
        }
    }

    @Test
    void abandonedTakeoverMarkerExpiresToo() throws Exception {
        Lease crashed =
                leases().tryAcquire(key, "crashed", Duration.ofSeconds(10)).orElseThrow();
        clock.advance(Duration.ofSeconds(11));
        // a taker that won the marker for this acquisition and died before finishing:
        BlobKey marker = BlobKey.of(key.value() + "~takeover-" + crashed.token());
        assertThat(leases().tryAcquire(marker, "dead-taker", Duration.ofSeconds(30)))
                .isPresent();
        assertThat(leases().tryAcquire(key, "replica-b", Duration.ofSeconds(10)))
                .as("marker still honoured")
                .isEmpty();
        clock.advance(Duration.ofSeconds(31));
        Lease taken =
                leases().tryAcquire(key, "replica-b", Duration.ofSeconds(10)).orElseThrow();
        assertThat(leases().holder(key)).contains(taken);
        assertThat(store.list(BlobKey.of("_leases"))).containsExactly(key);
    }

    @Test
    void aBlobThatIsNotALeaseIsTakenOver() throws Exception {
        byte[] junk = "not a lease at all".getBytes(StandardCharsets.UTF_8);
        store.put(key, new ByteArrayInputStream(junk), junk.length, PutMode.REPLACE);
        assertThat(leases().holder(key).orElseThrow().isExpired(clock.instant()))
                .isTrue();
        assertThat(leases().tryAcquire(key, "replica-b", Duration.ofSeconds(10)))
                .isPresent();
    }

    @Test
    void leaseTextRoundTrips() {
        Lease l = new Lease(
                key,
                "host-1 pid 42",
                "00ff00ff00ff00ff",
                Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2026-01-01T00:02:00.5Z"));
        assertThat(BlobLeases.decode(key, BlobLeases.encode(l))).isEqualTo(l);
    }

    @Test
    void badArgumentsAreRefused() {
        BlobLeases a = leases();
        assertThatThrownBy(() -> a.tryAcquire(key, "two\nlines", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.tryAcquire(key, "x", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.tryAcquire(BlobKey.of("a/" + "x".repeat(230)), "x", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no room");
    }

    /** {@code threads} replicas try at once; returns how many won. */
    private int race(int threads, Duration ttlExtra) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Optional<Lease>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String owner = "replica-" + t;
                BlobLeases mine = leases();
                results.add(pool.submit(() -> {
                    start.await();
                    return mine.tryAcquire(key, owner, Duration.ofMinutes(1).plus(ttlExtra));
                }));
            }
            start.countDown();
            int winners = 0;
            Lease winner = null;
            for (Future<Optional<Lease>> f : results) {
                Optional<Lease> l = f.get(30, TimeUnit.SECONDS);
                if (l.isPresent()) {
                    winners++;
                    winner = l.get();
                }
            }
            if (winner != null) {
                assertThat(leases().holder(key)).contains(winner);
            }
            return winners;
        } finally {
            pool.shutdownNow();
        }
    }
}
