package dev.granary.core.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bound on upstream requests at once: slots, the queue, the refusal and its metric. */
class UpstreamLimitTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    /** A slow upstream (the fault a real one does not produce on demand): each fetch waits for the test. */
    private final CountDownLatch release = new CountDownLatch(1);

    private final CountDownLatch entered = new CountDownLatch(2);
    private final Upstream slow = new Upstream() {
        @Override
        public byte[] fetch(String path, long maxBytes) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return path.getBytes();
        }

        @Override
        public long download(String path, Path target, long maxBytes) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String describe() {
            return "slow";
        }
    };

    @AfterEach
    void tearDown() {
        release.countDown();
        executor.shutdownNow();
    }

    @Test
    void requestsBeyondTheBoundWaitAndFailBusyAfterTheQueueTimeout() throws Exception {
        UpstreamLimit limit = new UpstreamLimit(2, Duration.ofMillis(300), registry);
        Upstream bounded = limit.wrap(slow);
        CompletableFuture<byte[]> a = CompletableFuture.supplyAsync(() -> bounded.fetch("a", 10), executor);
        CompletableFuture<byte[]> b = CompletableFuture.supplyAsync(() -> bounded.fetch("b", 10), executor);
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(limit.inFlight()).isEqualTo(2);

        assertThatThrownBy(() -> bounded.fetch("c", 10))
                .isInstanceOf(ProxyException.class)
                .hasMessage(
                        "too many upstream fetches: all 2 are in progress and none ended within 300 ms; try again shortly")
                .satisfies(e -> assertThat(((ProxyException) e).kind()).isEqualTo(Kind.BUSY));
        assertThat(registry.get(Meters.LIMIT_REFUSALS)
                        .tag("limit", "upstream-concurrency")
                        .counter()
                        .count())
                .isEqualTo(1);

        // A waiter that gets a slot in time goes through, and slots are returned after each request.
        CompletableFuture<byte[]> d =
                CompletableFuture.supplyAsync(() -> limit.wrap(slow).fetch("d", 10), executor);
        release.countDown();
        assertThat(new String(a.get(10, TimeUnit.SECONDS))).isEqualTo("a");
        assertThat(new String(b.get(10, TimeUnit.SECONDS))).isEqualTo("b");
        assertThat(new String(d.get(10, TimeUnit.SECONDS))).isEqualTo("d");
        assertThat(limit.inFlight()).isZero();
        assertThat(registry.get(Meters.UPSTREAM_WAITING).gauge().value()).isZero();
    }
}
